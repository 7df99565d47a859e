/**
 * The ranking head (a cross-encoder): a query and each candidate encoded as one text pair, one relevance
 * score per pair. DeepPavlov 1.7 semantics (docs/deeppavlov-1.7.md, "Ranking"):
 * - `torch_bert_ranker` (`deeppavlov/models/torch_bert/torch_bert_ranker.py`, 2 logits): the model is
 *   called with `token_type_ids=None`, so it sees all-zero segment ids although the pair has them; the
 *   score is `softmax(logits)[1]`; a batch is a queries x candidates matrix;
 * - `torch_transformers_nll_ranker` (`rel_ranking_nll_bert_ru`, 1 logit): the pair's segment ids are
 *   passed and the score is the raw logit (softmax only appears in its training loss).
 */

// The head skeleton's types (core.Head, core.HeadContext, ...), named where they are used.
import type * as core from '@bertweb/core';
import { BertwebError, CALL_OPTION_KEYS, check, defineHead, ModelHead, TRUNCATION_STRATEGIES } from '@bertweb/core';

/**
 * How a ranker turns the model's logits into a score. The model has 1 logit, or 2 (not relevant,
 * relevant); the score reads the last one:
 * - `'softmax'`: `softmax(logits)[1]`, the probability of "relevant" (2 logits only; DeepPavlov's
 *   `torch_bert_ranker`);
 * - `'sigmoid'`: `sigmoid(logit)` (sentence-transformers' CrossEncoder on 1-logit models);
 * - `'raw'`: the logit itself (DeepPavlov's NLL ranker).
 *
 * @example
 * ```ts
 * const ranker = await createRanker(source, { scoring: 'sigmoid' as RankerScoring });
 * ```
 */
export type RankerScoring = 'softmax' | 'sigmoid' | 'raw';

/**
 * Which segment ids the model sees for a (query, candidate) pair:
 * - `'zeros'`: all 0, as DeepPavlov's `torch_bert_ranker` calls the model (`token_type_ids=None`);
 * - `'segments'`: the pair's own (0 for the query, 1 for the candidate), as Hugging Face cross-encoders
 *   and DeepPavlov's NLL ranker do.
 *
 * Models without a `token_type_ids` input (DistilBERT) are unaffected.
 *
 * @example
 * ```ts
 * const ranker = await createRanker('cross-encoder/ms-marco-MiniLM-L-6-v2', { tokenTypes: 'segments' as PairTokenTypes });
 * ```
 */
export type PairTokenTypes = 'zeros' | 'segments';

/**
 * The ranker's defaults, which depend on the model's logits. Two logits follow DeepPavlov's
 * `torch_bert_ranker` (softmax column 1, zero segment ids), one logit its NLL ranker (raw logit, the
 * pair's segment ids: also what Hugging Face cross-encoders were trained with, whose sigmoid does not
 * change the order). Pairs longer than `maxLength` are cut `longest_first`.
 *
 * @example
 * ```ts
 * RANKER_DEFAULTS.twoLogits.tokenTypes; // 'zeros'
 * ```
 */
export const RANKER_DEFAULTS: {
  readonly twoLogits: { readonly scoring: RankerScoring; readonly tokenTypes: PairTokenTypes };
  readonly oneLogit: { readonly scoring: RankerScoring; readonly tokenTypes: PairTokenTypes };
  readonly truncation: core.TruncationStrategy;
} = {
  twoLogits: { scoring: 'softmax', tokenTypes: 'zeros' },
  oneLogit: { scoring: 'raw', tokenTypes: 'segments' },
  truncation: 'longest_first',
};

/**
 * Options of {@link createRanker}: model loading plus how the head scores pairs.
 *
 * @example
 * ```ts
 * // DeepPavlov's ranking_ubuntu_v2_torch_bert_uncased: max_seq_length 128
 * const ranker = await createRanker(folder, { backend: 'wasm', maxLength: 128 });
 * ```
 */
