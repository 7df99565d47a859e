/**
 * Writes the exact model inputs bertweb builds for the reference cases, per token-classification
 * fixture, to a JSON file that models/scripts/ref_tagging.py reads:
 *
 *   node --conditions=source --import tsx packages/tagging/src/test-utils/dump-reference-inputs.ts OUT.json
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '@bertweb/core';
import { prepareSequence, windowEncoding, wordsFromStrings } from '../inputs.js';
import { WordPieceCache } from '../pieces.js';
import { createTagger } from '../tagger.js';
import { REFERENCE_CASES } from './reference-cases.js';

const FIXTURES = ['bert-token-cls', 'distilbert-token-cls'];
const out = process.argv[2];
if (!out) throw new Error('usage: dump-reference-inputs.ts OUT.json');

const models: Record<string, unknown[]> = {};
for (const fixture of FIXTURES) {
  const model = await loadModel(new URL(`../../../../models/fixtures/${fixture}`, import.meta.url).pathname, {
    backend: 'wasm',
  });
  const cases: unknown[] = [];
  for (const c of REFERENCE_CASES) {
    const tagger = await createTagger(model, c.maxLength ? { maxLength: c.maxLength } : {});
    if (c.text !== undefined) {
      const [encoded] = await tagger.encode([c.text]);
      if (!encoded) throw new Error('no encoding');
      cases.push({
        name: c.name,
        text: c.text,
        maxLength: tagger.maxLength,
        words: encoded.words.map((w) => w.text),
        windows: encoded.windows.map((e) => e.ids),
        windowWords: encoded.windows.map((e) => e.wordIds),
        owner: encoded.owner,
      });
    } else {
      const words = c.words ?? [];
      const seq = prepareSequence(
        wordsFromStrings(words),
        new WordPieceCache(model.tokenizer, tagger.maxSubwordPieces ?? Number.POSITIVE_INFINITY),
        tagger.maxLength - 2,
        tagger.windowOverlap,
      );
      cases.push({
        name: c.name,
        inputWords: words,
        maxLength: tagger.maxLength,
        words,
        windows: seq.plan.windows.map((_, w) => windowEncoding(seq, w, model.tokenizer.specialTokens).ids),
        windowWords: seq.plan.windows.map((_, w) => windowEncoding(seq, w, model.tokenizer.specialTokens).wordIds),
        owner: Array.from(seq.plan.owner),
      });
    }
  }
  models[fixture] = cases;
  await model.dispose();
}
writeFileSync(out, `${JSON.stringify({ models }, null, 1)}\n`);
console.log(`wrote ${out}`);
