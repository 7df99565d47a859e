/** The extractive QA head: question + context -> answer span with offsets in the original context. */

// The head skeleton's types (core.Head, core.HeadContext, ...), named where they are used.
import type * as core from '@bertweb/core';
import { BertwebError, CALL_OPTION_KEYS, check, defineHead, ModelHead } from '@bertweb/core';
import { type Candidate, collectAnswers, PairAnswers } from './answers.js';
import { type DeepPavlovWindowSpan, searchWindow, searchWindowDeepPavlov } from './span-search.js';
import type { Answer, AnswerOptions, AnswerRule, ReaderOptions } from './types.js';
import { buildWindows, clsIndexOf } from './windows.js';

/**
 * The reader's defaults, in one place (those of Hugging Face's question-answering pipeline): windows of
 * 384 tokens (or the model's limit when smaller) that share 128 context tokens, answers of at most 30
 * subtokens, picked by the Hugging Face rule.
 *
 * @example
 * ```ts
 * READER_DEFAULTS.windowOverlap; // 128
 * ```
 */
export const READER_DEFAULTS: {
  readonly maxLength: number;
  readonly windowOverlap: number;
  readonly maxAnswerLength: number;
  readonly answerRule: AnswerRule;
} = { maxLength: 384, windowOverlap: 128, maxAnswerLength: 30, answerRule: 'huggingface' };

/**
 * Reads answers out of contexts with a `*ForQuestionAnswering` model (`start_logits`, `end_logits`), in
 * thread or through a worker. Create it with {@link createReader}.
 *
 * Empty input: an empty or whitespace-only question is INPUT_INVALID (there is nothing to ask); an
 * empty or whitespace-only context gives the no-answer result with score 0 (`[]` with `topK`) without
 * running the model.
 *
 * @example
 * ```ts
 * const reader: Reader = await createReader('models/fixtures/bert-qa');
 * const best = await reader.answer('Who wrote it?', 'It was written by Leo Tolstoy in 1869.');
 * // { text, start, end, score, noAnswer: false }, with context.slice(start, end) === text
 * ```
 */
