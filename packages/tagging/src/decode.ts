/** Word logits -> tags: argmax, or Viterbi over CRF scores and/or scheme constraints; softmax scores. */
import { BertwebError } from '@bertweb/core';
import { type CrfParams, type DecodeScores, decodeScores, viterbi } from './crf.js';
import type { AllowedMoves } from './scheme.js';

/**
 * How tags are chosen from word logits.
 *
 * @example
 * ```ts
 * const decoder: Decoder = makeDecoder(labels.length, crf, allowedMoves(labels, 'BIO'));
 * ```
 */
export interface Decoder {
  readonly numLabels: number;
  /** Viterbi scores over raw logits (a CRF, possibly constrained); absent without a CRF. */
  readonly crf?: DecodeScores;
  /** The CRF alone, used when the constraints leave no valid path. */
  readonly crfUnconstrained?: DecodeScores;
  /** 0 / -Infinity moves over log-probabilities: constrained decoding without a CRF. */
  readonly constraints?: DecodeScores;
}

/**
 * Chooses how to decode: with a CRF, Viterbi over the logits with its scores (pytorch-crf semantics);
 * without one, argmax, or with `allowed` the most probable valid path (Viterbi over log-softmax with
 * forbidden moves). With a CRF and `allowed`, forbidden moves are removed from the CRF.
 *
 * @example
 * ```ts
 * const decoder = makeDecoder(labels.length, crf, constrain ? allowedMoves(labels, scheme) : undefined);
 * ```
 */
export function makeDecoder(numLabels: number, crf?: CrfParams, allowed?: AllowedMoves): Decoder {
  if (crf) {
    const plain = decodeScores(numLabels, crf);
    return allowed
      ? { numLabels, crf: decodeScores(numLabels, crf, allowed), crfUnconstrained: plain }
      : { numLabels, crf: plain };
  }
  return allowed ? { numLabels, constraints: decodeScores(numLabels, undefined, allowed) } : { numLabels };
}

/**
 * Decoded tags of one sequence of words.
 *
 * @example
 * ```ts
 * const { tags, scores, probabilities }: DecodedWords = decodeWords(wordLogits, numWords, decoder);
 * ```
 */
export interface DecodedWords {
  /** Tag index per word. */
  readonly tags: Int32Array;
  /** Softmax probability of each word's chosen tag. */
  readonly scores: Float32Array;
  /** Softmax over labels per word, row-major `[numWords x numLabels]`. */
  readonly probabilities: Float32Array;
}

/**
 * Decodes word-level logits `[numWords x numLabels]` (first-subtoken logits). Throws RUNTIME on NaN.
 *
 * @example
 * ```ts
 * const { tags, scores } = decodeWords(wordLogits, numWords, makeDecoder(7));
 * ```
 */
export function decodeWords(logits: Float32Array, numWords: number, decoder: Decoder): DecodedWords {
  const n = decoder.numLabels;
  const probabilities = new Float32Array(numWords * n);
  const logProbs = decoder.constraints ? new Float64Array(numWords * n) : undefined;
  const argmax = new Int32Array(numWords);
  for (let w = 0; w < numWords; w++) {
    const base = w * n;
    let max = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let j = 0; j < n; j++) {
      const v = logits[base + j] as number;
      if (Number.isNaN(v)) throw new BertwebError('RUNTIME', 'the model produced NaN logits', { word: w });
      if (v > max) {
        max = v;
        arg = j;
      }
    }
    argmax[w] = arg;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp((logits[base + j] as number) - max);
    const logSum = Math.log(sum);
    for (let j = 0; j < n; j++) {
      const logP = (logits[base + j] as number) - max - logSum;
      probabilities[base + j] = Math.exp(logP);
      if (logProbs) logProbs[base + j] = logP;
    }
  }
  const tags = chooseTags(logits, logProbs, argmax, numWords, decoder);
  const scores = new Float32Array(numWords);
  for (let w = 0; w < numWords; w++) scores[w] = probabilities[w * n + (tags[w] as number)] as number;
  return { tags, scores, probabilities };
}

function chooseTags(
  logits: Float32Array,
  logProbs: Float64Array | undefined,
  argmax: Int32Array,
  numWords: number,
  decoder: Decoder,
): Int32Array {
  if (decoder.crf) {
    const path = viterbi(logits, numWords, decoder.crf);
    if (path) return path;
    // The constraints leave no valid path (e.g. a label set without O/B- tags): fall back to the CRF alone.
    const plain = decoder.crfUnconstrained ? viterbi(logits, numWords, decoder.crfUnconstrained) : undefined;
    return plain ?? argmax;
  }
  if (decoder.constraints && logProbs) return viterbi(logProbs, numWords, decoder.constraints) ?? argmax;
  return argmax;
}