export interface RankerOptions extends core.HeadOptions {
  /** How logits become the score; default {@link RANKER_DEFAULTS} for the model's logits. */
  readonly scoring?: RankerScoring;
  /** Segment ids the model sees; default {@link RANKER_DEFAULTS} for the model's logits. */
  readonly tokenTypes?: PairTokenTypes;
  /** Max tokens per pair, special tokens included (DeepPavlov's `max_seq_length`); default and upper bound the model's limit. */
  readonly maxLength?: number;
  /** How a pair longer than `maxLength` is cut (Hugging Face names); default `longest_first`. */
  readonly truncation?: core.TruncationStrategy;
  /** Default number of candidates {@link Ranker.rank} and {@link Ranker.rerank} return (default: all). */
  readonly topK?: number;
}

/**
 * Per-call options of the ranker's methods; progress counts pairs.
 *
 * @example
 * ```ts
 * await ranker.rank(query, candidates, { topK: 3, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface RankOptions extends core.CallOptions {
  /** Overrides the head's `topK` ({@link Ranker.rank}, {@link Ranker.rerank}; not {@link Ranker.score}). */
  readonly topK?: number;
}

/**
 * One scored candidate of {@link Ranker.rank}.
 *
 * @example
 * ```ts
 * const [best]: RankedCandidate[] = await ranker.rank('how do I install a package?', candidates);
 * candidates[best.index] === best.text; // true
 * ```
 */
export interface RankedCandidate {
  /** Position of the candidate in the `candidates` argument. */
  readonly index: number;
  readonly text: string;
  readonly score: number;
  /** True when the (query, candidate) pair was longer than `maxLength` tokens and was cut. */
  readonly truncated: boolean;
}

/**
 * Scores in input order ({@link Ranker.score}).
 *
 * @example
 * ```ts
 * const { scores, truncated }: CandidateScores = await ranker.score(query, candidates);
 * ```
 */
export interface CandidateScores {
  /** `scores[j]`: candidate j. */
  readonly scores: Float64Array;
  readonly truncated: boolean[];
}

/**
 * A queries x candidates score matrix ({@link Ranker.rankMany}), row-major, as DeepPavlov's
 * `torch_bert_ranker` returns for a batch of contexts.
 *
 * @example
 * ```ts
 * const m: ScoreMatrix = await ranker.rankMany(queries, candidates);
 * m.data[i * m.cols + j]; // query i, candidate j
 * ```
 */
export interface ScoreMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** `truncated[i * cols + j]`: the pair (query i, candidate j) was cut. */
  readonly truncated: boolean[];
}

/**
 * A first-stage hit to re-rank: an id (an embedding index's `SearchHit.id`) and the text it stands for.
 * Other fields (the first-stage `score`...) are allowed and ignored.
 *
 * @example
 * ```ts
 * const hits: RerankInput[] = index.search(queryVector, 50).map((h) => ({ id: h.id, text: docs.get(h.id)! }));
 * ```
 */
export interface RerankInput {
  readonly id: string | number;
  readonly text: string;
}

/**
 * One re-ranked hit ({@link Ranker.rerank}).
 *
 * @example
 * ```ts
 * const [{ id, score, index }]: RerankedHit[] = await ranker.rerank(query, hits, { topK: 5 });
 * ```
 */
export interface RerankedHit {
  readonly id: string | number;
  readonly text: string;
  /** The cross-encoder's score. */
  readonly score: number;
  /** Position of the hit in the `hits` argument (its first-stage rank). */
  readonly index: number;
  readonly truncated: boolean;
}

/**
 * A cross-encoder ranker, in-thread or through a worker. Create it with {@link createRanker}.
 *
 * Empty input: no candidates give `[]` (an empty matrix) without running the model; empty strings are
 * scored as they are (the model sees `[CLS] [SEP] [SEP]` and what is left). A pair longer than
 * `maxLength` tokens is cut (`truncation`, default `longest_first`) and flagged `truncated`.
 *
 * @example
 * ```ts
 * const ranker: Ranker = await createRanker(folder);
 * const ranked = await ranker.rank('how do i install a package on ubuntu', ['use apt', 'nice weather']);
 * ranked[0]; // { index: 0, text: 'use apt', score: 0.83, truncated: false }
 * ```
 */
