// Issue 15 reproducers on the tokenizers (bertweb's WordPiece from vocab.txt and from tokenizer.json,
// and one delegated to @huggingface/tokenizers): `null` as the options argument threw a TypeError in
// `encode` (it is the defaults, as documented in types.ts), and the batch encode returned a hole for a
// hole in its input (it is INPUT_INVALID naming the index).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import { loadTokenizer, tokenizerFromJson } from './load.js';
import { bertTokenizerJson } from './test-utils/reference.js';
import type { Tokenizer } from './types.js';

const FIXTURES = new URL('../../../../models/fixtures/', import.meta.url).pathname;
const VOCAB_LINES = readFileSync(`${FIXTURES}bert-base/vocab.txt`, 'utf8')
  .split('\n')
  .filter((l) => l !== '');

const TOKENIZERS: readonly [string, () => Promise<Tokenizer>][] = [
  ['wordpiece (vocab.txt)', () => loadTokenizer(`${FIXTURES}bert-base`)],
  ['wordpiece (tokenizer.json)', () => loadTokenizer(`${FIXTURES}distilbert-base`)],
  [
    'delegated (NFD normalizer)',
    async () =>
      tokenizerFromJson({
        ...bertTokenizerJson(VOCAB_LINES),
        normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }] },
      }),
  ],
];

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return 'returned';
}

const inputInvalid = (pattern: RegExp) =>
  expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringMatching(pattern) });

describe.each(TOKENIZERS)('%s', (name, make) => {
  it('takes null options as the defaults (encode, encodeBatch, decode)', async () => {
    const tok = await make();
    if (name.startsWith('delegated')) expect(tok.kind).toBe('delegated');
    expect(tok.encode('Hello world', null)).toEqual(tok.encode('Hello world'));
    expect(tok.encodeBatch(['Hello', 'world'], null)).toEqual(tok.encodeBatch(['Hello', 'world']));
    const ids = tok.encode('Hello world').ids;
    expect(tok.decode(ids, null)).toBe(tok.decode(ids));
  });

  it('rejects a hole in the batch (texts or pairs) with INPUT_INVALID naming it, never a hole in the result', async () => {
    const tok = await make();
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
    const holes = [, 'a'] as unknown as string[];
    expect(thrown(() => tok.encodeBatch(holes))).toEqual(inputInvalid(/texts\[0\]/));
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
    expect(thrown(() => tok.encodeBatch(['a', 'b'], { pairs: ['c', ,] as unknown as string[] }))).toEqual(
      inputInvalid(/pairs\[1\]|pairs/),
    );
    expect(thrown(() => tok.encodeBatch(new Array(2) as string[]))).toBeInstanceOf(BertwebError);
  });
});
