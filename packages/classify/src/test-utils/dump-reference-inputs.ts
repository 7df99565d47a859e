/**
 * Writes the exact encodings bertweb's classifier builds for the reference cases, per
 * sequence-classification fixture, for models/scripts/ref_classify.py:
 *
 *   node --conditions=source --import tsx packages/classify/src/test-utils/dump-reference-inputs.ts OUT.json
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '@bertweb/core';
import { REFERENCE_CASES } from './reference-cases.js';

const FIXTURES = ['bert-seq-cls', 'distilbert-seq-cls'];
const out = process.argv[2];
if (!out) throw new Error('usage: dump-reference-inputs.ts OUT.json');

const models: Record<string, unknown[]> = {};
for (const fixture of FIXTURES) {
  const model = await loadModel(new URL(`../../../../models/fixtures/${fixture}`, import.meta.url).pathname, {
    backend: 'wasm',
  });
  models[fixture] = REFERENCE_CASES.map((c) => {
    const [text, pair] = typeof c.input === 'string' ? [c.input, undefined] : c.input;
    const maxLength = c.maxLength ?? model.info.maxPositions;
    // The classifier's own rule: the full encoding, or the truncated one when it is too long.
    const full = model.tokenizer.encode(text, { ...(pair === undefined ? {} : { pair }), truncation: false });
    const truncated = full.ids.length > maxLength;
    const encoding = truncated
      ? model.tokenizer.encode(text, {
          ...(pair === undefined ? {} : { pair }),
          truncation: { maxLength, strategy: 'longest_first' },
        })
      : full;
    return { name: c.name, input: c.input, maxLength, truncated, ids: encoding.ids, typeIds: encoding.typeIds };
  });
  await model.dispose();
}
writeFileSync(out, `${JSON.stringify({ models }, null, 1)}\n`);
console.log(`wrote ${out}`);