export interface Reader extends core.Head {
  /** Window length in tokens (question and special tokens included). */
  readonly maxLength: number;
  /** Context tokens shared by consecutive windows. */
  readonly windowOverlap: number;
  /** Longest answer in subtokens (the `'huggingface'` rule; DeepPavlov's rule has its own limit). */
  readonly maxAnswerLength: number;
  readonly noAnswerThreshold: number | undefined;
  /** How answers are picked and scored. */
  readonly answerRule: AnswerRule;
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
  answer(
    question: string,
    context: string,
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer>;
  answer(question: string, context: string, options: AnswerOptions & { readonly topK: number }): Promise<Answer[]>;
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
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer[]>;
  answerMany(
    questions: readonly string[],
    context: string,
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
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
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer[]>;
  answerAcross(
    question: string,
    contexts: readonly string[],
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
}

/** The head's settings: its data properties, resolved from the options and the model. */
type ReaderSettings = Pick<
  Reader,
  'maxLength' | 'windowOverlap' | 'maxAnswerLength' | 'noAnswerThreshold' | 'answerRule'
>;

const ANSWER_OPTION_KEYS = [...CALL_OPTION_KEYS, 'topK', 'maxAnswerLength', 'noAnswerThreshold'];

/** One window of one question/context pair. */
interface WindowJob {
  readonly pair: number;
  readonly window: core.Encoding;
}

/** No-answer result for an empty context. */
const EMPTY_CONTEXT_ANSWER: Answer = { text: '', start: -1, end: -1, score: 0, noAnswer: true };

// The settings are own data properties, which ModelHead assigns; this interface gives them their types.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface ReaderHead extends Readonly<ReaderSettings> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class ReaderHead extends ModelHead implements Reader {
  constructor(context: core.HeadContext, settings: ReaderSettings) {
    super(context, settings);
  }

  answer(
    question: string,
    context: string,
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer>;
  answer(question: string, context: string, options: AnswerOptions & { readonly topK: number }): Promise<Answer[]>;
  async answer(question: string, context: string, options?: AnswerOptions | null): Promise<Answer | Answer[]> {
    const call = this.begin(options, ANSWER_OPTION_KEYS);
    const [result] = await this.#run(
      [{ question: check.text(question, 'question'), context: check.text(context, 'context') }],
      call,
    );
    return pick(result as Answer[], call);
  }

  answerMany(
    questions: readonly string[],
    context: string,
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer[]>;
  answerMany(
    questions: readonly string[],
    context: string,
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
  async answerMany(
    questions: readonly string[],
    context: string,
    options?: AnswerOptions | null,
  ): Promise<Answer[] | Answer[][]> {
    const call = this.begin(options, ANSWER_OPTION_KEYS);
    const list = check.strings(questions, 'questions');
    const shared = check.text(context, 'context');
    const results = await this.#run(
      list.map((question) => ({ question, context: shared })),
      call,
    );
    return results.map((r) => pick(r, call)) as Answer[] | Answer[][];
  }

  answerAcross(
    question: string,
    contexts: readonly string[],
    options?: (AnswerOptions & { readonly topK?: undefined }) | null,
  ): Promise<Answer[]>;
  answerAcross(
    question: string,
    contexts: readonly string[],
    options: AnswerOptions & { readonly topK: number },
  ): Promise<Answer[][]>;
  async answerAcross(
    question: string,
    contexts: readonly string[],
    options?: AnswerOptions | null,
  ): Promise<Answer[] | Answer[][]> {
    const call = this.begin(options, ANSWER_OPTION_KEYS);
    const asked = check.text(question, 'question');
    const list = check.strings(contexts, 'contexts');
    const results = await this.#run(
      list.map((context) => ({ question: asked, context })),
      call,
    );
    return results.map((r) => pick(r, call)) as Answer[] | Answer[][];
  }

  async #run(pairs: readonly { question: string; context: string }[], call: AnswerOptions): Promise<Answer[][]> {
    const topK = check.int(call.topK, 'topK', 1) ?? 1;
    const maxAnswerLength = check.int(call.maxAnswerLength, 'maxAnswerLength', 1) ?? this.maxAnswerLength;
    const noAnswerThreshold = check.finite(call.noAnswerThreshold, 'noAnswerThreshold') ?? this.noAnswerThreshold;
    if (this.answerRule === 'deeppavlov') {
      checkDeepPavlovCall(call);
      return this.#runDeepPavlov(pairs, call);
    }
    const clsId = this.model.tokenizer.specialTokens.cls.id;
    const states: (PairAnswers | undefined)[] = [];
    const jobs = this.#windowJobs(pairs, (context) =>
      states.push(context === undefined ? undefined : new PairAnswers(context)),
    );
    const tokens = (job: WindowJob) => [job.window.ids.length];
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.window,
        outputs: { start_logits: tokens, end_logits: tokens },
        consume: ({ pair, window }, outputs) => {
          const { spans, nullScore } = searchWindow(
            {
              startLogits: (outputs.start_logits as { data: Float32Array }).data,
              endLogits: (outputs.end_logits as { data: Float32Array }).data,
              sequenceIds: window.sequenceIds,
              clsIndex: clsIndexOf(window, clsId),
            },
            { maxAnswerLength, topK },
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
        },
        unit: 'windows',
      },
      call,
    );
    return states.map((state) => (state === undefined ? [] : collectAnswers(state, topK, noAnswerThreshold)));
  }

  /**
   * The windows of every pair as inference jobs, in pair order. `onPair` sees each pair's context first
   * (`undefined` for an empty one, which gets no windows); an empty question is `INPUT_INVALID`.
   */
  #windowJobs(
    pairs: readonly { question: string; context: string }[],
    onPair: (context: string | undefined) => void,
  ): WindowJob[] {
    const jobs: WindowJob[] = [];
    pairs.forEach(({ question, context }, index) => {
      if (question.trim() === '') throw new BertwebError('INPUT_INVALID', 'the question is empty', { index });
      if (context.trim() === '') {
        onPair(undefined);
        return;
      }
      onPair(context);
      const windows = buildWindows(this.model.tokenizer, question, context, {
        maxLength: this.maxLength,
        windowOverlap: this.windowOverlap,
      });
      for (const window of windows) jobs.push({ pair: index, window });
    });
    return jobs;
  }

  /** DeepPavlov's rule ({@link AnswerRule}): one answer per pair, from the window with the largest logit. */
  async #runDeepPavlov(
    pairs: readonly { question: string; context: string }[],
    call: AnswerOptions,
  ): Promise<Answer[][]> {
    const clsId = this.model.tokenizer.specialTokens.cls.id;
    const best: ({ span: DeepPavlovWindowSpan; window: core.Encoding } | null | undefined)[] = [];
    const jobs = this.#windowJobs(pairs, (context) => best.push(context === undefined ? undefined : null));
    const tokens = (job: WindowJob) => [job.window.ids.length];
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.window,
        outputs: { start_logits: tokens, end_logits: tokens },
        consume: ({ pair, window }, outputs) => {
          const span = searchWindowDeepPavlov(
            {
              startLogits: (outputs.start_logits as { data: Float32Array }).data,
              endLogits: (outputs.end_logits as { data: Float32Array }).data,
              typeIds: window.typeIds,
              sequenceIds: window.sequenceIds,
              clsIndex: clsIndexOf(window, clsId),
            },
            this.maxLength,
          );
          const known = best[pair];
          // np.argmax over the windows: the first of equal logits wins.
          if (!known || span.logit > known.span.logit) best[pair] = { span, window };
        },
        unit: 'windows',
      },
      call,
    );
    return best.map((found, i) => {
      if (!found) return [];
      return [deepPavlovAnswer((pairs[i] as { context: string }).context, found.span, found.window, clsId)];
    });
  }
}

