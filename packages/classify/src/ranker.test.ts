/**
 * The ranker against DeepPavlov 1.7's rankers. Reference: models/fixtures/deeppavlov/reference.json,
 * computed by models/scripts/dp_reference.py `bert_rank` (docs/deeppavlov-1.7.md, "Ranking"), which
 * follows deeppavlov/models/torch_bert/torch_bert_ranker.py `TorchBertRankerModel.__call__` and
 * deeppavlov/models/preprocessors/torch_transformers_preprocessor.py `TorchBertRankerPreprocessor`.
 */
import { join } from 'node:path';
import { type LoadedModel, loadModel, type TensorOutput } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../embeddings/src/embedder.js';
import { VectorIndex } from '../../embeddings/src/vector-index.js';
import { createRanker, RANKER_DEFAULTS, type Ranker } from './ranker.js';
import { convertedFixture, dpReference, removeConvertedFixtures } from './test-utils/deeppavlov-fixtures.js';

const TOLERANCE = 1e-4;
const FIXTURES = new URL('../../../models/fixtures/', import.meta.url).pathname;
const reference = dpReference().ranking_ubuntu_v2_torch_bert_uncased;
const [ubuntu] = reference.cases;
if (!ubuntu) throw new Error('reference.json has no ranking case');

const invalid = (code: string, pattern: RegExp) =>
  expect.objectContaining({ code, message: expect.stringMatching(pattern) });

/** The model with its logits replaced (a model of another width), id2label dropped. */
function withLogits(model: LoadedModel, change: (logits: TensorOutput) => TensorOutput): LoadedModel {
  const infer: LoadedModel['infer'] = async (encodings, options) =>
    (await model.infer(encodings, options)).map((r) => ({ ...r, logits: change(r.logits as TensorOutput) }));
  const { labels: _labels, ...info } = model.info;
  return Object.assign(Object.create(model) as LoadedModel, { infer, info, dispose: async () => {} });
}

