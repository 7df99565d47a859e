/**
 * DeepPavlov 1.7 configs end to end through `bertweb`'s public API (issue 13): a local server plays
 * files.deeppavlov.ai (models/fixtures/deeppavlov/files/, at the real URL paths) and the hub
 * (models/fixtures/deeppavlov/hub/<id>/ as `<id>/resolve/main/<file>`); each config, given by name or as
 * its JSON, is downloaded, unpacked, converted with its TRANSFORMER and cached, and the head runs with
 * the settings the config gives (recorded in the converted folder's head_settings.json), with no head
 * options passed. Results are compared with models/fixtures/deeppavlov/reference.json
 * (models/scripts/dp_reference.py: PyTorch re-implementations of the DeepPavlov 1.7 components, batch of
 * one; semantics and citations in docs/deeppavlov-1.7.md):
 * - NER: deeppavlov/models/preprocessors/torch_transformers_preprocessor.py
 *   `TorchTransformersNerPreprocessor` (the 1.7 word split, `max_subword_length`, `subword_mask_mode`) and
 *   deeppavlov/models/torch_bert/torch_transformers_sequence_tagger.py `TorchTransformersSequenceTagger`
 *   (`token_from_subtoken`, softmax probas, deeppavlov/models/torch_bert/crf.py `CRF` when `use_crf`);
 * - classification: torch_transformers_preprocessor.py `TorchTransformersPreprocessor`,
 *   deeppavlov/models/torch_bert/torch_transformers_classifier.py `TorchTransformersClassifierModel`
 *   (`return_probas`, `multilabel`, `is_binary`) and deeppavlov/models/classifiers/proba2labels.py;
 * - SQuAD: torch_transformers_preprocessor.py `TorchSquadTransformersPreprocessor`,
 *   deeppavlov/models/torch_bert/torch_transformers_squad.py `TorchTransformersSquad.__call__`;
 * - ranking: torch_transformers_preprocessor.py `TorchBertRankerPreprocessor`, `PathRankingPreprocessor`,
 *   deeppavlov/models/torch_bert/torch_bert_ranker.py `TorchBertRankerModel.__call__`,
 *   deeppavlov/models/torch_bert/torch_transformers_nll_ranking.py `NLLRanking.forward`;
 * - embedder: deeppavlov/models/preprocessors/transformers_bert_preprocessor.py
 *   `TransformersBertPreprocessor` and deeppavlov/models/embedders/transformers_embedder.py
 *   `TransformersBertEmbedder.__call__`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DP_FIXTURES, type DpReference, dpReference } from '../../classify/src/test-utils/deeppavlov-fixtures.js';
import { unpackArchive } from '../../convert/src/convert-files.js';
import { DEEPPAVLOV_1_7_CONFIGS } from '../../convert/src/deeppavlov/known-configs.js';
import { deepPavlovPlan } from '../../convert/src/deeppavlov/plan.js';
import { makeTar } from '../../convert/src/test-utils/archive-writers.js';
import { type ModelServer, startModelServer } from '../../core/src/sources/test-utils/index.js';
import { entitiesFromTags } from '../../tagging/src/entities.js';
import { parseTags } from '../../tagging/src/scheme.js';
import {
  type BertwebError,
  createClassifier,
  createEmbedder,
  createRanker,
  createReader,
  createTagger,
  type DeepPavlovSource,
  type Head,
  MemoryModelCache,
  type ModelCache,
} from './index.js';

const TOLERANCE = 1e-4;
const CONFIGS = join(import.meta.dirname, '../../../../shared/data/deeppavlov-1.7-configs');
const haveConfigs = existsSync(CONFIGS);
if (!haveConfigs) console.warn(`skipping the DeepPavlov config-object tests: ${CONFIGS} is absent`);

/** reference.json, with the parts the head tests' DpReference leaves out. */
type Reference = DpReference & {
  readonly ner_rus_bert: { readonly cases: readonly { readonly words: string[] }[] };
  readonly squad_ru_bert: {
    readonly split_case_max_seq_length_64: {
      readonly windows: string[];
      readonly window: number;
      readonly answer: string;
      readonly answer_start: number;
      readonly score: number;
    };
  };
  readonly bert_sentence_embedder: {
    readonly cases: readonly {
      readonly text: string;
      readonly tokens: string[];
      readonly subword_tokens: string[];
      readonly word_emb: number[][];
      readonly subword_emb: number[][];
      readonly max_emb: number[];
      readonly mean_emb: number[];
      readonly pooler_output: number[];
    }[];
  };
};
const reference = dpReference() as Reference;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A real 1.7 config JSON, read in place from shared/data. */
function realConfig(name: string): Record<string, unknown> {
  const file = walk(CONFIGS).find((p) => p.endsWith(`/${name}.json`));
  if (!file) throw new Error(`no ${name}.json under ${CONFIGS}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * What the server serves: every file under files/ at its path (the real files.deeppavlov.ai paths), and
 * every hub/<id>/<file> as the hub does, `<id>/resolve/main/<file>` (ids with and without an owner).
 */
function serverFiles(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const files = join(DP_FIXTURES, 'files');
  for (const path of walk(files)) out[relative(files, path)] = new Uint8Array(readFileSync(path));
  const hub = join(DP_FIXTURES, 'hub');
  for (const path of walk(hub)) {
    const rel = relative(hub, path);
    const cut = rel.lastIndexOf('/');
    out[`${rel.slice(0, cut)}/resolve/main/${rel.slice(cut + 1)}`] = new Uint8Array(readFileSync(path));
  }
  return out;
}

/** Bad tarballs built here, served under files.deeppavlov.ai-style paths the config objects point at. */
const BAD = {
  noWeights: 'v1/bad/ner_no_weights.tar.gz',
  shortTagDict: 'v1/bad/ner_short_tag_dict.tar.gz',
} as const;

let server: ModelServer;
beforeAll(async () => {
  const files = serverFiles();
  // ner_rus_bert's tarball with model.pth.tar dropped, and with a tag.dict of 3 tags for a 7-tag model.
  const members = await unpackArchive(
    new Blob([readFileSync(join(DP_FIXTURES, 'files/v1/ner/ner_rus_bert_torch_new.tar.gz'))]),
  );
  const bytes = async (name: string) => new Uint8Array(await (members.get(name) as Blob).arrayBuffer());
  files[BAD.noWeights] = gzipSync(makeTar([{ name: 'tag.dict', data: await bytes('tag.dict') }]));
  files[BAD.shortTagDict] = gzipSync(
    makeTar([
      { name: 'model.pth.tar', data: await bytes('model.pth.tar') },
      { name: 'tag.dict', data: new TextEncoder().encode('O\t10\nB-PER\t3\nI-PER\t2\n') },
    ]),
  );
  server = await startModelServer({ files, sha256Etag: true });
});
afterAll(async () => {
  await server?.close();
});

const dp = (deeppavlov: unknown, url = server.url): DeepPavlovSource => ({ deeppavlov, filesBaseUrl: url });
// fp32: the reference comparisons are at 1e-4 (on WASM the default dtype is q8; see the q8 test below).
const load = (cache: ModelCache = new MemoryModelCache(), url = server.url) => ({
  hubBaseUrl: url,
  backend: 'wasm' as const,
  dtype: 'fp32' as const,
  cache,
});

/** Worst absolute deviation from the reference, per model (printed at the end for the report). */
const worst = new Map<string, number>();
function deviation(model: string, got: ArrayLike<number> | null | undefined, want: readonly number[]): number {
  expect(got?.length).toBe(want.length);
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs((got?.[i] ?? Number.NaN) - (want[i] as number)));
  if (Number.isNaN(d)) d = Number.POSITIVE_INFINITY;
  worst.set(model, Math.max(worst.get(model) ?? 0, d));
  return d;
}
afterAll(() => {
  if (worst.size > 0) {
    console.info(
      `worst deviation from reference.json per model:\n${[...worst].map(([m, d]) => `  ${m}: ${d.toExponential(2)}`).join('\n')}`,
    );
  }
});

async function disposing<H extends Head, T>(head: H, run: (head: H) => Promise<T>): Promise<T> {
  try {
    return await run(head);
  } finally {
    await head.dispose();
  }
}

describe('DeepPavlov 1.7 configs by name, with the settings the config gives (reference within 1e-4)', () => {
  it('ner_rus_bert: the 1.7 word split, max_subword_length 15, tag.dict order, no CRF; tags and probas', async () => {
    const ref = reference.ner_rus_bert;
    await disposing(await createTagger(dp('ner_rus_bert'), load()), async (tagger) => {
      expect(tagger.backend.converted).toMatchObject({ config: 'ner_rus_bert', cached: false });
      expect(tagger.labels).toEqual(ref.tags);
      expect(tagger.crf).toBeUndefined();
      expect([tagger.maxSubwordPieces, tagger.subwordMaskMode, tagger.wordSplit, tagger.maxLength]).toEqual([
        15,
        'first',
        'deeppavlov-1.7',
        512,
      ]);
      const texts = ref.cases.map((c) => c.text);
      // Dates, times, e-mails, "т.е.", decimals split as DeepPavlov 1.7 splits them; a word of more
      // than 15 subtokens becomes one [UNK].
      const encoded = await tagger.encode(texts);
      encoded.forEach((e, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        expect(e.words.map((w) => w.text)).toEqual(c.words);
        expect(e.windows.map((w) => w.tokens)).toEqual([c.subword_tokens]);
      });
      expect(ref.cases.flatMap((c) => c.words)).toEqual(
        expect.arrayContaining(['10.05.2023', '12:30', 'ivan@mail.ru']),
      );
      expect(ref.cases.some((c) => c.subword_tokens.includes('[UNK]'))).toBe(true);
      const tagged = await tagger.tagWords(
        ref.cases.map((c) => c.words),
        { probabilities: true },
      );
      tagged.forEach((r, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        expect(r.tags).toEqual(c.tags);
        expect(deviation('ner_rus_bert', r.probabilities, c.probas.flat())).toBeLessThanOrEqual(TOLERANCE);
      });
      // tag() reads the same words: its entities are DeepPavlov's tags merged into spans.
      const entities = await tagger.tag(texts);
      entities.forEach((found, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        const words = (encoded[i] as (typeof encoded)[number]).words;
        const expected = entitiesFromTags(
          c.text,
          words,
          parseTags(c.tags, 'BIO'),
          (tagged[i] as { scores: Float32Array }).scores,
        );
        expect(found.map(({ score: _s, ...e }) => e)).toEqual(expected.map(({ score: _s, ...e }) => e));
        for (const e of found) expect(e.text).toBe(c.text.slice(e.start, e.end));
      });
    });
  });

  it('ner_ontonotes_bert_mult: 37 tags decoded with the CRF of model_crf.pth.tar', async () => {
    const ref = reference.ner_ontonotes_bert_mult;
    await disposing(await createTagger(dp('ner_ontonotes_bert_mult'), load()), async (tagger) => {
      expect(tagger.labels).toEqual(ref.tags);
      expect(tagger.crf?.transitions).toHaveLength(37);
      const tagged = await tagger.tagWords(
        ref.cases.map((c) => c.words),
        { probabilities: true },
      );
      tagged.forEach((r, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        expect(r.tags).toEqual(c.tags);
        expect(deviation('ner_ontonotes_bert_mult', r.probabilities, c.probas.flat())).toBeLessThanOrEqual(TOLERANCE);
      });
      // The CRF path differs from the argmax on two texts: the CRF is really in use.
      expect(ref.cases.filter((c) => c.tags.join() !== c.argmax_tags.join())).toHaveLength(2);
      const encoded = await tagger.encode(ref.cases.map((c) => c.text));
      encoded.forEach((e, i) => {
        expect(e.words.map((w) => w.text)).toEqual(ref.cases[i]?.words);
      });
    });
  });

  it('rusentiment_bert: softmax over classes.dict (return_probas), the best label is proba2labels max_proba', async () => {
    const ref = reference.rusentiment_bert;
    await disposing(await createClassifier(dp('rusentiment_bert'), load()), async (classifier) => {
      expect([classifier.activation, classifier.labels, classifier.maxLength]).toEqual(['softmax', ref.classes, 64]);
      const results = await classifier.classify(ref.cases.map((c) => c.text));
      results.forEach((result, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        const byLabel = new Map(result.labels.map((l) => [l.label, l.score]));
        expect(result.labels).toHaveLength(5);
        const probas = ref.classes.map((l) => byLabel.get(l) ?? Number.NaN);
        expect(deviation('rusentiment_bert', probas, c.probas)).toBeLessThanOrEqual(TOLERANCE);
        expect(result.labels[0]?.label).toBe(c.label);
      });
    });
  });

  it('topics_distilbert_base_uncased: multilabel sigmoid, the classes above confidence_threshold 0.5', async () => {
    const ref = reference.topics_distilbert_base_uncased;
    await disposing(await createClassifier(dp('topics_distilbert_base_uncased'), load()), async (classifier) => {
      expect([classifier.activation, classifier.threshold, classifier.labels, classifier.maxLength]).toEqual([
        'sigmoid',
        0.5,
        ref.classes,
        128,
      ]);
      const texts = ref.cases.map((c) => c.text);
      const results = await classifier.classify(texts);
      const all = await classifier.classify(texts, { threshold: -1 });
      results.forEach((result, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        // proba2labels lists the classes in index order; bertweb best first.
        expect(result.labels.map((l) => l.label).sort()).toEqual([...c.labels].sort());
        const byLabel = new Map((all[i]?.labels ?? []).map((l) => [l.label, l.score]));
        const probas = ref.classes.map((l) => byLabel.get(l) ?? Number.NaN);
        expect(deviation('topics_distilbert_base_uncased', probas, c.probas)).toBeLessThanOrEqual(TOLERANCE);
      });
    });
  });

  it('squad_ru_bert: answer, answer_start and score (1 - pStart[CLS] pEnd[CLS]) with max_seq_length 384', async () => {
    const ref = reference.squad_ru_bert;
    await disposing(await createReader(dp('squad_ru_bert'), load()), async (reader) => {
      expect([reader.answerRule, reader.maxLength]).toEqual(['deeppavlov', ref.max_seq_length]);
      for (const c of ref.cases) {
        const answer = await reader.answer(c.question, c.context);
        expect(answer).toMatchObject({ text: c.answer, start: c.answer_start, noAnswer: false });
        expect(answer.end).toBe(c.answer_start + c.answer.length);
        expect(deviation('squad_ru_bert', [answer.score], [c.score])).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  });

  it('ranking_ubuntu_v2_torch_bert_uncased: softmax column 1 with zero segment ids, max_seq_length 128', async () => {
    const [c] = reference.ranking_ubuntu_v2_torch_bert_uncased.cases;
    if (!c) throw new Error('reference.json has no ranking case');
    await disposing(await createRanker(dp('ranking_ubuntu_v2_torch_bert_uncased'), load()), async (ranker) => {
      expect([ranker.numLogits, ranker.scoring, ranker.tokenTypes, ranker.maxLength]).toEqual([
        2,
        'softmax',
        'zeros',
        128,
      ]);
      const { scores } = await ranker.score(c.context, c.candidates);
      expect(deviation('ranking_ubuntu_v2_torch_bert_uncased', scores, c.scores)).toBeLessThanOrEqual(TOLERANCE);
      // What passing the segment ids would give differs by far more than the tolerance.
      expect(
        Math.max(...c.scores.map((s, j) => Math.abs(s - (c.scores_if_token_types_passed[j] as number)))),
      ).toBeGreaterThan(0.1);
    });
  });

  it('rel_ranking_nll_bert_ru: the raw fc([CLS]) score of (question, relation) pairs, max_seq_length 96', async () => {
    const nll = reference.rel_ranking_nll_bert_ru;
    await disposing(await createRanker(dp('rel_ranking_nll_bert_ru'), load()), async (ranker) => {
      expect([ranker.numLogits, ranker.scoring, ranker.tokenTypes, ranker.maxLength]).toEqual([
        1,
        'raw',
        'segments',
        96,
      ]);
      for (const c of nll.cases) {
        const { scores } = await ranker.score(c.question, c.rels);
        expect(deviation('rel_ranking_nll_bert_ru', scores, c.scores)).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  });

  it('bert_sentence_embedder: the tarball is the whole model; max_emb, mean_emb, pooler_output and the token outputs', async () => {
    const ref = reference.bert_sentence_embedder;
    await disposing(await createEmbedder(dp('bert_sentence_embedder'), load()), async (embedder) => {
      // The config outputs max_emb, mean_emb and pooler_output; the embedder's own default pooling is
      // mean (DeepPavlov's mean_emb: every subtoken, [CLS] and [SEP] included), the others by option.
      expect([embedder.pooling, embedder.normalize, embedder.maxLength, embedder.hasPooler]).toEqual([
        'mean',
        false,
        512,
        true,
      ]);
      const texts = ref.cases.map((c) => c.text);
      const dim = embedder.dim;
      const rows = (m: { data: Float32Array }, i: number) => m.data.subarray(i * dim, (i + 1) * dim);
      const mean = await embedder.embed(texts);
      const max = await embedder.embed(texts, { pooling: 'max' });
      const pooler = await embedder.embed(texts, { pooling: 'pooler' });
      const detailed = await embedder.embedDetailed(texts);
      ref.cases.forEach((c, i) => {
        const d = detailed[i] as (typeof detailed)[number];
        expect(deviation('bert_sentence_embedder', rows(mean, i), c.mean_emb)).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('bert_sentence_embedder', rows(max, i), c.max_emb)).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('bert_sentence_embedder', rows(pooler, i), c.pooler_output)).toBeLessThanOrEqual(TOLERANCE);
        expect(d.tokens).toEqual(c.tokens);
        expect(d.subtokens).toEqual(c.subword_tokens);
        expect(deviation('bert_sentence_embedder', d.sentenceMax, c.max_emb)).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('bert_sentence_embedder', d.sentenceMean, c.mean_emb)).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('bert_sentence_embedder', d.pooler, c.pooler_output)).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('bert_sentence_embedder', d.tokenEmbeddings, c.word_emb.flat())).toBeLessThanOrEqual(
          TOLERANCE,
        );
        expect(deviation('bert_sentence_embedder', d.subtokenEmbeddings, c.subword_emb.flat())).toBeLessThanOrEqual(
          TOLERANCE,
        );
      });
    });
  });
});

describe.skipIf(!haveConfigs)('DeepPavlov configs given as their JSON (read from shared/data)', () => {
  it('danetqa_binary: russian_superglue_danetqa_rubert with BINARY_CLASSIFICATION true, one sigmoid logit', async () => {
    const ref = reference.danetqa_binary;
    const json = realConfig('russian_superglue_danetqa_rubert');
    const metadata = json.metadata as { variables: Record<string, unknown> };
    expect(metadata.variables.BINARY_CLASSIFICATION).toBe(false);
    metadata.variables.BINARY_CLASSIFICATION = true;
    await disposing(await createClassifier(dp(json), load()), async (classifier) => {
      expect([classifier.isBinary, classifier.activation, classifier.threshold, classifier.labels]).toEqual([
        true,
        'sigmoid',
        0.5,
        ref.classes,
      ]);
      const results = await classifier.classify(ref.cases.map((c) => [c.text_a, c.text_b] as [string, string]));
      results.forEach((result, i) => {
        const c = ref.cases[i] as (typeof ref.cases)[number];
        const byLabel = new Map(result.labels.map((l) => [l.label, l.score]));
        expect(deviation('danetqa_binary', [byLabel.get('True') as number], [c.probas])).toBeLessThanOrEqual(TOLERANCE);
        expect(deviation('danetqa_binary', [byLabel.get('False') as number], [1 - c.probas])).toBeLessThanOrEqual(
          TOLERANCE,
        );
        // The decision at 0.5 (proba2labels confidence_threshold), not proba2labels' max_proba on the one
        // sigmoid, which always gives classes[0] (label_deeppavlov): see packages/classify/README.md.
        expect(result.labels[0]?.label).toBe(c.label_threshold_0_5);
      });
      expect(ref.cases.map((c) => c.label_threshold_0_5)).toEqual(['False', 'True']);
    });
  });

  it('squad_ru_bert with max_seq_length 64: the answer on the chunk DeepPavlov chose', async () => {
    const split = reference.squad_ru_bert.split_case_max_seq_length_64;
    const json = realConfig('squad_ru_bert');
    const pipe = (json.chainer as { pipe: Record<string, unknown>[] }).pipe;
    const pre = pipe.find((c) => c.class_name === 'torch_squad_transformers_preprocessor') as Record<string, unknown>;
    expect(pre.max_seq_length).toBe(384);
    pre.max_seq_length = 64;
    // DeepPavlov splits a long context into sentence chunks (dropping a last sentence that ends with "."),
    // bertweb into overlapping windows; on the chunk DeepPavlov chose, the padded length 64 gives its span.
    expect(split.windows).toHaveLength(2);
    const chunk = split.windows[split.window] as string;
    const question = reference.squad_ru_bert.cases[0]?.question as string;
    await disposing(await createReader(dp(json), load()), async (reader) => {
      expect([reader.answerRule, reader.maxLength]).toEqual(['deeppavlov', 64]);
      const answer = await reader.answer(question, chunk);
      expect(answer).toMatchObject({ text: split.answer, start: split.answer_start, noAnswer: false });
      expect(deviation('squad_ru_bert (max_seq_length 64)', [answer.score], [split.score])).toBeLessThanOrEqual(
        TOLERANCE,
      );
    });
  });

  it('two configs over one tarball, in one cache, each run with their own settings', async () => {
    // squad_ru_bert by name (max_seq_length 384), then its JSON with max_seq_length 64: one tarball URL,
    // one conversion cache; the settings must follow the config, not whichever was converted first.
    const cache = new MemoryModelCache();
    const json = realConfig('squad_ru_bert');
    const pipe = (json.chainer as { pipe: Record<string, unknown>[] }).pipe;
    (
      pipe.find((c) => c.class_name === 'torch_squad_transformers_preprocessor') as Record<string, unknown>
    ).max_seq_length = 64;
    const byName = await createReader(dp('squad_ru_bert'), load(cache));
    expect(byName.maxLength).toBe(384);
    await byName.dispose();
    const edited = await createReader(dp(json), load(cache));
    expect(edited.maxLength).toBe(64);
    await edited.dispose();
    const again = await createReader(dp('squad_ru_bert'), load(cache));
    expect([again.maxLength, again.backend.converted?.cached]).toEqual([384, true]);
    await again.dispose();
  });

  it('ner_rus_bert as a JSON object and as JSON text gives what the name gives', async () => {
    const ref = reference.ner_rus_bert;
    const json = realConfig('ner_rus_bert');
    for (const config of [json, JSON.stringify(json)]) {
      await disposing(await createTagger(dp(config), load()), async (tagger) => {
        expect([tagger.labels, tagger.maxSubwordPieces, tagger.wordSplit]).toEqual([ref.tags, 15, 'deeppavlov-1.7']);
        const tagged = await tagger.tagWords(
          ref.cases.map((c) => c.words),
          { probabilities: true },
        );
        tagged.forEach((r, i) => {
          const c = ref.cases[i] as (typeof ref.cases)[number];
          expect(r.tags).toEqual(c.tags);
          expect(deviation('ner_rus_bert', r.probabilities, c.probas.flat())).toBeLessThanOrEqual(TOLERANCE);
        });
      });
    }
  });
});

describe('the dtype a DeepPavlov config converts to', () => {
  it('on WASM without a dtype: q8 (onnx/model_quantized.onnx), close to the reference but not within 1e-4', async () => {
    const ref = reference.ner_rus_bert;
    const { dtype: _fp32, ...options } = load();
    await disposing(await createTagger(dp('ner_rus_bert'), options), async (tagger) => {
      expect(tagger.backend).toMatchObject({ backend: 'wasm', dtype: 'q8', file: 'onnx/model_quantized.onnx' });
      const tagged = await tagger.tagWords(
        ref.cases.map((c) => c.words),
        { probabilities: true },
      );
      let d = 0;
      tagged.forEach((r, i) => {
        const want = (ref.cases[i] as (typeof ref.cases)[number]).probas.flat();
        want.forEach((p, k) => {
          d = Math.max(d, Math.abs((r.probabilities?.[k] ?? Number.NaN) - p));
        });
      });
      // Measured 2.6e-2 on this random-weight fixture: q8 is a real quantization, and still close.
      expect(d).toBeGreaterThan(TOLERANCE);
      expect(d).toBeLessThan(0.1);
    });
  });
});

describe('the conversion cache of a DeepPavlov config', () => {
  /** Requests for the tarball or any hub file (config.json, vocab.txt, ... of the TRANSFORMER). */
  const modelRequests = (s: ModelServer) =>
    s.requests
      .filter((r) => r.path.startsWith('v1/ner/') || r.path.includes('/resolve/'))
      .map((r) => `${r.method} ${r.path}`);

  it('a second load with the same cache makes no tarball or hub request, and works with the server stopped', async () => {
    // A server of its own, to stop it.
    const own = await startModelServer({ files: serverFiles(), sha256Etag: true });
    const cache = new MemoryModelCache();
    const ref = reference.ner_rus_bert;
    const run = async (tagger: Awaited<ReturnType<typeof createTagger>>) =>
      disposing(tagger, async (t) => {
        const [r] = await t.tagWords([ref.cases[0]?.words as string[]], { probabilities: true });
        expect(r?.tags).toEqual(ref.cases[0]?.tags);
        return t.backend.converted;
      });
    try {
      expect(await run(await createTagger(dp('ner_rus_bert', own.url), load(cache, own.url)))).toMatchObject({
        config: 'ner_rus_bert',
        cached: false,
      });
      const first = modelRequests(own);
      expect(first).toContain('GET v1/ner/ner_rus_bert_torch_new.tar.gz');
      // The base model's config and tokenizer come from the hub; its weights are never downloaded.
      expect(first).toContain('GET DeepPavlov/rubert-base-cased/resolve/main/config.json');
      expect(first.filter((r) => r.includes('pytorch_model.bin'))).toEqual([]);
      own.clearRequests();
      expect(await run(await createTagger(dp('ner_rus_bert', own.url), load(cache, own.url)))).toMatchObject({
        cached: true,
      });
      // Nothing is downloaded again: no GET of the tarball, no hub request. What remains is the
      // conversion cache's version check of the tarball (a HEAD, packages/core/src/runtime/conversion.ts
      // `currentStat`), which converts again if the file on the server changed.
      expect(modelRequests(own)).toEqual(['HEAD v1/ner/ner_rus_bert_torch_new.tar.gz']);
    } finally {
      await own.close();
    }
    // Offline: nothing listens at that URL any more.
    const offline = await createTagger(dp('ner_rus_bert', own.url), { ...load(cache, own.url), retries: 0 });
    expect(await run(offline)).toMatchObject({ cached: true });
  });
});

describe('DeepPavlov config sources that cannot run fail with a coded error', () => {
  const noRequests = async (make: () => Promise<unknown>) => {
    const before = server.requests.length;
    const error = (await make().then(
      () => undefined,
      (e: unknown) => e,
    )) as BertwebError | undefined;
    expect(server.requests.length).toBe(before);
    return error;
  };

  it("a config of another head's task is INPUT_INVALID naming both heads, before any request", async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'ner_rus_bert',
        () => createClassifier(dp('ner_rus_bert'), load()),
        /ner_rus_bert .* tagger head, not the classifier/,
      ],
      ['squad_ru_bert', () => createTagger(dp('squad_ru_bert'), load()), /reader head, not the tagger/],
      ['rusentiment_bert', () => createReader(dp('rusentiment_bert'), load()), /classifier head, not the reader/],
      [
        'ranking_ubuntu_v2_torch_bert_uncased',
        () => createClassifier(dp('ranking_ubuntu_v2_torch_bert_uncased'), load()),
        /ranker head, not the classifier/,
      ],
      [
        'bert_sentence_embedder',
        () => createRanker(dp('bert_sentence_embedder'), load()),
        /embedder head, not the ranker/,
      ],
      [
        'rel_ranking_nll_bert_ru',
        () => createEmbedder(dp('rel_ranking_nll_bert_ru'), load()),
        /ranker head, not the embedder/,
      ],
    ];
    for (const [config, make, message] of cases) {
      const error = await noRequests(make);
      expect(error).toMatchObject({ name: 'BertwebError', code: 'INPUT_INVALID', details: { config } });
      expect(error?.message).toMatch(message);
    }
  });

  it('an unknown config name is INPUT_INVALID, before any request', async () => {
    const error = await noRequests(() => createTagger(dp('ner_rus_bert_v2'), load()));
    expect(error).toMatchObject({ code: 'INPUT_INVALID', details: { config: 'ner_rus_bert_v2' } });
    expect(error?.message).toMatch(/no DeepPavlov 1\.7 BERT-family config named "ner_rus_bert_v2"/);
    expect(await noRequests(() => createTagger(dp(42), load()))).toMatchObject({ code: 'INPUT_INVALID' });
    expect(await noRequests(() => createTagger(dp('{"chainer": '), load()))).toMatchObject({ code: 'INPUT_INVALID' });
  });

  it.skipIf(!haveConfigs)('a config with a component bertweb does not have is UNSUPPORTED naming it', async () => {
    const json = realConfig('ner_rus_bert');
    (json.chainer as { pipe: unknown[] }).pipe.push({ class_name: 'fancy_entity_linker', in: ['y_pred'], out: ['z'] });
    const error = await noRequests(() => createTagger(dp(json), load()));
    expect(error).toMatchObject({ code: 'UNSUPPORTED', details: { component: 'fancy_entity_linker' } });
    expect(error?.message).toMatch(/component "fancy_entity_linker" is not supported/);
    // And a known config bertweb cannot run, by name.
    expect(await noRequests(() => createClassifier(dp('russian_superglue_parus_rubert'), load()))).toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/torch_transformers_multiplechoice_preprocessor/),
    });
  });

  /** ner_rus_bert's JSON with its download pointing at one of the bad tarballs. */
  const withTarball = (path: string) => {
    const json = realConfig('ner_rus_bert');
    const download = (json.metadata as { download: { url: string }[] }).download;
    (download[0] as { url: string }).url = `http://files.deeppavlov.ai/${path}`;
    return json;
  };

  it.skipIf(!haveConfigs)('a tarball without the weights is MODEL_INVALID naming the missing file', async () => {
    const cache = new MemoryModelCache();
    const error = (await createTagger(dp(withTarball(BAD.noWeights)), load(cache)).catch(
      (e: unknown) => e,
    )) as BertwebError;
    expect(error).toMatchObject({ name: 'BertwebError', code: 'MODEL_INVALID', details: { file: 'model.pth.tar' } });
    expect(error.message).toMatch(/ner_no_weights\.tar\.gz has no model\.pth\.tar/);
    expect((await cache.list()).filter((e) => e.url.includes('/.bertweb/converted/'))).toEqual([]);
  });

  it.skipIf(!haveConfigs)(
    'a tag.dict whose size does not match the classifier is MODEL_INVALID naming both sizes',
    async () => {
      const cache = new MemoryModelCache();
      const error = (await createTagger(dp(withTarball(BAD.shortTagDict)), load(cache)).catch(
        (e: unknown) => e,
      )) as BertwebError;
      expect(error).toMatchObject({ name: 'BertwebError', code: 'MODEL_INVALID' });
      expect(error.message).toMatch(/tag\.dict lists 3 labels but the classifier has 7 outputs/);
      expect((await cache.list()).filter((e) => e.url.includes('/.bertweb/converted/'))).toEqual([]);
    },
  );
});

