/** The extractive QA head: question + context -> answer span with offsets in the original context. */
import {
  type BackendReport,
  BertwebError,
  type Encoding,
  type LoadedModel,
  loadModel,
  type ModelInfo,
  type ModelSource,
  throwIfAborted,
} from '@bertweb/core';
import { type Candidate, collectAnswers, PairAnswers } from './answers.js';
import { searchWindow } from './span-search.js';
import type { Answer, AnswerOptions, ReaderOptions } from './types.js';
import { buildWindows, clsIndexOf } from './windows.js';

const DEFAULT_MAX_LENGTH = 384;
const DEFAULT_DOC_STRIDE = 128;
const DEFAULT_MAX_ANSWER_LENGTH = 30;
/**
 * Windows per `model.infer` call. Typical inputs fit one call (core batches it); a huge context is
 * processed in chunks so that only the best spans, never all logits, stay in memory, and an abort
 * is honoured between chunks.
 */
const WINDOWS_PER_CALL = 128;

interface ResolvedOptions {
  readonly topK: number;
  readonly maxAnswerLength: number;
  readonly noAnswerThreshold: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Reads answers out of contexts with a `*ForQuestionAnswering` model (`start_logits`, `end_logits`).
 * Create it with {@link createReader}.
 *
 * Empty input: an empty or whitespace-only question is INPUT_INVALID (there is nothing to ask); an
 * empty or whitespace-only context gives the no-answer result with score 0 (`[]` with `topK`) without
 * running the model.
 *
 * @example
 * ```ts
 * const reader = await createReader('models/fixtures/bert-qa');
 * const best = await reader.answer('Who wrote it?', 'It was written by Leo Tolstoy in 1869.');
 * // { text, start, end, score, noAnswer: false }, with context.slice(start, end) === text
 * ```
 */
export class Reader {
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  /** Window length in tokens (question and special tokens included). */
  readonly maxLength: number;
  /** Tokens shared by consecutive windows. */
  readonly docStride: number;
  readonly maxAnswerLength: number;
  readonly noAnswerThreshold: number | undefined;
  readonly #model: LoadedModel;
  readonly #ownsModel: boolean;
  #disposed = false;

  constructor(model: LoadedModel, options: ReaderOptions = {}, ownsModel = false) {
    if (!model.outputNames.includes('start_logits') || !model.outputNames.includes('end_logits')) {
      throw new BertwebError(
        'MODEL_INVALID',
        `a reader needs start_logits and end_logits outputs; the model has ${model.outputNames.join(', ')}`,
      );
    }
    this.#model = model;
    this.#ownsModel = ownsModel;
    this.info = model.info;
    this.backend = model.backend;
    const maxLength = positiveInt(options.maxLength, 'maxLength') ?? DEFAULT_MAX_LENGTH;
    this.maxLength = Math.min(maxLength, model.info.maxPositions);
    this.docStride = nonNegativeInt(options.docStride, 'docStride') ?? DEFAULT_DOC_STRIDE;
    this.maxAnswerLength = positiveInt(options.maxAnswerLength, 'maxAnswerLength') ?? DEFAULT_MAX_ANSWER_LENGTH;
    this.noAnswerThreshold = finiteNumber(options.noAnswerThreshold, 'noAnswerThreshold');
  }

  /**
   * The best answer to `question` in `context`, or with `topK` the `topK` best (best first; spans
   * found in several overlapping windows appear once, with their best score).
   *
   * @example
   * ```ts
   * const { text, start, end } = await reader.answer('When?', context);
   * const top3 = await reader.answer('When?', context, { topK: 3 });
   * const maybe = await reader.answer('When?', context, { noAnswerThreshold: 0 }); // SQuAD 2.0
   * ```
   */
  answer(question: string, context: string, options?: AnswerOptions & { readonly topK?: undefined }): Promise<Answer>;
  answer(question: string, context: string, options: AnswerOptions & { readonly topK: number }): Promise<Answer[]>;
  async answer(question: string, context: string, options: AnswerOptions = {}): Promise<Answer | Answer[]> {
    const [result] = await this.#run([{ question, context }], options);
    return pick(result as Answer[], options);
  }

  /**
   * Many questions over one context, in one batched run: one result per question, in order.
   *
   * @example
   * ```ts
   * const [who, when] = await reader.answerMany(['Who?', 'When?'], context);
   * ```
   */
  answerMany(
    questions: readonly string[],
    context: string,
    options?: AnswerOptions & { readonly topK?: undefined },
  ): Promise<Answer[]>;
  answerMany(
    questions: readonly string[],
    context: string,
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
  async answerMany(
    questions: readonly string[],
    context: string,
    options: AnswerOptions = {},
  ): Promise<Answer[] | Answer[][]> {
    const list = stringArray(questions, 'questions');
    const results = await this.#run(
      list.map((question) => ({ question, context })),
      options,
    );
    return results.map((r) => pick(r, options)) as Answer[] | Answer[][];
  }

  /**
   * One question over many contexts (passages), in one batched run: the best answer of each context,
   * in the order of `contexts`. Scores are comparable across contexts, so sorting the result by
   * `score` ranks the passages.
   *
   * @example
   * ```ts
   * const answers = await reader.answerAcross('Who?', passages);
   * const best = answers.filter((a) => !a.noAnswer).sort((a, b) => b.score - a.score)[0];
   * ```
   */
  answerAcross(
    question: string,
    contexts: readonly string[],
    options?: AnswerOptions & { readonly topK?: undefined },
  ): Promise<Answer[]>;
  answerAcross(
    question: string,
    contexts: readonly string[],
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
  async answerAcross(
    question: string,
    contexts: readonly string[],
    options: AnswerOptions = {},
  ): Promise<Answer[] | Answer[][]> {
    const list = stringArray(contexts, 'contexts');
    const results = await this.#run(
      list.map((context) => ({ question, context })),
      options,
    );
    return results.map((r) => pick(r, options)) as Answer[] | Answer[][];
  }

