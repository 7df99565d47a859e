/** CRF parameters (`crf.json`) and Viterbi decoding with pytorch-crf semantics. */
import { BertwebError } from '@bertweb/core';

/**
 * Linear-chain CRF scores: `transitions[i][j]` is the score of tag j following tag i.
 *
 * @example
 * ```ts
 * const crf: CrfParams = { transitions: [[0, -1], [0.5, 0]], start: [0, -2], end: [0, 0] };
 * const tagger = await createTagger(source, { crf });
 * ```
 */
export interface CrfParams {
  readonly transitions: readonly (readonly number[])[];
  /** Score of starting with each tag. */
  readonly start: readonly number[];
  /** Score of ending with each tag. */
  readonly end: readonly number[];
}

/**
 * Checks a parsed `crf.json` against the number of labels; throws MODEL_INVALID when it does not fit.
 *
 * @example
 * ```ts
 * const crf = parseCrf(await model.files.json('crf.json'), model.info.labels!.length);
 * ```
 */
export function parseCrf(value: unknown, numLabels: number): CrfParams {
  const fail = (why: string): never => {
    throw new BertwebError('MODEL_INVALID', `crf.json: ${why}`, { numLabels });
  };
  if (typeof value !== 'object' || value === null) return fail('must be an object {transitions, start, end}');
  const { transitions, start, end } = value as Record<string, unknown>;
  const vector = (name: string, v: unknown): number[] => {
    if (!Array.isArray(v) || v.length !== numLabels) {
      return fail(
        `${name} must have ${numLabels} entries (one per label), got ${Array.isArray(v) ? v.length : typeof v}`,
      );
    }
    if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) return fail(`${name} must hold finite numbers`);
    return v as number[];
  };
  if (!Array.isArray(transitions) || transitions.length !== numLabels) {
    return fail(
      `transitions must be ${numLabels}x${numLabels}, got ${Array.isArray(transitions) ? transitions.length : typeof transitions} rows`,
    );
  }
  return {
    transitions: transitions.map((row, i) => vector(`transitions[${i}]`, row)),
    start: vector('start', start),
    end: vector('end', end),
  };
}

/**
 * Flat Float64 scores for decoding: `-Infinity` marks a forbidden move.
 *
 * @example
 * ```ts
 * const scores: DecodeScores = decodeScores(2, crf);
 * scores.transitions[0 * 2 + 1]; // crf.transitions[0][1]
 * ```
 */
export interface DecodeScores {
  readonly numLabels: number;
  readonly start: Float64Array;
  /** Row-major `[from * numLabels + to]`. */
  readonly transitions: Float64Array;
  readonly end: Float64Array;
}

/**
 * Builds decoding scores from optional CRF parameters and optional allowed moves (forbidden moves get
 * `-Infinity`). Without either, decoding reduces to a per-word argmax.
 *
 * @example
 * ```ts
 * const scores = decodeScores(3, crf, allowedMoves(labels, 'BIO'));
 * ```
 */
export function decodeScores(
  numLabels: number,
  crf?: CrfParams,
  allowed?: {
    readonly start: readonly boolean[];
    readonly transitions: readonly boolean[];
    readonly end: readonly boolean[];
  },
): DecodeScores {
  const n = numLabels;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const transitions = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    start[i] = allowed && !allowed.start[i] ? Number.NEGATIVE_INFINITY : (crf?.start[i] ?? 0);
    end[i] = allowed && !allowed.end[i] ? Number.NEGATIVE_INFINITY : (crf?.end[i] ?? 0);
    for (let j = 0; j < n; j++) {
      transitions[i * n + j] =
        allowed && !allowed.transitions[i * n + j] ? Number.NEGATIVE_INFINITY : (crf?.transitions[i]?.[j] ?? 0);
    }
  }
  return { numLabels: n, start, transitions, end };
}

/**
 * The highest-scoring tag path through per-word emission scores `[numWords x numLabels]` (pytorch-crf's
 * `decode`: start + emissions + transitions + end). Returns `undefined` when every path is forbidden
 * (score `-Infinity`). Ties keep the lowest tag index.
 *
 * @example
 * ```ts
 * const tags = viterbi(wordLogits, numWords, decodeScores(numLabels, crf));
 * ```
 */
export function viterbi(emissions: ArrayLike<number>, numWords: number, scores: DecodeScores): Int32Array | undefined {
  const n = scores.numLabels;
  const path = new Int32Array(numWords);
  if (numWords === 0) return path;
  let score = new Float64Array(n);
  let next = new Float64Array(n);
  const history = new Int32Array(numWords * n);
  for (let j = 0; j < n; j++) score[j] = (scores.start[j] as number) + (emissions[j] as number);
  for (let t = 1; t < numWords; t++) {
    const base = t * n;
    for (let j = 0; j < n; j++) {
      let best = Number.NEGATIVE_INFINITY;
      let arg = 0;
      for (let i = 0; i < n; i++) {
        const s = (score[i] as number) + (scores.transitions[i * n + j] as number);
        if (s > best) {
          best = s;
          arg = i;
        }
      }
      next[j] = best + (emissions[base + j] as number);
      history[base + j] = arg;
    }
    [score, next] = [next, score];
  }
  let best = Number.NEGATIVE_INFINITY;
  let last = -1;
  for (let j = 0; j < n; j++) {
    const s = (score[j] as number) + (scores.end[j] as number);
    if (s > best) {
      best = s;
      last = j;
    }
  }
  if (last < 0) return undefined;
  path[numWords - 1] = last;
  for (let t = numWords - 1; t > 0; t--) path[t - 1] = history[t * n + (path[t] as number)] as number;
  return path;
}
