/**
 * Best-span search over one window's start/end logits.
 *
 * The rule (Hugging Face's question-answering pipeline, which DeepPavlov's reader follows up to the
 * choice of softmax domain):
 * - the softmax domain is the [CLS] token plus the window's context tokens (`sequenceIds === 1`);
 *   question tokens, [SEP] and padding take no probability mass;
 * - `pStart = softmax(startLogits)`, `pEnd = softmax(endLogits)` over that domain, in float64;
 * - a span `(s, e)` is valid when both are context tokens, `s <= e` and `e - s + 1 <= maxAnswerLength`;
 *   its score is `pStart[s] * pEnd[e]`;
 * - the "no answer" score of the window is `pStart[cls] * pEnd[cls]`.
 *
 * The search visits each start with at most `maxAnswerLength` ends: O(n * maxAnswerLength).
 * Ties keep the first span in (start, end) order.
 */
import { BertwebError } from '@bertweb/core';

/**
 * One scored span of a window, in token positions of that window.
 *
 * @example
 * ```ts
 * const { startToken, endToken, score } = searchWindow(window, { maxAnswerLength: 30, topK: 1 }).spans[0];
 * ```
 */
export interface TokenSpan {
  readonly startToken: number;
  readonly endToken: number;
  readonly score: number;
}

/**
 * What a window contributes: its best spans (best first) and its no-answer score.
 *
 * @example
 * ```ts
 * const { spans, nullScore }: WindowSpans = searchWindow(window, { maxAnswerLength: 30, topK: 3 });
 * ```
 */
export interface WindowSpans {
  readonly spans: TokenSpan[];
  /** `pStart[cls] * pEnd[cls]`, or `undefined` when the window has no [CLS]. */
  readonly nullScore: number | undefined;
}

/**
 * Inputs of {@link searchWindow}.
 *
 * @example
 * ```ts
 * const window: WindowLogits = { startLogits, endLogits, sequenceIds: encoding.sequenceIds, clsIndex: 0 };
 * ```
 */
export interface WindowLogits {
  readonly startLogits: ArrayLike<number>;
  readonly endLogits: ArrayLike<number>;
  /** 1 marks a context token; anything else is masked. */
  readonly sequenceIds: readonly (number | null)[];
  /** Position of [CLS] (usually 0), or -1 when there is none. */
  readonly clsIndex: number;
}

/**
 * The `topK` best valid spans of one window and its no-answer score.
 *
 * @example
 * ```ts
 * const { spans, nullScore } = searchWindow(
 *   { startLogits, endLogits, sequenceIds: encoding.sequenceIds, clsIndex: 0 },
 *   { maxAnswerLength: 30, topK: 1 },
 * );
 * ```
 */
export function searchWindow(
  window: WindowLogits,
  options: { readonly maxAnswerLength: number; readonly topK: number },
): WindowSpans {
  const { startLogits, endLogits, sequenceIds, clsIndex } = window;
  const n = sequenceIds.length;
  if (startLogits.length < n || endLogits.length < n) {
    throw new BertwebError('RUNTIME', `the model returned ${startLogits.length} logits for ${n} tokens`);
  }
  const domain: number[] = [];
  if (clsIndex >= 0) domain.push(clsIndex);
  for (let i = 0; i < n; i++) if (sequenceIds[i] === 1) domain.push(i);
  const pStart = maskedSoftmax(startLogits, domain, n);
  const pEnd = maskedSoftmax(endLogits, domain, n);
  const nullScore = clsIndex >= 0 ? (pStart[clsIndex] as number) * (pEnd[clsIndex] as number) : undefined;

  const best = new TopSpans(options.topK);
  const maxLen = options.maxAnswerLength;
  for (let s = 0; s < n; s++) {
    if (sequenceIds[s] !== 1) continue;
    const ps = pStart[s] as number;
    // Context tokens are contiguous in a window, but do not rely on it: stop at the first non-context token.
    const last = Math.min(n - 1, s + maxLen - 1);
    for (let e = s; e <= last; e++) {
      if (sequenceIds[e] !== 1) break;
      const score = ps * (pEnd[e] as number);
      if (best.accepts(score)) best.insert({ startToken: s, endToken: e, score });
    }
  }
  return { spans: best.items, nullScore };
}

/**
 * Softmax of `logits` over the positions in `domain` (float64); other positions get 0.
 * A non-finite logit anywhere in the domain is a model failure: RUNTIME.
 *
 * @example
 * ```ts
 * maskedSoftmax([2, 9, 2], [0, 2], 3); // Float64Array [0.5, 0, 0.5]
 * ```
 */