export interface Ranker extends core.Head {
  readonly scoring: RankerScoring;
  readonly tokenTypes: PairTokenTypes;
  /** Max tokens per pair, special tokens included. */
  readonly maxLength: number;
  readonly truncation: core.TruncationStrategy;
  readonly topK: number | undefined;
  /** Logits per pair: 1 or 2. */
  readonly numLogits: number;
  /**
   * The candidates scored against the query, best first (ties: input order), at most `topK`.
   *
   * @example
   * ```ts
   * const top3 = await ranker.rank(query, candidates, { topK: 3 });
   * top3.map((c) => c.index); // positions in candidates
   * ```
   */
  rank(query: string, candidates: readonly string[], options?: RankOptions | null): Promise<RankedCandidate[]>;
  /**
   * Every candidate's score against the query, in input order.
   *
   * @example
   * ```ts
   * const { scores } = await ranker.score(query, candidates); // scores[j]: candidates[j]
   * ```
   */
  score(query: string, candidates: readonly string[], options?: core.CallOptions | null): Promise<CandidateScores>;
  /**
   * Every query against every candidate, in one batched run: a `queries.length x candidates.length`
   * matrix (DeepPavlov's contexts x candidates output). Row i equals `score(queries[i], candidates)`.
   *
   * @example
   * ```ts
   * const m = await ranker.rankMany(['q1', 'q2'], ['a', 'b', 'c']); // m.rows 2, m.cols 3
   * ```
   */
  rankMany(
    queries: readonly string[],
    candidates: readonly string[],
    options?: core.CallOptions | null,
  ): Promise<ScoreMatrix>;
  /**
   * Re-scores the hits of a first stage (an embedding index's top-k, with their texts) by this
   * cross-encoder: the two-stage search. Best first (ties: first-stage order), at most `topK`.
   *
   * @example
   * ```ts
   * const hits = index.search((await embedder.embed([query])).data, 50);
   * const reranked = await ranker.rerank(query, hits.map((h) => ({ id: h.id, text: texts.get(h.id)! })), { topK: 5 });
   * ```
   */
  rerank(query: string, hits: readonly RerankInput[], options?: RankOptions | null): Promise<RerankedHit[]>;
}

/** The head's settings: its data properties, resolved from the options and the model. */
type RankerSettings = Pick<Ranker, 'scoring' | 'tokenTypes' | 'maxLength' | 'truncation' | 'topK' | 'numLogits'>;

/** One (query, candidate) pair, encoded. */
interface PairJob {
  readonly encoding: core.Encoding;
  readonly truncated: boolean;
}

const RANK_OPTION_KEYS = [...CALL_OPTION_KEYS, 'topK'];
/** Pairs encoded at a time: bounds the encodings a large queries x candidates call holds. */
const PAIRS_PER_BLOCK = 4096;
const SCORINGS: readonly RankerScoring[] = ['softmax', 'sigmoid', 'raw'];
const TOKEN_TYPES: readonly PairTokenTypes[] = ['zeros', 'segments'];

