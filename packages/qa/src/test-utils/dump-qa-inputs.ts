/**
 * Writes the tokenization of every parity case for models/scripts/ref_qa.py:
 *   node --conditions=source --import tsx packages/qa/src/test-utils/dump-qa-inputs.ts OUT.json
 * Per model: the question's and the context's token ids (no special tokens) with the context offsets;
 * ref_qa.py builds the windows itself (Hugging Face overflow rule) and never sees bertweb's windows.
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '@bertweb/core';
import { qaCases } from './qa-cases.js';

const out = process.argv[2];
if (!out) throw new Error('usage: dump-qa-inputs.ts OUT.json');
const settings = { maxLength: 384, docStride: 128, maxAnswerLength: 30 };
const cases = qaCases();
const models: Record<string, unknown> = {};
for (const name of ['bert-qa', 'distilbert-qa']) {
  const model = await loadModel(new URL(`../../../../models/fixtures/${name}`, import.meta.url).pathname, {
    backend: 'wasm',
  });
  const tok = model.tokenizer;
  models[name] = {
    cls: tok.specialTokens.cls.id,
    sep: tok.specialTokens.sep.id,
    tokenTypes: model.inputNames.includes('token_type_ids'),
    cases: cases.map((c) => {
      const q = tok.encode(c.question, { addSpecialTokens: false, truncation: false });
      const ctx = tok.encode(c.context, { addSpecialTokens: false, truncation: false });
      return { id: c.id, question: q.ids, context: ctx.ids, offsets: ctx.offsets };
    }),
  };
  await model.dispose();
}
writeFileSync(out, JSON.stringify({ settings, models }));
console.log(`wrote ${cases.length} cases x ${Object.keys(models).length} models to ${out}`);
