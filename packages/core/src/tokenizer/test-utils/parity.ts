/** Test helpers shared by the corpus parity tests. */

import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from '../types.js';
import type { WordPieceTokenizer } from '../wordpiece-tokenizer.js';
import { offsetProblems } from './reference.js';

/**
 * Compares ids text by text; returns the number of mismatching texts and the first few diffs.
 * `expectedIds` may hold reference ids computed earlier for the same tokenizer files.
 */
export function compareIds(
  texts: readonly string[],
  ours: Tokenizer,
  ref: HfTokenizer,
  expectedIds?: Map<string, number[]>,
): { mismatches: number; examples: string[]; tokens: number } {
  let mismatches = 0;
  let tokens = 0;
  const examples: string[] = [];
  for (const text of texts) {
    let expected = expectedIds?.get(text);
    if (!expected) {
      expected = ref.encode(text).ids;
      expectedIds?.set(text, expected);
    }
    const actual = ours.encode(text).ids;
    tokens += actual.length;
    if (expected.length !== actual.length || expected.some((id, i) => id !== actual[i])) {
      mismatches++;
      if (examples.length < 3) {
        let i = 0;
        while (expected[i] === actual[i]) i++;
        examples.push(
          `${JSON.stringify(text.slice(0, 80))}: at token ${i} expected ${JSON.stringify(ref.encode(text).tokens.slice(i, i + 4))} got ${JSON.stringify(ours.encode(text).tokens.slice(i, i + 4))}`,
        );
      }
    }
  }
  return { mismatches, examples, tokens };
}

export function checkAllOffsets(
  tok: WordPieceTokenizer,
  texts: readonly string[],
): { problems: string[]; tokens: number } {
  const problems: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const enc = tok.encode(text);
    tokens += enc.ids.length;
    for (const p of offsetProblems(tok, text, enc))
      if (problems.length < 5) problems.push(`${JSON.stringify(text.slice(0, 40))}: ${p}`);
  }
  return { problems, tokens };
}