/** DeepPavlov's rule gives one answer and has its own length limit and no-answer rule. */
function checkDeepPavlovCall(call: AnswerOptions): void {
  const reject = (option: string, why: string): never => {
    throw new BertwebError('INPUT_INVALID', `${option} does not apply with answerRule 'deeppavlov': ${why}`, {
      argument: option,
    });
  };
  if (call.topK !== undefined && call.topK > 1) reject('topK', 'it gives one answer');
  if (call.maxAnswerLength !== undefined)
    reject('maxAnswerLength', 'its span limit is maxLength - min(20, context tokens + 1)');
  if (call.noAnswerThreshold !== undefined)
    reject('noAnswerThreshold', 'no answer is when the best span starts at [CLS]');
}

/**
 * The answer of DeepPavlov's rule: no answer when the best span starts at [CLS]; otherwise the span's
 * characters (from the tokens' offsets into the original context). DeepPavlov's mask lets a span start
 * or end on the final [SEP]; such an end (or start) moves to the last context token before it, which is
 * where DeepPavlov's character mapping puts it too.
 */
function deepPavlovAnswer(context: string, span: DeepPavlovWindowSpan, window: core.Encoding, clsId: number): Answer {
  const cls = clsIndexOf(window, clsId);
  const noAnswer: Answer = { text: '', start: -1, end: -1, score: span.hasAnswer, noAnswer: true };
  if (span.startToken === cls || span.endToken === cls) return noAnswer;
  const toContext = (token: number): number => {
    let t = token;
    while (t >= 0 && window.sequenceIds[t] !== 1) t--;
    return t;
  };
  const first = toContext(span.startToken);
  const last = toContext(span.endToken);
  if (first < 0 || last < 0) return noAnswer;
  const start = (window.offsets[first] as [number, number])[0];
  const end = (window.offsets[last] as [number, number])[1];
  return { text: context.slice(start, end), start, end, score: span.hasAnswer, noAnswer: false };
}

function pick(ranked: Answer[], options: AnswerOptions): Answer | Answer[] {
  if (options.topK !== undefined) return ranked;
  return ranked[0] ?? { ...EMPTY_CONTEXT_ANSWER };
}

const READER_OPTION_KEYS = ['maxLength', 'windowOverlap', 'maxAnswerLength', 'noAnswerThreshold', 'answerRule'];
const ANSWER_RULES: readonly AnswerRule[] = ['huggingface', 'deeppavlov'];

/**
 * Loads a question-answering model (or wraps an already loaded one) and returns a {@link Reader}. A
 * model without `start_logits` and `end_logits` is MODEL_INVALID; a `maxLength` above the model's limit
 * is INPUT_INVALID.
 *
 * @example
 * ```ts
 * const reader = await createReader('deepset/bert-base-cased-squad2', { backend: 'auto', noAnswerThreshold: 0 });
 * const answer = await reader.answer('Where is the Eiffel tower?', 'The Eiffel tower is in Paris.');
 * ```
 */
export const createReader: core.HeadFactory<ReaderOptions, Reader> = defineHead<ReaderOptions, ReaderSettings, Reader>({
  kind: 'reader',
  outputs: ['start_logits', 'end_logits'],
  options: READER_OPTION_KEYS,
  check: (options) => {
    check.int(options.maxLength, 'maxLength', 1);
    check.int(options.windowOverlap, 'windowOverlap', 0);
    check.int(options.maxAnswerLength, 'maxAnswerLength', 1);
    check.finite(options.noAnswerThreshold, 'noAnswerThreshold');
    if (check.oneOf(options.answerRule, 'answerRule', ANSWER_RULES) === 'deeppavlov') {
      for (const option of ['maxAnswerLength', 'noAnswerThreshold'] as const) {
        if (options[option] !== undefined) {
          throw new BertwebError('INPUT_INVALID', `${option} does not apply with answerRule 'deeppavlov'`, {
            argument: option,
          });
        }
      }
    }
  },
  settle: (model, options) => {
    const limit = model.info.maxPositions;
    return {
      maxLength: check.int(options.maxLength, 'maxLength', 1, limit) ?? Math.min(READER_DEFAULTS.maxLength, limit),
      windowOverlap: options.windowOverlap ?? READER_DEFAULTS.windowOverlap,
      maxAnswerLength: options.maxAnswerLength ?? READER_DEFAULTS.maxAnswerLength,
      noAnswerThreshold: options.noAnswerThreshold,
      answerRule: options.answerRule ?? READER_DEFAULTS.answerRule,
    };
  },
  create: (context, settings) => new ReaderHead(context, settings),
});
