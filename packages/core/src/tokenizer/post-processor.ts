/**
 * Post-processing: special tokens and type ids from a template (TemplateProcessing, BertProcessing,
 * RobertaProcessing), truncation windows combined the way Hugging Face merges overflowing encodings,
 * and padding. Works on {@link RawSequence}s, so the WordPiece and the delegated tokenizers share it.
 */

import { BertwebError } from '../errors.js';
import { type TokenWindow, type TruncationParams, truncateSequences } from './truncation.js';
import type { Encoding } from './types.js';
import type { RawSequence } from './wordpiece-encoder.js';

/**
 * One element of a template.
 *
 * @example
 * ```ts
 * const pieces: TemplatePiece[] = [
 *   { kind: 'special', name: '[CLS]', typeId: 0 },
 *   { kind: 'sequence', sequence: 0, typeId: 0 },
 *   { kind: 'special', name: '[SEP]', typeId: 0 },
 * ];
 * ```
 */
export type TemplatePiece =
  | { readonly kind: 'special'; readonly name: string; readonly typeId: number }
  | { readonly kind: 'sequence'; readonly sequence: 0 | 1; readonly typeId: number };

/**
 * A post-processor as templates for a single sequence and a pair.
 *
 * @example
 * ```ts
 * const bert: PostProcessorSpec = {
 *   single: [{ kind: 'special', name: 'cls', typeId: 0 }, { kind: 'sequence', sequence: 0, typeId: 0 }, { kind: 'special', name: 'sep', typeId: 0 }],
 *   pair: [], // ... [CLS] A [SEP] B [SEP] with type ids 0 then 1
 *   specialTokens: new Map([['cls', { ids: [101], tokens: ['[CLS]'] }], ['sep', { ids: [102], tokens: ['[SEP]'] }]]),
 * };
 * ```
 */
export interface PostProcessorSpec {
  readonly single: readonly TemplatePiece[];
  readonly pair: readonly TemplatePiece[];
  /** Ids and token strings of each special token named in the templates. */
  readonly specialTokens: ReadonlyMap<string, { readonly ids: readonly number[]; readonly tokens: readonly string[] }>;
}

/**
 * Padding settings (tokenizer.json `padding`).
 *
 * @example
 * ```ts
 * const batchLongest: PaddingParams = { length: 'longest', padId: 0, padTypeId: 0, padToken: '[PAD]', direction: 'right' };
 * ```
 */
export interface PaddingParams {
  /** `'longest'`: to the longest encoding of a batch; a number: to that length. */
  readonly length: 'longest' | number;
  readonly padToMultipleOf?: number;
  readonly padId: number;
  readonly padTypeId: number;
  readonly padToken: string;
  readonly direction: 'right' | 'left';
}

/** Number of special tokens a template adds. */
export function addedTokenCount(spec: PostProcessorSpec | undefined, pair: boolean): number {
  if (!spec) return 0;
  let n = 0;
  for (const piece of pair ? spec.pair : spec.single) {
    if (piece.kind === 'special') n += spec.specialTokens.get(piece.name)?.ids.length ?? 0;
  }
  return n;
}

/** A piece of a final encoding: special tokens, or a window of one input sequence. */
type Segment =
  | { readonly kind: 'special'; readonly name: string; readonly typeId: number }
  | { readonly kind: 'window'; readonly sequence: 0 | 1; readonly window: TokenWindow; readonly typeId: number };

interface SegmentEncoding {
  main: Segment[];
  overflowing: Segment[][];
}

/**
 * Hugging Face's `Encoding::merge_with`, on segment lists: every overflow of the left side is
 * combined with the right side and each of its overflows, then the left side's main part with
 * each overflow of the right side. Only the top level is kept (what `return_overflowing_tokens`
 * exposes in transformers).
 */
function mergeWith(left: SegmentEncoding, right: SegmentEncoding): SegmentEncoding {
  const overflowing: Segment[][] = [];
  for (const lo of left.overflowing) {
    overflowing.push([...lo, ...right.main]);
    for (const ro of right.overflowing) overflowing.push([...lo, ...ro]);
  }
  for (const ro of right.overflowing) overflowing.push([...left.main, ...ro]);
  return { main: [...left.main, ...right.main], overflowing };
}

/** Inputs of {@link postProcess}. */
export interface PostProcessInput {
  readonly sequences: readonly [RawSequence] | readonly [RawSequence, RawSequence];
  readonly idToToken: (id: number) => string;
  readonly spec: PostProcessorSpec | undefined;
  readonly addSpecialTokens: boolean;
  /** Truncation with `maxLength` counting special tokens; undefined: none. */
  readonly truncation: TruncationParams | undefined;
  readonly returnOverflowing: boolean;
}

/** Truncates, applies the template and builds the final {@link Encoding} (with its overflow windows). */
export function postProcess(input: PostProcessInput): Encoding {
  const { sequences, spec, addSpecialTokens, truncation } = input;
  const isPair = sequences.length === 2;
  const lengthA = sequences[0].ids.length;
  const lengthB = isPair ? sequences[1].ids.length : undefined;
  let windowsA: TokenWindow[] = [{ start: 0, end: lengthA }];
  let windowsB: TokenWindow[] | undefined = lengthB === undefined ? undefined : [{ start: 0, end: lengthB }];
  if (truncation) {
    const added = addSpecialTokens ? addedTokenCount(spec, isPair) : 0;
    if (added > truncation.maxLength) {
      throw new BertwebError(
        'INPUT_INVALID',
        `truncation maxLength ${truncation.maxLength} leaves no room for the ${added} special tokens`,
        { maxLength: truncation.maxLength, specialTokens: added },
      );
    }
    const cut = truncateSequences(lengthA, lengthB, { ...truncation, maxLength: truncation.maxLength - added });
    windowsA = cut.a;
    windowsB = cut.b;
  }
  const parts = templateParts(spec, isPair, addSpecialTokens, windowsA, windowsB);
  let merged: SegmentEncoding = { main: [], overflowing: [] };
  for (const part of parts) merged = mergeWith(merged, part);
  const main = materialize(merged.main, input);
  if (input.returnOverflowing) {
    for (const segments of merged.overflowing) main.overflowing.push(materialize(segments, input));
  }
  return main;
}

