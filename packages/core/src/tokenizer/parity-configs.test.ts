/**
 * Parity on real corpora for the other BertNormalizer settings (cased; lowercase without accent
 * stripping): reference tokenizer.json variants are the all-MiniLM-L6-v2 file with the normalizer
 * flags edited. Split from parity.test.ts so the two files can run in parallel.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFromJson } from './load.js';
import {
  factRuEvalTexts,
  NO_DATA_MESSAGE,
  sharedDataDir,
  squadDev,
  stsbSentences,
  tokenizerFiles,
} from './test-utils/corpora.js';
import { checkAllOffsets, compareIds } from './test-utils/parity.js';
import { referenceTokenizer, withNormalizer } from './test-utils/reference.js';
import type { WordPieceTokenizer } from './wordpiece-tokenizer.js';

const dataDir = sharedDataDir();

describe.skipIf(!dataDir)(dataDir ? 'parity on real corpora, other normalizer settings' : NO_DATA_MESSAGE, () => {
  let files: ReturnType<typeof tokenizerFiles>;
  /** All corpora but the English STS-B sentences (SQuAD already covers English casing). */
  let configTexts: string[];
  const noDefaults = { useSavedTruncation: false, useSavedPadding: false } as const;

  beforeAll(() => {
    const dir = dataDir as string;
    files = tokenizerFiles(dir);
    const squad = squadDev(dir);
    configTexts = [...squad.contexts, ...squad.questions, ...factRuEvalTexts(dir), ...stsbSentences(dir).ru];
  });

  it('cased configuration (lowercase false, accents kept): 0 mismatched ids, offsets spell the input (all but STS-B en)', () => {
    const json = withNormalizer(files.tokenizerJson, { lowercase: false });
    const ours = tokenizerFromJson(json, files.tokenizerConfig, noDefaults) as WordPieceTokenizer;
    const result = compareIds(configTexts, ours, referenceTokenizer(json, files.tokenizerConfig));
    expect(result.examples).toEqual([]);
    expect(result.mismatches).toBe(0);
    expect(checkAllOffsets(ours, configTexts).problems).toEqual([]);
  });

  it('no accent stripping (lowercase true, strip_accents false): 0 mismatched ids, offsets spell the input (all but STS-B en)', () => {
    const json = withNormalizer(files.tokenizerJson, { strip_accents: false });
    const ours = tokenizerFromJson(json, files.tokenizerConfig, noDefaults) as WordPieceTokenizer;
    const result = compareIds(configTexts, ours, referenceTokenizer(json, files.tokenizerConfig));
    expect(result.examples).toEqual([]);
    expect(result.mismatches).toBe(0);
    expect(checkAllOffsets(ours, configTexts).problems).toEqual([]);
  });
});