// The settings are own data properties, which ModelHead assigns; this interface gives them their types.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface RankerHead extends Readonly<RankerSettings> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class RankerHead extends ModelHead implements Ranker {
  constructor(context: core.HeadContext, settings: RankerSettings) {
    super(context, settings);
  }

  async rank(query: string, candidates: readonly string[], options?: RankOptions | null): Promise<RankedCandidate[]> {
    const call = this.begin(options, RANK_OPTION_KEYS);
    const topK = check.int(call.topK, 'topK', 1) ?? this.topK;
    const list = check.strings(candidates, 'candidates');
    const { data, truncated } = await this.#scorePairs([check.text(query, 'query')], list, call);
    const ranked = order(data).map((j) => ({
      index: j,
      text: list[j] as string,
      score: data[j] as number,
      truncated: truncated[j] as boolean,
    }));
    return ranked.slice(0, topK ?? ranked.length);
  }

  async score(
    query: string,
    candidates: readonly string[],
    options?: core.CallOptions | null,
  ): Promise<CandidateScores> {
    const call = this.begin(options, CALL_OPTION_KEYS);
    const list = check.strings(candidates, 'candidates');
    const { data, truncated } = await this.#scorePairs([check.text(query, 'query')], list, call);
    return { scores: data, truncated };
  }

  async rankMany(
    queries: readonly string[],
    candidates: readonly string[],
    options?: core.CallOptions | null,
  ): Promise<ScoreMatrix> {
    const call = this.begin(options, CALL_OPTION_KEYS);
    const rows = check.strings(queries, 'queries');
    const cols = check.strings(candidates, 'candidates');
    const { data, truncated } = await this.#scorePairs(rows, cols, call);
    return { data, rows: rows.length, cols: cols.length, truncated };
  }

  async rerank(query: string, hits: readonly RerankInput[], options?: RankOptions | null): Promise<RerankedHit[]> {
    const call = this.begin(options, RANK_OPTION_KEYS);
    const topK = check.int(call.topK, 'topK', 1) ?? this.topK;
    const list = checkHits(hits);
    const texts = list.map((h) => h.text);
    const { data, truncated } = await this.#scorePairs([check.text(query, 'query')], texts, call);
    const ranked = order(data).map((j) => {
      const hit = list[j] as RerankInput;
      return {
        id: hit.id,
        text: hit.text,
        score: data[j] as number,
        index: j,
        truncated: truncated[j] as boolean,
      };
    });
    return ranked.slice(0, topK ?? ranked.length);
  }

  /**
   * Scores every (query, candidate) pair, row-major. Pairs are encoded block by block, so a large
   * matrix holds at most {@link PAIRS_PER_BLOCK} encodings at a time; progress counts all pairs.
   */
  async #scorePairs(
    queries: readonly string[],
    candidates: readonly string[],
    call: core.CallOptions,
  ): Promise<{ data: Float64Array; truncated: boolean[] }> {
    const total = queries.length * candidates.length;
    if (total > check.MAX_ITEMS) {
      throw new BertwebError(
        'INPUT_INVALID',
        `${queries.length} queries x ${candidates.length} candidates = ${total} pairs; at most ${check.MAX_ITEMS} are scored per call`,
        { argument: 'candidates', pairs: total },
      );
    }
    const data = new Float64Array(total);
    const truncated = new Array<boolean>(total).fill(false);
    const numLogits = this.numLogits;
    const scoring = this.scoring;
    const cols = candidates.length;
    for (let from = 0; from < total; from += PAIRS_PER_BLOCK) {
      const to = Math.min(total, from + PAIRS_PER_BLOCK);
      const jobs: PairJob[] = [];
      for (let k = from; k < to; k++) {
        jobs.push(this.#encode(queries[Math.floor(k / cols)] as string, candidates[k % cols] as string));
      }
      const onProgress = call.onProgress;
      await this.runJobs(
        jobs,
        {
          encoding: (job) => job.encoding,
          outputs: { logits: () => [numLogits] },
          consume: (job, outputs, index) => {
            data[from + index] = scoreLogits((outputs.logits as { data: Float32Array }).data, scoring);
            truncated[from + index] = job.truncated;
          },
          unit: 'pairs',
        },
        {
          ...(call.signal ? { signal: call.signal } : {}),
          ...(onProgress ? { onProgress: (e) => onProgress({ ...e, loaded: from + e.loaded, total }) } : {}),
        },
      );
    }
    return { data, truncated };
  }

  /** Encodes in full, and again with truncation only when that is too long (so the flag is exact). */
  #encode(query: string, candidate: string): PairJob {
    const tokenizer = this.model.tokenizer;
    // truncation: false, not the tokenizer.json defaults, which may hold another model's limit.
    let encoding = tokenizer.encode(query, { pair: candidate, truncation: false });
    let truncated = false;
    if (encoding.ids.length > this.maxLength) {
      encoding = tokenizer.encode(query, {
        pair: candidate,
        truncation: { maxLength: this.maxLength, strategy: this.truncation },
      });
      truncated = true;
    }
    if (this.tokenTypes === 'zeros')
      encoding = { ...encoding, typeIds: new Array<number>(encoding.ids.length).fill(0) };
    return { encoding, truncated };
  }
}

/** The score of one pair from its logits (float64 math). */
function scoreLogits(logits: Float32Array, scoring: RankerScoring): number {
  const last = logits[logits.length - 1] as number;
  if (scoring === 'raw') return last;
  if (scoring === 'sigmoid') return 1 / (1 + Math.exp(-last));
  // softmax over two logits, column 1: 1 / (1 + e^(l0 - l1)), stable for any magnitude.
  return 1 / (1 + Math.exp((logits[0] as number) - last));
}