describe("every known config's head options pass its head's option checks", () => {
  const factories = {
    tagger: createTagger,
    classifier: createClassifier,
    reader: createReader,
    ranker: createRanker,
    embedder: createEmbedder,
  } as const;
  const names = Object.keys(DEEPPAVLOV_1_7_CONFIGS);
  const planOf = (name: string) => {
    try {
      return deepPavlovPlan(name);
    } catch {
      return undefined;
    }
  };
  const planned = names.filter((name) => planOf(name) !== undefined);

  it('covers the 45 configs: 38 plans, 7 UNSUPPORTED (no published weights, or a component bertweb lacks)', () => {
    expect(names).toHaveLength(45);
    expect(planned).toHaveLength(38);
    const refused = names.filter((name) => {
      try {
        deepPavlovPlan(name);
        return false;
      } catch (error) {
        expect(error).toMatchObject({ name: 'BertwebError', code: 'UNSUPPORTED', details: { config: name } });
        return true;
      }
    });
    expect(refused.sort()).toEqual([
      'boolqa_rubert',
      'glue_mnli_cased_bert_torch',
      'glue_mnli_mm_cased_bert_torch',
      'glue_rte_cased_bert_torch',
      'qa_nq_psgcls_bert',
      'russian_superglue_parus_rubert',
      'russian_superglue_rucos_rubert',
    ]);
  });

  // defineHead (packages/core/src/head/head.ts) runs the option checks (`check.options`, then
  // `definition.check`) before `throwIfAborted`: with an aborted signal, options that pass give
  // ABORTED, options that do not give INPUT_INVALID, and neither loads anything.
  const aborted = AbortSignal.abort();
  it.each(planned)('%s', async (name) => {
    const plan = deepPavlovPlan(name, { filesBaseUrl: server.url });
    const create = factories[plan.head] as (s: unknown, o: object) => Promise<unknown>;
    const before = server.requests.length;
    await expect(create(dp(name), { ...plan.headOptions, ...load(), signal: aborted })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    // The same options with one the head does not have: the checks do run first.
    await expect(create(dp(name), { ...plan.headOptions, notAnOption: 1, signal: aborted })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/notAnOption/),
    });
    // And one of its own options with a value of the wrong type: the head's own check runs first too.
    await expect(create(dp(name), { ...plan.headOptions, maxLength: 'long', signal: aborted })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/maxLength/),
    });
    expect(server.requests.length).toBe(before);
  });
});