describe('Ranker: DeepPavlov torch_bert_ranker (ranking_ubuntu_v2_torch_bert_uncased)', () => {
  let model: LoadedModel;
  let ranker: Ranker;
  beforeAll(async () => {
    model = await loadModel(await convertedFixture('ranking_ubuntu_v2_torch_bert_uncased'), { backend: 'wasm' });
    // The config's max_seq_length (torch_bert_ranker_preprocessor).
    ranker = await createRanker(model, { maxLength: reference.max_seq_length });
  });
  afterAll(async () => {
    await model.dispose();
    removeConvertedFixtures();
  });

  it('defaults to DeepPavlov for 2 logits: softmax column 1, zero segment ids', () => {
    expect([ranker.numLogits, ranker.scoring, ranker.tokenTypes]).toEqual([2, 'softmax', 'zeros']);
    expect(RANKER_DEFAULTS.twoLogits).toEqual({ scoring: 'softmax', tokenTypes: 'zeros' });
  });

  it('scores as torch_bert_ranker: token_type_ids=None (zeros), softmax(logits)[:, 1], within 1e-4', async () => {
    const { scores, truncated } = await ranker.score(ubuntu.context, ubuntu.candidates);
    expect(truncated).toEqual([false, false, false]);
    scores.forEach((s, j) => {
      expect(Math.abs(s - (ubuntu.scores[j] as number))).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it("passes the pair's segment ids with tokenTypes 'segments' (what DeepPavlov does not do)", async () => {
    const segments = await createRanker(model, { maxLength: 128, tokenTypes: 'segments' });
    const { scores } = await segments.score(ubuntu.context, ubuntu.candidates);
    scores.forEach((s, j) => {
      expect(Math.abs(s - (ubuntu.scores_if_token_types_passed[j] as number))).toBeLessThanOrEqual(TOLERANCE);
    });
    // The two settings differ on this fixture by far more than the tolerance: the test can tell them apart.
    expect(Math.abs((scores[2] as number) - (ubuntu.scores[2] as number))).toBeGreaterThan(0.1);
  });

  it('ranks best first with the index and text of each candidate, ties in input order, topK', async () => {
    const ranked = await ranker.rank(ubuntu.context, ubuntu.candidates);
    const expected = ubuntu.scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s);
    expect(ranked.map((r) => r.index)).toEqual(expected.map((e) => e.i));
    for (const r of ranked) expect(r.text).toBe(ubuntu.candidates[r.index]);
    expect(await ranker.rank(ubuntu.context, ubuntu.candidates, { topK: 1 })).toEqual(ranked.slice(0, 1));
    const twice = await ranker.rank(ubuntu.context, ['same text', 'same text']);
    expect(twice.map((r) => r.index)).toEqual([0, 1]);
    expect(twice[0]?.score).toBe(twice[1]?.score);
    const top2 = await createRanker(model, { maxLength: 128, topK: 2 });
    expect(await top2.rank(ubuntu.context, ubuntu.candidates)).toEqual(ranked.slice(0, 2));
    expect(await top2.rank(ubuntu.context, ubuntu.candidates, { topK: 3 })).toEqual(ranked);
  });

  it('rankMany gives the contexts x candidates matrix, each row as score() alone, whatever the batching', async () => {
    const queries = [ubuntu.context, 'the weather', ''];
    const matrix = await ranker.rankMany(queries, ubuntu.candidates);
    expect([matrix.rows, matrix.cols, matrix.data.length, matrix.truncated.length]).toEqual([3, 3, 9, 9]);
    const oneByOne = await createRanker(model, { maxLength: 128, maxInputsPerCall: 1 });
    for (let i = 0; i < queries.length; i++) {
      const row = await oneByOne.score(queries[i] as string, ubuntu.candidates);
      // Padding to the longest pair of a call moves scores by float rounding only.
      row.scores.forEach((s, j) => {
        expect(Math.abs(s - (matrix.data[i * 3 + j] as number))).toBeLessThanOrEqual(1e-6);
      });
    }
    const empty = await ranker.rankMany(queries, []);
    expect([empty.rows, empty.cols, empty.data.length]).toEqual([3, 0, 0]);
  });

  it('scores a large matrix block by block: progress counts every pair, rows stay independent', async () => {
    const candidates = Array.from({ length: 2100 }, (_, i) => `candidate ${i % 7}`);
    const events: { loaded: number; total: number }[] = [];
    const matrix = await ranker.rankMany(['first query', 'second query'], candidates, {
      onProgress: (e) => events.push({ loaded: e.loaded, total: e.total }),
    });
    expect(events.at(-1)).toEqual({ loaded: 4200, total: 4200 });
    expect(events.every((e, i) => e.total === 4200 && (i === 0 || e.loaded > (events[i - 1]?.loaded ?? 0)))).toBe(true);
    const { scores } = await ranker.score('second query', candidates.slice(0, 7));
    scores.forEach((s, j) => {
      expect(Math.abs(s - (matrix.data[2100 + j] as number))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(s - (matrix.data[2100 + 7 + j] as number))).toBeLessThanOrEqual(1e-6);
    });
    const many = Array.from({ length: 1025 }, () => 'x');
    await expect(ranker.rankMany(many, many)).rejects.toEqual(invalid('INPUT_INVALID', /1050625 pairs/));
  });

  it('gives [] for no candidates without running the model, and scores empty strings as they are', async () => {
    let infers = 0;
    const counting = Object.assign(Object.create(model) as LoadedModel, {
      infer: ((...args) => {
        infers++;
        return model.infer(...args);
      }) as LoadedModel['infer'],
      dispose: async () => {},
    });
    const counted = await createRanker(counting, { maxLength: 128 });
    const before = infers;
    expect(await counted.rank('query', [])).toEqual([]);
    expect(await counted.rerank('query', [])).toEqual([]);
    expect((await counted.score('query', [])).scores).toHaveLength(0);
    expect(infers).toBe(before);
    const [scored] = await counted.rank('', ['']);
    expect(scored?.score).toBeGreaterThan(0);
    expect(scored?.score).toBeLessThan(1);
  });

  it('cuts a pair longer than maxLength (longest_first) and flags it', async () => {
    const short = await createRanker(model, { maxLength: 16 });
    const long = 'use apt install to get the package and then reboot and try again with the package';
    const ranked = await short.rank('how do i install a package on ubuntu', ['use apt', long]);
    const byIndex = new Map(ranked.map((r) => [r.index, r]));
    expect([byIndex.get(0)?.truncated, byIndex.get(1)?.truncated]).toEqual([false, true]);
    // The cut pair is what the tokenizer's longest_first truncation gives, with zero segment ids.
    const cut = model.tokenizer.encode('how do i install a package on ubuntu', {
      pair: long,
      truncation: { maxLength: 16, strategy: 'longest_first' },
    });
    expect(cut.ids).toHaveLength(16);
    const [output] = await model.infer([{ ...cut, typeIds: new Array(16).fill(0) }], { outputs: ['logits'] });
    const [l0, l1] = (output as Record<string, TensorOutput>).logits?.data ?? [];
    expect(byIndex.get(1)?.score).toBeCloseTo(1 / (1 + Math.exp((l0 as number) - (l1 as number))), 12);
  });

  it("scores 1-logit models raw (DeepPavlov's NLL ranker) or with a sigmoid; 'softmax' needs 2 logits", async () => {
    // A 1-logit model: the fixture's logit difference l1 - l0, so raw = logit(softmax[1]).
    const one = withLogits(model, (l) => ({
      data: new Float32Array([(l.data[1] as number) - (l.data[0] as number)]),
      dims: [1],
    }));
    const raw = await createRanker(one, { maxLength: 128 });
    expect([raw.numLogits, raw.scoring, raw.tokenTypes]).toEqual([1, 'raw', 'segments']);
    const sigmoid = await createRanker(one, { maxLength: 128, scoring: 'sigmoid', tokenTypes: 'zeros' });
    const { scores: rawScores } = await raw.score(ubuntu.context, ubuntu.candidates);
    const { scores: probs } = await sigmoid.score(ubuntu.context, ubuntu.candidates);
    probs.forEach((p, j) => {
      expect(Math.abs(p - (ubuntu.scores[j] as number))).toBeLessThanOrEqual(TOLERANCE);
      expect(rawScores[j]).not.toBeCloseTo(p, 2);
    });
    await expect(createRanker(one, { scoring: 'softmax' })).rejects.toEqual(invalid('INPUT_INVALID', /scoring/));
    const rawTwo = await createRanker(model, { maxLength: 128, scoring: 'raw' });
    const { scores } = await rawTwo.score(ubuntu.context, ubuntu.candidates);
    // raw on 2 logits is logit[1]: not a probability.
    expect(Array.from(scores).some((s) => s < 0 || s > 1)).toBe(true);
  });

  it('rejects models that are not 1- or 2-logit cross-encoders, and bad options and inputs', async () => {
    const three = withLogits(model, (l) => ({ data: new Float32Array([...l.data, 0]), dims: [3] }));
    await expect(createRanker(three)).rejects.toEqual(invalid('MODEL_INVALID', /1 logit .* or 2/));
    await expect(createRanker(join(FIXTURES, 'bert-seq-cls'), { backend: 'wasm' })).rejects.toEqual(
      invalid('MODEL_INVALID', /\[3\]/),
    );
    await expect(createRanker(join(FIXTURES, 'bert-token-cls'), { backend: 'wasm' })).rejects.toEqual(
      invalid('MODEL_INVALID', /token-classification/),
    );
    await expect(createRanker(join(FIXTURES, 'bert-base'), { backend: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
    await expect(createRanker(model, { maxLength: 513 })).rejects.toEqual(invalid('INPUT_INVALID', /maxLength/));
    await expect(createRanker(model, { scoring: 'max' as never })).rejects.toEqual(invalid('INPUT_INVALID', /scoring/));
    await expect(createRanker(model, { tokenTypes: 'ones' as never })).rejects.toEqual(
      invalid('INPUT_INVALID', /tokenTypes/),
    );
    await expect(ranker.rank(1 as never, ['a'])).rejects.toEqual(invalid('INPUT_INVALID', /query/));
    await expect(ranker.rank('q', ['a'], { topK: 0 })).rejects.toEqual(invalid('INPUT_INVALID', /topK/));
    await expect(ranker.score('q', ['a'], { topK: 1 } as never)).rejects.toEqual(invalid('INPUT_INVALID', /topK/));
    await expect(ranker.rankMany('q' as never, ['a'])).rejects.toEqual(invalid('INPUT_INVALID', /queries/));
    await expect(ranker.rerank('q', [{ id: 1 }] as never)).rejects.toEqual(invalid('INPUT_INVALID', /hits\[0\]/));
    await expect(ranker.rerank('q', [{ id: Number.NaN, text: 'a' }])).rejects.toEqual(
      invalid('INPUT_INVALID', /hits\[0\]/),
    );
  });
});

describe('Ranker: DeepPavlov torch_transformers_nll_ranker (rel_ranking_nll_bert_ru)', () => {
  // Reference: dp_reference.py `nll_rank`, after deeppavlov/models/torch_bert/torch_transformers_nll_ranking.py
  // (NLLRanking.forward at inference: fc([CLS]) raw, no softmax) and torch_transformers_preprocessor.py
  // `PathRankingPreprocessor` (pairs with their segment ids, max_seq_length 96).
  const nll = dpReference().rel_ranking_nll_bert_ru;
  afterAll(removeConvertedFixtures);

  it('scores (question, relation) pairs with the raw logit and the segment ids, within 1e-4', async () => {
    const ranker = await createRanker(await convertedFixture('rel_ranking_nll_bert_ru'), {
      backend: 'wasm',
      maxLength: 96,
    });
    try {
      expect([ranker.numLogits, ranker.scoring, ranker.tokenTypes]).toEqual([1, 'raw', 'segments']);
      for (const c of nll.cases) {
        const { scores } = await ranker.score(c.question, c.rels);
        scores.forEach((s, j) => {
          expect(Math.abs(s - (c.scores[j] as number))).toBeLessThanOrEqual(TOLERANCE);
        });
        const ranked = await ranker.rank(c.question, c.rels);
        expect(ranked.map((r) => r.index)).toEqual(
          c.scores
            .map((s, i) => ({ s, i }))
            .sort((a, b) => b.s - a.s)
            .map((e) => e.i),
        );
      }
    } finally {
      await ranker.dispose();
    }
  });
});

describe('Two-stage search: an embedding index top-k re-ranked by the cross-encoder', () => {
  const docs = new Map<string, string>([
    ['apt', 'use apt install to get the package'],
    ['weather', 'the weather is nice today'],
    ['reboot', 'reboot and try again'],
    ['snap', 'install the package with snap'],
    ['cats', 'cats sleep a lot'],
    ['football', 'the team won the football match'],
  ]);

  it('re-scores the VectorIndex hits by the ranker, keeping ids, first-stage positions and texts', async () => {
    const embedder = await createEmbedder(join(FIXTURES, 'bert-base'), { backend: 'wasm', normalize: true });
    const ranker = await createRanker(await convertedFixture('ranking_ubuntu_v2_torch_bert_uncased'), {
      backend: 'wasm',
      maxLength: 128,
    });
    try {
      const ids = [...docs.keys()];
      const vectors = await embedder.embed([...docs.values()]);
      const index = new VectorIndex(vectors.dim);
      index.addMany(ids, vectors);
      const query = 'how do i install a package on ubuntu';
      const hits = index.search((await embedder.embed([query])).data, 4);
      expect(hits).toHaveLength(4);
      const firstStage = hits.map((h) => ({ ...h, text: docs.get(h.id as string) as string }));
      const reranked = await ranker.rerank(query, firstStage, { topK: 3 });
      // The same scores as ranking the hits' texts directly, best first; index points into the hits.
      const direct = await ranker.rank(
        query,
        firstStage.map((h) => h.text),
      );
      expect(reranked).toEqual(
        direct.slice(0, 3).map((r) => ({
          id: firstStage[r.index]?.id,
          text: r.text,
          score: r.score,
          index: r.index,
          truncated: false,
        })),
      );
      for (const hit of reranked) expect(docs.get(hit.id as string)).toBe(hit.text);
      // And those are the DeepPavlov-semantics scores: the reference candidates keep their reference scores.
      for (const hit of reranked) {
        const j = ubuntu.candidates.indexOf(hit.text);
        if (j >= 0) expect(Math.abs(hit.score - (ubuntu.scores[j] as number))).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      await embedder.dispose();
      await ranker.dispose();
      removeConvertedFixtures();
    }
  });
});