/** Indices by score, best first; equal scores keep input order. */
function order(scores: Float64Array): number[] {
  return Array.from(scores, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

function checkHits(hits: unknown): readonly RerankInput[] {
  return check.denseArray(hits, 'hits').map((hit, i) => {
    const h = typeof hit === 'object' && hit !== null ? (hit as Partial<RerankInput>) : undefined;
    // Each field is read once: the copy is what gets scored and returned.
    const id = h?.id;
    const text = h?.text;
    const idOk = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    if (!idOk || typeof text !== 'string') {
      throw new BertwebError('INPUT_INVALID', `hits[${i}] must be an object { id: string | number, text: string }`, {
        argument: `hits[${i}]`,
      });
    }
    return { id: id as string | number, text };
  });
}

const RANKER_OPTION_KEYS = ['scoring', 'tokenTypes', 'maxLength', 'truncation', 'topK'];

/**
 * Loads a cross-encoder (a sequence-classification model with 1 or 2 logits: DeepPavlov's
 * `torch_bert_ranker` tarballs, Hugging Face cross-encoders) or takes a loaded one, and returns a
 * {@link Ranker}. A model with another number of logits, or whose `id2label` does not match them, is
 * MODEL_INVALID; `scoring: 'softmax'` on a 1-logit model and a `maxLength` above the model's limit are
 * INPUT_INVALID.
 *
 * @example
 * ```ts
 * const ranker = await createRanker(folder, { maxLength: 128 }); // ranking_ubuntu_v2_torch_bert_uncased
 * const [best] = await ranker.rank('how do i install a package on ubuntu', candidates, { topK: 1 });
 * ```
 */
export const createRanker: core.HeadFactory<RankerOptions, Ranker> = defineHead<RankerOptions, RankerSettings, Ranker>({
  kind: 'ranker',
  outputs: ['logits'],
  refuses: ['token-classification', 'question-answering'],
  options: RANKER_OPTION_KEYS,
  check: (options) => {
    check.oneOf(options.scoring, 'scoring', SCORINGS);
    check.oneOf(options.tokenTypes, 'tokenTypes', TOKEN_TYPES);
    check.int(options.maxLength, 'maxLength', 3);
    check.oneOf(options.truncation, 'truncation', TRUNCATION_STRATEGIES);
    check.int(options.topK, 'topK', 1);
  },
  settle: resolveSettings,
  create: (context, settings) => new RankerHead(context, settings),
});

async function resolveSettings(model: core.LoadedModel, options: RankerOptions): Promise<RankerSettings> {
  const { info } = model;
  const maxLength = check.int(options.maxLength, 'maxLength', 3, info.maxPositions) ?? info.maxPositions;
  // One tiny inference tells the logits width.
  const probe = model.tokenizer.encode('', { pair: '', truncation: false });
  const [output] = await model.infer([probe], {
    ...(options.signal ? { signal: options.signal } : {}),
    outputs: ['logits'],
  });
  const dims = output?.logits?.dims ?? [];
  const width = dims[0] as number;
  if (dims.length !== 1 || (width !== 1 && width !== 2)) {
    throw new BertwebError(
      'MODEL_INVALID',
      `a ranker needs 1 logit (a relevance score) or 2 (not relevant, relevant) per pair; the model's logits have shape [${dims.join(', ')}]`,
      { dims: [...dims] },
    );
  }
  if (info.labels && info.labels.length !== width) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have ${width} values per pair but config.json id2label lists ${info.labels.length} labels`,
      { dims: [...dims], labels: info.labels.length },
    );
  }
  const defaults = width === 2 ? RANKER_DEFAULTS.twoLogits : RANKER_DEFAULTS.oneLogit;
  const scoring = options.scoring ?? defaults.scoring;
  if (scoring === 'softmax' && width !== 2) {
    throw new BertwebError(
      'INPUT_INVALID',
      "scoring 'softmax' needs 2 logits (not relevant, relevant); this model has 1: use 'raw' or 'sigmoid'",
      { argument: 'scoring' },
    );
  }
  return {
    scoring,
    tokenTypes: options.tokenTypes ?? defaults.tokenTypes,
    maxLength,
    truncation: options.truncation ?? RANKER_DEFAULTS.truncation,
    topK: options.topK,
    numLogits: width,
  };
}
