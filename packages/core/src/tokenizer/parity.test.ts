/**
 * Id-for-id parity with @huggingface/tokenizers (the JS port of Hugging Face tokenizers, used as the
 * reference) on real corpora, with real tokenizer files, plus offsets checked on every token.
 * Needs ../shared/data; skipped with a message when it is absent.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFromJson, tokenizerFromVocab } from './load.js';
import {
  bertBaseUncasedReferences,
  factRuEvalTexts,
  NO_DATA_MESSAGE,
  sharedDataDir,
  squadDev,
  stsbSentences,
  tokenizerFiles,
} from './test-utils/corpora.js';
import { checkAllOffsets, compareIds } from './test-utils/parity.js';
import { offsetProblems, referenceTokenizer, withVocabLines } from './test-utils/reference.js';
import type { WordPieceTokenizer } from './wordpiece-tokenizer.js';

const dataDir = sharedDataDir();

describe.skipIf(!dataDir)(dataDir ? 'parity with @huggingface/tokenizers on real corpora' : NO_DATA_MESSAGE, () => {
  let files: ReturnType<typeof tokenizerFiles>;
  let texts: string[];
  /** Reference ids of the all-MiniLM-L6-v2 files, reused by the vocab.txt test (same vocabulary). */
  const minilmIds = new Map<string, number[]>();
  let squad: ReturnType<typeof squadDev>;
  const noDefaults = { useSavedTruncation: false, useSavedPadding: false } as const;

  beforeAll(() => {
    const dir = dataDir as string;
    files = tokenizerFiles(dir);
    squad = squadDev(dir);
    const sts = stsbSentences(dir);
    const factRu = factRuEvalTexts(dir);
    texts = [...squad.contexts, ...squad.questions, ...factRu, ...sts.en, ...sts.ru];
  });

  it('reads every corpus text (SQuAD contexts and questions, factRuEval-2016, STS-B en/ru)', () => {
    // 2,067 contexts + 10,570 questions + 255 factRuEval texts + 2 x 17,256 STS-B sentences.
    expect(texts.length).toBe(2067 + 10570 + 255 + 2 * 17256);
  });

  it('all-MiniLM-L6-v2 tokenizer.json: 0 mismatched ids on every text, offsets spell the input', () => {
    const ours = tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, noDefaults) as WordPieceTokenizer;
    expect(ours.kind).toBe('wordpiece');
    const ref = referenceTokenizer(files.tokenizerJson, files.tokenizerConfig);
    const result = compareIds(texts, ours, ref, minilmIds);
    expect(result.examples).toEqual([]);
    expect(result.mismatches).toBe(0);
    expect(result.tokens).toBeGreaterThan(2_000_000);
    expect(checkAllOffsets(ours, texts).problems).toEqual([]);
  });

  it('bert-base-uncased vocab.txt (+ do_lower_case): 0 mismatched ids against a reference built from the same vocab', () => {
    const ours = tokenizerFromVocab(files.bertBaseUncasedVocab, { do_lower_case: true });
    const lines = files.bertBaseUncasedVocab.split('\n').filter((_, i, all) => i < all.length - 1 || all[i] !== '');
    const refJson = withVocabLines(files.tokenizerJson, lines);
    const ref = referenceTokenizer(refJson, files.tokenizerConfig);
    // The reference over vocab.txt has exactly the all-MiniLM-L6-v2 vocabulary (same tokens, same
    // ids), so its ids are the ones already computed; texts not seen yet are encoded by it.
    const sameVocabulary =
      JSON.stringify((refJson.model as { vocab: unknown }).vocab) ===
      JSON.stringify((files.tokenizerJson.model as { vocab: unknown }).vocab);
    const result = compareIds(texts, ours, ref, sameVocabulary ? minilmIds : new Map());
    expect(result.examples).toEqual([]);
    expect(result.mismatches).toBe(0);
  });

  it('tokenization-references.json (bert-base-uncased): tokens, ids and decoded text', () => {
    const cases = bertBaseUncasedReferences(dataDir as string);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const ours of [
      tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, noDefaults),
      tokenizerFromVocab(files.bertBaseUncasedVocab, files.tokenizerConfig, files.specialTokensMap),
    ]) {
      for (const c of cases) {
        const enc = ours.encode(c.text, c.text_pair === undefined ? {} : { pair: c.text_pair });
        expect({ name: c.name, ids: enc.ids }).toEqual({ name: c.name, ids: c.ids });
        const inner = enc.tokens.filter((_, i) => enc.specialTokensMask[i] === 0);
        expect({ name: c.name, tokens: inner }).toEqual({ name: c.name, tokens: c.tokens });
        expect({ name: c.name, decoded: ours.decode(enc.ids) }).toEqual({ name: c.name, decoded: c.decoded });
      }
    }
  });

  it('SQuAD (question, context) pairs, only_second max 384 stride 128: every overflow window', () => {
    const ours = tokenizerFromJson(files.tokenizerJson, files.tokenizerConfig, noDefaults) as WordPieceTokenizer;
    const ref = referenceTokenizer(files.tokenizerJson, files.tokenizerConfig);
    const cls = ours.specialTokens.cls.id;
    const sep = ours.specialTokens.sep.id;
    // Reference ids of each text alone (no special tokens), cached: contexts repeat across questions.
    const cache = new Map<string, number[]>();
    const refIds = (text: string): number[] => {
      let ids = cache.get(text);
      if (!ids) {
        ids = ref.encode(text, { add_special_tokens: false }).ids;
        cache.set(text, ids);
      }
      return ids;
    };
    let windows = 0;
    let multiWindow = 0;
    const failures: string[] = [];
    for (const [question, context] of squad.pairs) {
      const q = refIds(question);
      const c = refIds(context);
      // Hugging Face's only_second windows (written out independently of the implementation):
      // room = 384 - 3 - |q| context tokens per window, consecutive windows overlap by 128 tokens.
      const room = 384 - 3 - q.length;
      const expected: number[][] = [];
      for (let start = 0; ; start += room - 128) {
        const end = Math.min(start + room, c.length);
        expected.push([cls, ...q, sep, ...c.slice(start, end), sep]);
        if (end === c.length) break;
      }
      const enc = ours.encode(question, {
        pair: context,
        truncation: { maxLength: 384, strategy: 'only_second', stride: 128 },
        returnOverflowing: true,
      });
      const all = [enc, ...enc.overflowing];
      windows += all.length;
      if (all.length > 1) multiWindow++;
      const actual = all.map((e) => e.ids);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        if (failures.length < 3) failures.push(`${question}: ${actual.length} windows, expected ${expected.length}`);
        continue;
      }
      for (const e of all) {
        const typeIds = e.ids.map((_, i) => (i < q.length + 2 ? 0 : 1));
        if (JSON.stringify(e.typeIds) !== JSON.stringify(typeIds) && failures.length < 3)
          failures.push(`${question}: type ids`);
        const problems = [...offsetProblems(ours, question, e, 0), ...offsetProblems(ours, context, e, 1, false)];
        if (problems.length > 0 && failures.length < 3) failures.push(`${question}: ${problems[0]}`);
      }
    }
    expect(failures).toEqual([]);
    expect(windows).toBeGreaterThan(squad.pairs.length);
    expect(multiWindow).toBeGreaterThan(0);
  });
});