  /**
   * Frees the model when the reader loaded it (a {@link LoadedModel} passed in stays usable);
   * later calls reject with DISPOSED.
   *
   * @example
   * ```ts
   * await reader.dispose();
   * ```
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsModel) await this.#model.dispose();
  }

  async #run(pairs: readonly { question: string; context: string }[], options: AnswerOptions): Promise<Answer[][]> {
    if (this.#disposed) throw new BertwebError('DISPOSED', 'the reader was disposed');
    const resolved = this.#resolve(options);
    throwIfAborted(resolved.signal);
    const tokenizer = this.#model.tokenizer;
    const clsId = tokenizer.specialTokens.cls.id;
    const states: (PairAnswers | undefined)[] = [];
    const work: { pair: number; window: Encoding }[] = [];
    pairs.forEach(({ question, context }, index) => {
      checkText(question, 'question', index);
      if (question.trim() === '') {
        throw new BertwebError('INPUT_INVALID', 'the question is empty', { index });
      }
      checkText(context, 'context', index);
      if (context.trim() === '') {
        states.push(undefined);
        return;
      }
      states.push(new PairAnswers(context));
      const windows = buildWindows(tokenizer, question, context, {
        maxLength: this.maxLength,
        docStride: this.docStride,
      });
      for (const window of windows) work.push({ pair: index, window });
    });

    for (let from = 0; from < work.length; from += WINDOWS_PER_CALL) {
      throwIfAborted(resolved.signal);
      const chunk = work.slice(from, from + WINDOWS_PER_CALL);
      const outputs = await this.#model.infer(
        chunk.map((w) => w.window),
        { outputs: ['start_logits', 'end_logits'], ...(resolved.signal ? { signal: resolved.signal } : {}) },
      );
      if (this.#disposed) throw new BertwebError('DISPOSED', 'the reader was disposed');
      chunk.forEach(({ pair, window }, i) => {
        const output = outputs[i];
        const start = output?.start_logits?.data;
        const end = output?.end_logits?.data;
        if (!start || !end) throw new BertwebError('RUNTIME', 'the model returned no start/end logits');
        assertFinite(start, 'start_logits');
        assertFinite(end, 'end_logits');
        const { spans, nullScore } = searchWindow(
          { startLogits: start, endLogits: end, sequenceIds: window.sequenceIds, clsIndex: clsIndexOf(window, clsId) },
          { maxAnswerLength: resolved.maxAnswerLength, topK: resolved.topK },
        );
        const state = states[pair] as PairAnswers;
        state.addNullScore(nullScore);
        for (const span of spans) {
          const candidate: Candidate = {
            start: (window.offsets[span.startToken] as [number, number])[0],
            end: (window.offsets[span.endToken] as [number, number])[1],
            score: span.score,
          };
          state.add(candidate);
        }
      });
    }
    return states.map((state) =>
      state === undefined ? [] : collectAnswers(state, resolved.topK, resolved.noAnswerThreshold),
    );
  }

  #resolve(options: AnswerOptions): ResolvedOptions {
    if (options === null || typeof options !== 'object') {
      throw new BertwebError('INPUT_INVALID', 'options must be an object');
    }
    return {
      topK: positiveInt(options.topK, 'topK') ?? 1,
      maxAnswerLength: positiveInt(options.maxAnswerLength, 'maxAnswerLength') ?? this.maxAnswerLength,
      noAnswerThreshold: finiteNumber(options.noAnswerThreshold, 'noAnswerThreshold') ?? this.noAnswerThreshold,
      signal: options.signal,
    };
  }
}

/**
 * Loads a question-answering model (or wraps an already loaded one) and returns a {@link Reader}.
 *
 * @example
 * ```ts
 * const reader = await createReader('deepset/bert-base-cased-squad2', { backend: 'auto', noAnswerThreshold: 0 });
 * const answer = await reader.answer('Where is the Eiffel tower?', 'The Eiffel tower is in Paris.');
 * ```
 */
export async function createReader(source: ModelSource | LoadedModel, options: ReaderOptions = {}): Promise<Reader> {
  if (isLoadedModel(source)) return new Reader(source, options, false);
  const model = await loadModel(source, options);
  try {
    return new Reader(model, options, true);
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

function isLoadedModel(source: ModelSource | LoadedModel): source is LoadedModel {
  return typeof source === 'object' && source !== null && 'infer' in source && 'tokenizer' in source;
}

/** No-answer result for an empty context. */
const EMPTY_CONTEXT_ANSWER: Answer = { text: '', start: -1, end: -1, score: 0, noAnswer: true };

function pick(ranked: Answer[], options: AnswerOptions): Answer | Answer[] {
  if (options.topK !== undefined) return ranked;
  return ranked[0] ?? { ...EMPTY_CONTEXT_ANSWER };
}

function checkText(value: unknown, name: string, index: number): asserts value is string {
  if (typeof value !== 'string') {
    throw new BertwebError('INPUT_INVALID', `the ${name} must be a string, got ${typeof value}`, { index });
  }
}

function stringArray(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value)) throw new BertwebError('INPUT_INVALID', `${name} must be an array of strings`);
  return value as readonly string[];
}

function assertFinite(values: Float32Array, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) {
      throw new BertwebError('RUNTIME', `the model produced ${values[i]} in ${name} at token ${i}`);
    }
  }
}

function positiveInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BertwebError('INPUT_INVALID', `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new BertwebError('INPUT_INVALID', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function finiteNumber(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new BertwebError('INPUT_INVALID', `${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}
