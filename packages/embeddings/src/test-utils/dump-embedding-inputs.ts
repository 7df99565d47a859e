/**
 * Writes the tokenization of the embeddings parity texts for models/scripts/ref_embeddings.py:
 *   node --conditions=source --import tsx packages/embeddings/src/test-utils/dump-embedding-inputs.ts OUT.json
 * Per model and text: the untruncated token ids and word ids without special tokens. ref_embeddings.py
 * builds the [CLS] ... [SEP] windows (truncation and chunks) itself.
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '@bertweb/core';
import { PARITY_MAX_LENGTH, PARITY_TEXTS } from './embedding-cases.js';

const out = process.argv[2];
if (!out) throw new Error('usage: dump-embedding-inputs.ts OUT.json');
const models: Record<string, unknown> = {};
for (const name of ['bert-base', 'distilbert-base']) {
  const model = await loadModel(new URL(`../../../../models/fixtures/${name}`, import.meta.url).pathname, {
    backend: 'wasm',
  });
  const tok = model.tokenizer;
  models[name] = {
    cls: tok.specialTokens.cls.id,
    sep: tok.specialTokens.sep.id,
    pad: tok.specialTokens.pad.id,
    tokenTypes: model.inputNames.includes('token_type_ids'),
    texts: PARITY_TEXTS.map((text) => {
      const e = tok.encode(text, { addSpecialTokens: false, truncation: false });
      return { ids: e.ids, wordIds: e.wordIds };
    }),
  };
  await model.dispose();
}
writeFileSync(out, JSON.stringify({ maxLength: PARITY_MAX_LENGTH, models }));
console.log(`wrote ${PARITY_TEXTS.length} texts x ${Object.keys(models).length} models to ${out}`);