export function maskedSoftmax(logits: ArrayLike<number>, domain: readonly number[], length: number): Float64Array {
  const out = new Float64Array(length);
  let max = Number.NEGATIVE_INFINITY;
  for (const i of domain) {
    const value = logits[i] as number;
    if (!Number.isFinite(value)) {
      throw new BertwebError('RUNTIME', `the model produced a non-finite logit (${value}) at token ${i}`);
    }
    if (value > max) max = value;
  }
  let sum = 0;
  for (const i of domain) {
    const e = Math.exp((logits[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (const i of domain) out[i] = (out[i] as number) / sum;
  return out;
}

/** The k best spans seen so far, best first; insertion keeps the earlier of equal scores first. */
class TopSpans {
  readonly items: TokenSpan[] = [];
  constructor(private readonly k: number) {}

  accepts(score: number): boolean {
    if (this.items.length < this.k) return true;
    return score > (this.items[this.items.length - 1] as TokenSpan).score;
  }

  insert(span: TokenSpan): void {
    let i = this.items.length;
    // Strictly greater moves ahead: equal scores stay in visiting order.
    while (i > 0 && span.score > (this.items[i - 1] as TokenSpan).score) i--;
    this.items.splice(i, 0, span);
    if (this.items.length > this.k) this.items.pop();
  }
}

/**
 * Inputs of {@link searchWindowDeepPavlov}: one window's logits and token types.
 *
 * @example
 * ```ts
 * const window: DeepPavlovWindowLogits = { startLogits, endLogits, typeIds: encoding.typeIds, sequenceIds: encoding.sequenceIds, clsIndex: 0 };
 * ```
 */
export interface DeepPavlovWindowLogits {
  readonly startLogits: ArrayLike<number>;
  readonly endLogits: ArrayLike<number>;
  /** Segment ids: 1 marks the context and the final [SEP] (DeepPavlov's mask). */
  readonly typeIds: readonly number[];
  /** 1 marks a context token (used when a tokenizer gives no segment ids). */
  readonly sequenceIds: readonly (number | null)[];
  /** Position of [CLS]. */
  readonly clsIndex: number;
}

/**
 * What one window gives under DeepPavlov's rule ({@link searchWindowDeepPavlov}).
 *
 * @example
 * ```ts
 * const { startToken, endToken, logit, hasAnswer }: DeepPavlovWindowSpan = searchWindowDeepPavlov(window, 384);
 * ```
 */
export interface DeepPavlovWindowSpan {
  /** Start of the best span; the [CLS] position means "no answer". */
  readonly startToken: number;
  readonly endToken: number;
  /** `max(startLogit[i] + endLogit[j])` over the allowed spans: the log of DeepPavlov's window "logit". */
  readonly logit: number;
  /** `1 - pStart[CLS] * pEnd[CLS]`: DeepPavlov's `scores`, the probability that the window has an answer. */
  readonly hasAnswer: number;
}

/**
 * DeepPavlov 1.7's span rule for one window (`deeppavlov/models/torch_bert/torch_transformers_squad.py`
 * `TorchTransformersSquad.__call__`; docs/deeppavlov-1.7.md, "SQuAD"):
 * - the softmax domain is [CLS] plus the tokens of segment 1 (the context AND the final [SEP]);
 * - `hasAnswer = 1 - pStart[CLS] * pEnd[CLS]`;
 * - a span (i, j) is allowed when `0 <= j - i < paddedLength - min(20, segment-1 tokens)` (the source's
 *   `triu(outer, 0) - triu(outer, L - m)`, with L the padded length `max_seq_length`: for a batch of
 *   one, m is this window's count); spans may start at [CLS];
 * - the span is `argmax pStart[i] * pEnd[j]`: the first row and the first column holding the maximum;
 * - the window's "logit" is `max exp(start + end)` over the same spans (here its log, which orders
 *   windows the same way and does not overflow).
 *
 * @example
 * ```ts
 * const best = searchWindowDeepPavlov({ startLogits, endLogits, typeIds, sequenceIds, clsIndex: 0 }, 384);
 * const noAnswer = best.startToken === 0;
 * ```
 */
export function searchWindowDeepPavlov(window: DeepPavlovWindowLogits, paddedLength: number): DeepPavlovWindowSpan {
  const { startLogits, endLogits, typeIds, sequenceIds, clsIndex } = window;
  const n = sequenceIds.length;
  if (startLogits.length < n || endLogits.length < n) {
    throw new BertwebError('RUNTIME', `the model returned ${startLogits.length} logits for ${n} tokens`);
  }
  let segment: number[] = [];
  for (let i = 0; i < n; i++) if (typeIds[i] === 1 && i !== clsIndex) segment.push(i);
  if (segment.length === 0) {
    // No segment ids (a tokenizer without a pair template): the context and the special token after it.
    for (let i = 0; i < n; i++) if (sequenceIds[i] === 1) segment.push(i);
    const after = (segment.at(-1) ?? n - 1) + 1;
    if (after < n && sequenceIds[after] === null && after !== clsIndex) segment.push(after);
  }
  segment = segment.filter((i) => i !== clsIndex);
  const domain = clsIndex >= 0 ? [clsIndex, ...segment].sort((a, b) => a - b) : segment;
  const pStart = maskedSoftmax(startLogits, domain, n);
  const pEnd = maskedSoftmax(endLogits, domain, n);
  const hasAnswer = clsIndex >= 0 ? 1 - (pStart[clsIndex] as number) * (pEnd[clsIndex] as number) : 1;
  const limit = paddedLength - Math.min(20, segment.length);

  const rowMax = new Float64Array(n).fill(-1);
  const colMax = new Float64Array(n).fill(-1);
  let logit = Number.NEGATIVE_INFINITY;
  for (const i of domain) {
    const ps = pStart[i] as number;
    const s = startLogits[i] as number;
    for (const j of domain) {
      if (j < i || j - i >= limit) continue;
      const p = ps * (pEnd[j] as number);
      if (p > (rowMax[i] as number)) rowMax[i] = p;
      if (p > (colMax[j] as number)) colMax[j] = p;
      const sum = s + (endLogits[j] as number);
      if (sum > logit) logit = sum;
    }
  }
  return { startToken: firstArgmax(rowMax), endToken: firstArgmax(colMax), logit, hasAnswer };
}

/** numpy's argmax: the first index of the largest value. */
function firstArgmax(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}