function templateParts(
  spec: PostProcessorSpec | undefined,
  isPair: boolean,
  addSpecialTokens: boolean,
  windowsA: TokenWindow[],
  windowsB: TokenWindow[] | undefined,
): SegmentEncoding[] {
  const sequencePart = (sequence: 0 | 1, typeId: number): SegmentEncoding => {
    const windows = (sequence === 0 ? windowsA : windowsB) ?? [];
    const [first, ...rest] = windows;
    const toSegment = (window: TokenWindow): Segment[] => [{ kind: 'window', sequence, window, typeId }];
    return { main: first ? toSegment(first) : [], overflowing: rest.map(toSegment) };
  };
  if (!spec) {
    // No post-processor: sequences back to back, type ids 0 and 1.
    const parts = [sequencePart(0, 0)];
    if (isPair) parts.push(sequencePart(1, 1));
    return parts;
  }
  const parts: SegmentEncoding[] = [];
  for (const piece of isPair ? spec.pair : spec.single) {
    if (piece.kind === 'special') {
      if (addSpecialTokens) parts.push({ main: [piece], overflowing: [] });
    } else if (piece.sequence === 0 || isPair) {
      parts.push(sequencePart(piece.sequence, piece.typeId));
    }
  }
  return parts;
}

/** A mutable {@link Encoding} under construction. */
interface EncodingBuilder extends Encoding {
  readonly ids: number[];
  readonly tokens: string[];
  readonly typeIds: number[];
  readonly attentionMask: number[];
  readonly specialTokensMask: number[];
  readonly wordIds: (number | null)[];
  readonly sequenceIds: (number | null)[];
  readonly offsets: [number, number][];
  readonly overflowing: Encoding[];
}

function materialize(segments: readonly Segment[], input: PostProcessInput): EncodingBuilder {
  const enc: EncodingBuilder = {
    ids: [],
    tokens: [],
    typeIds: [],
    attentionMask: [],
    specialTokensMask: [],
    wordIds: [],
    sequenceIds: [],
    offsets: [],
    overflowing: [],
  };
  for (const segment of segments) {
    if (segment.kind === 'special') {
      const special = input.spec?.specialTokens.get(segment.name);
      if (!special) continue;
      for (let k = 0; k < special.ids.length; k++) {
        enc.ids.push(special.ids[k] as number);
        enc.tokens.push(special.tokens[k] ?? input.idToToken(special.ids[k] as number));
        enc.typeIds.push(segment.typeId);
        enc.attentionMask.push(1);
        enc.specialTokensMask.push(1);
        enc.wordIds.push(null);
        enc.sequenceIds.push(null);
        enc.offsets.push([0, 0]);
      }
      continue;
    }
    const seq = input.sequences[segment.sequence] as RawSequence;
    const { start, end } = segment.window;
    const { ids, starts, ends, words } = seq;
    const idToToken = input.idToToken;
    for (let t = start; t < end; t++) {
      const id = ids[t] as number;
      enc.ids.push(id);
      enc.tokens.push(idToToken(id));
      enc.typeIds.push(segment.typeId);
      enc.attentionMask.push(1);
      enc.specialTokensMask.push(0);
      enc.wordIds.push(words[t] as number);
      enc.sequenceIds.push(segment.sequence);
      enc.offsets.push([starts[t] as number, ends[t] as number]);
    }
  }
  return enc;
}

/** Target length of padding for encodings whose longest has `longest` tokens. */
export function paddingTarget(params: PaddingParams, longest: number): number {
  let target = params.length === 'longest' ? longest : params.length;
  const multiple = params.padToMultipleOf;
  if (multiple && multiple > 0 && target % multiple !== 0) target += multiple - (target % multiple);
  return target;
}

/** Pads an encoding and its overflow windows in place to `target` tokens (longer ones are left alone). */
export function padEncoding(encoding: Encoding, target: number, params: PaddingParams): void {
  for (const o of encoding.overflowing) padEncoding(o, target, params);
  const missing = target - encoding.ids.length;
  if (missing <= 0) return;
  const e = encoding as EncodingBuilder;
  const add = <T>(array: T[], value: () => T): void => {
    const length = array.length;
    array.length = length + missing;
    if (params.direction === 'left') {
      // Shift right in place (no spread: paddings may be longer than the argument limit).
      for (let k = length - 1; k >= 0; k--) array[k + missing] = array[k] as T;
      for (let k = 0; k < missing; k++) array[k] = value();
    } else {
      for (let k = length; k < length + missing; k++) array[k] = value();
    }
  };
  add(e.ids, () => params.padId);
  add(e.tokens, () => params.padToken);
  add(e.typeIds, () => params.padTypeId);
  add(e.attentionMask, () => 0);
  add(e.specialTokensMask, () => 1);
  add(e.wordIds, () => null);
  add(e.sequenceIds, () => null);
  add(e.offsets, (): [number, number] => [0, 0]);
}
