/**
 * What the heads' fuzz suite (heads.fuzz.test.ts) calls and how it judges the results: one spec per
 * public method (argument schemas, the rejections a well-typed call may meet, a result check that
 * holds for any input) and per factory (option schemas).
 *
 * Result checks are the properties every result must have: entity and answer offsets slice the input
 * exactly, probabilities are finite and in [0, 1], vectors finite and of the head's width, arrays as
 * long as their inputs and in their order.
 */
import { check, DTYPES, type ErrorCode, type Tokenizer } from '@bertweb/core';
import fc from 'fast-check';
import {
  argsOf,
  arrayOf,
  bool,
  Case,
  callbackSchema,
  callOptions,
  ensure,
  ensureAllFinite,
  ensureFinite,
  ensureProbability,
  ensureSlice,
  finite,
  foreignValues,
  int,
  invalid,
  type OptionSchemas,
  oneOf,
  optionsOf,
  plainCase,
  type Schema,
  shortStr,
  signalSchema,
  str,
  textArb,
  valid,
} from '../../../core/src/test-utils/fuzz.js';

/** The heads a spec may run on. */
export type HeadKind = 'tagger' | 'reader' | 'embedder' | 'classifier' | 'ranker';

/** A head as the suite sees it: in-thread or a worker proxy, its data properties and methods. */
// biome-ignore lint/suspicious/noExplicitAny: heads are driven generically by method name.
export type AnyHead = Record<string, any>;

/** What a result check may consult besides the head: the model's tokenizer (in-thread copy). */
export interface CheckContext {
  readonly head: AnyHead;
  readonly tokenizer: Tokenizer;
}

/** One public method under fuzz. */
export interface MethodSpec {
  readonly kind: HeadKind;
  readonly method: string;
  /** Schemas of the arguments, in order. */
  readonly params: readonly Schema<unknown>[];
  /** Codes a well-typed call may still reject with (given its plain arguments). */
  readonly validCodes?: (args: unknown[], context: CheckContext) => readonly ErrorCode[];
  /** Throws unless `result` is a valid result for the plain arguments. */
  readonly check: (result: unknown, args: unknown[], context: CheckContext) => void;
}

const shortItems = shortStr().valid as fc.Arbitrary<Case<unknown>>;
const texts = (options: { longLength?: number } = {}) =>
  arrayOf(str(), {
    maxLength: 5,
    ...(options.longLength ? { longLength: options.longLength, longItems: shortItems } : {}),
  });
const opts = (value: unknown): Record<string, unknown> => (value ?? {}) as Record<string, unknown>;
const isProbabilityArray = (a: ArrayLike<number>, what: string) => {
  for (let i = 0; i < a.length; i++) ensureProbability(a[i], `${what}[${i}]`);
};

// ---------------------------------------------------------------------------------------------------
// Tagger
// ---------------------------------------------------------------------------------------------------

interface Entity {
  text: string;
  label: string;
  start: number;
  end: number;
  score: number;
}

/** Entities of one text: exact slices, in order, not overlapping, scores in [0, 1]. */
export function checkEntities(entities: unknown, input: string, what: string): void {
  ensure(Array.isArray(entities), `${what}: not an array`);
  let previousEnd = 0;
  (entities as Entity[]).forEach((e, i) => {
    ensureSlice(input, e.start, e.end, e.text, `${what}[${i}]`);
    ensure(e.end > e.start, `${what}[${i}] is empty`);
    ensure(e.start >= previousEnd, `${what}[${i}] overlaps or precedes the entity before it`);
    previousEnd = e.end;
    ensure(typeof e.label === 'string', `${what}[${i}].label is not a string`);
    ensureProbability(e.score, `${what}[${i}].score`);
  });
}

/** One word list's tags: one tag per word out of the labels, scores (and probabilities) in [0, 1]. */
export function checkWordTags(
  result: unknown,
  words: readonly string[],
  head: AnyHead,
  probabilities: boolean,
  what: string,
): void {
  const r = result as { tags: string[]; scores: Float32Array; probabilities?: Float32Array };
  ensure(
    Array.isArray(r.tags) && r.tags.length === words.length,
    `${what}: ${r.tags?.length} tags for ${words.length} words`,
  );
  const labels = new Set<string>(head.labels);
  r.tags.forEach((t, i) => void ensure(labels.has(t), `${what}: tag ${i} ${t} is not a label`));
  ensure(r.scores instanceof Float32Array && r.scores.length === words.length, `${what}: scores`);
  isProbabilityArray(r.scores, `${what}.scores`);
  if (probabilities) {
    const n = head.labels.length as number;
    ensure(
      r.probabilities instanceof Float32Array && r.probabilities.length === words.length * n,
      `${what}: probabilities`,
    );
    isProbabilityArray(r.probabilities, `${what}.probabilities`);
    for (let w = 0; w < words.length; w++) {
      let sum = 0;
      for (let l = 0; l < n; l++) sum += r.probabilities[w * n + l] as number;
      ensure(Math.abs(sum - 1) < 1e-4, `${what}: probabilities of word ${w} sum to ${sum}`);
    }
  } else {
    ensure(r.probabilities === undefined, `${what}: probabilities without asking`);
  }
}

/** One text's tagger encoding: words slice the text, windows fit, every word has an owner window. */
export function checkTaggerEncoding(result: unknown, input: string, head: AnyHead, what: string): void {
  const r = result as {
    words: { text: string; start: number; end: number }[];
    windows: { ids: number[]; tokens: string[]; offsets: [number, number][]; attentionMask: number[] }[];
    owner: number[];
  };
  ensure(Array.isArray(r.words) && Array.isArray(r.windows) && Array.isArray(r.owner), `${what}: shape`);
  r.words.forEach((w, i) => void ensureSlice(input, w.start, w.end, w.text, `${what}.words[${i}]`));
  ensure(r.owner.length === r.words.length, `${what}: ${r.owner.length} owners for ${r.words.length} words`);
  ensure(r.words.length === 0 || r.windows.length > 0, `${what}: words without windows`);
  r.owner.forEach(
    (o, i) => void ensure(Number.isInteger(o) && o >= 0 && o < r.windows.length, `${what}: owner[${i}] = ${o}`),
  );
  r.windows.forEach((w, i) => {
    ensure(w.ids.length <= head.maxLength, `${what}.windows[${i}] has ${w.ids.length} > ${head.maxLength} tokens`);
    ensure(w.tokens.length === w.ids.length && w.offsets.length === w.ids.length, `${what}.windows[${i}] lengths`);
    w.offsets.forEach(
      ([s, e], t) =>
        void ensure(s >= 0 && s <= e && e <= input.length, `${what}.windows[${i}].offsets[${t}] = [${s}, ${e}]`),
    );
  });
}

const tagOptions = callOptions();
const tagWordsOptions = callOptions({ probabilities: bool() });

export const TAGGER_METHODS: readonly MethodSpec[] = [
  {
    kind: 'tagger',
    method: 'tag',
    params: [texts({ longLength: 1500 }), tagOptions],
    check: (result, [list]) => {
      const inputs = list as string[];
      ensure(Array.isArray(result) && result.length === inputs.length, 'one entity list per text');
      inputs.forEach((text, i) => void checkEntities((result as unknown[])[i], text, `tag[${i}]`));
    },
  },
  {
    kind: 'tagger',
    method: 'tagWords',
    params: [arrayOf(arrayOf(str({ hugeWeight: 0 }), { maxLength: 8 }), { maxLength: 4 }), tagWordsOptions],
    check: (result, [list, options], { head }) => {
      const sentences = list as string[][];
      ensure(Array.isArray(result) && result.length === sentences.length, 'one result per word list');
      sentences.forEach(
        (words, i) =>
          void checkWordTags(
            (result as unknown[])[i],
            words,
            head,
            opts(options).probabilities === true,
            `tagWords[${i}]`,
          ),
      );
    },
  },
  {
    kind: 'tagger',
    method: 'encode',
    params: [texts(), tagOptions],
    check: (result, [list], { head }) => {
      const inputs = list as string[];
      ensure(Array.isArray(result) && result.length === inputs.length, 'one encoding per text');
      inputs.forEach((text, i) => void checkTaggerEncoding((result as unknown[])[i], text, head, `encode[${i}]`));
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------

interface Answer {
  text: string;
  start: number;
  end: number;
  score: number;
  noAnswer: boolean;
}

/** One answer: an exact slice of the context (or the no-answer result), score in [0, 1]. */
export function checkAnswer(answer: unknown, context: string, what: string): void {
  const a = answer as Answer;
  ensure(a !== null && typeof a === 'object' && typeof a.noAnswer === 'boolean', `${what}: not an answer`);
  ensureProbability(a.score, `${what}.score`);
  if (a.noAnswer) {
    ensure(a.text === '' && a.start === -1 && a.end === -1, `${what}: no-answer result with a span`);
  } else {
    ensureSlice(context, a.start, a.end, a.text, what);
  }
  if (context.trim() === '') ensure(a.noAnswer && a.score === 0, `${what}: an empty context has an answer`);
}

/** The answers of one pair: one answer, or with `topK` at most topK distinct ones. */
export function checkAnswers(result: unknown, context: string, topK: number | undefined, what: string): void {
  if (topK === undefined) {
    checkAnswer(result, context, what);
    return;
  }
  ensure(
    Array.isArray(result) && result.length <= topK,
    `${what}: ${(result as unknown[])?.length} answers for topK ${topK}`,
  );
  const spans = new Set<string>();
  let previous = Number.POSITIVE_INFINITY;
  (result as Answer[]).forEach((a, i) => {
    checkAnswer(a, context, `${what}[${i}]`);
    if (a.noAnswer) return;
    const key = `${a.start}:${a.end}`;
    ensure(!spans.has(key), `${what}: span ${key} twice`);
    spans.add(key);
    ensure(a.score <= previous + 1e-12, `${what}: spans not best first`);
    previous = a.score;
  });
}

const answerOptions = callOptions({
  topK: int(1, Number.MAX_SAFE_INTEGER, 4),
  maxAnswerLength: int(1, Number.MAX_SAFE_INTEGER, 40),
  noAnswerThreshold: finite(),
});

/** Whether a well-typed reader call may be INPUT_INVALID: an empty or too long question, DeepPavlov-rule options. */
function readerRejections(
  pairs: readonly [string, string][],
  options: Record<string, unknown>,
  { head, tokenizer }: CheckContext,
): ErrorCode[] {
  if (head.answerRule === 'deeppavlov') {
    const topK = options.topK as number | undefined;
    if (
      (topK !== undefined && topK > 1) ||
      options.maxAnswerLength !== undefined ||
      options.noAnswerThreshold !== undefined
    ) {
      return ['INPUT_INVALID'];
    }
  }
  for (const [question, context] of pairs) {
    if (question.trim() === '') return ['INPUT_INVALID'];
    if (context.trim() === '') continue;
    const fixed = tokenizer.encode(question, { pair: '', truncation: false }).ids.length;
    if (fixed >= head.maxLength) return ['INPUT_INVALID'];
  }
  return [];
}

const question = str({ longWeight: 0.3, hugeWeight: 0.02 });

export const READER_METHODS: readonly MethodSpec[] = [
  {
    kind: 'reader',
    method: 'answer',
    params: [question, str(), answerOptions],
    validCodes: ([q, c, o], context) => readerRejections([[q as string, c as string]], opts(o), context),
    check: (result, [, context, options]) =>
      checkAnswers(result, context as string, opts(options).topK as number | undefined, 'answer'),
  },
  {
    kind: 'reader',
    method: 'answerMany',
    params: [arrayOf(question, { maxLength: 4 }), str(), answerOptions],
    validCodes: ([qs, c, o], context) =>
      readerRejections(
        (qs as string[]).map((q) => [q, c as string]),
        opts(o),
        context,
      ),
    check: (result, [questions, context, options]) => {
      const list = questions as string[];
      ensure(Array.isArray(result) && result.length === list.length, 'one result per question');
      list.forEach(
        (_, i) =>
          void checkAnswers(
            (result as unknown[])[i],
            context as string,
            opts(options).topK as number | undefined,
            `answerMany[${i}]`,
          ),
      );
    },
  },
  {
    kind: 'reader',
    method: 'answerAcross',
    params: [question, arrayOf(str(), { maxLength: 4 }), answerOptions],
    validCodes: ([q, cs, o], context) =>
      readerRejections(
        (cs as string[]).map((c) => [q as string, c]),
        opts(o),
        context,
      ),
    check: (result, [, contexts, options]) => {
      const list = contexts as string[];
      ensure(Array.isArray(result) && result.length === list.length, 'one result per context');
      list.forEach(
        (context, i) =>
          void checkAnswers(
            (result as unknown[])[i],
            context,
            opts(options).topK as number | undefined,
            `answerAcross[${i}]`,
          ),
      );
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Embedder
// ---------------------------------------------------------------------------------------------------

const POOLINGS = ['mean', 'max', 'cls', 'pooler', 'model'] as const;

/** `embed`'s matrix: rows x width, finite, unit rows when normalized (zero rows for empty texts). */
export function checkEmbeddings(
  result: unknown,
  inputs: readonly string[],
  options: Record<string, unknown>,
  head: AnyHead,
): void {
  const r = result as { data: Float32Array; rows: number; dim: number; truncated: boolean[] };
  const pooling = (options.pooling ?? head.pooling) as string;
  const dim = pooling === 'model' ? head.dim : head.info.hiddenSize;
  ensure(r.rows === inputs.length && r.dim === dim, `embed: ${r.rows} x ${r.dim}, expected ${inputs.length} x ${dim}`);
  ensure(r.data instanceof Float32Array && r.data.length === r.rows * r.dim, 'embed: data length');
  ensureAllFinite(r.data, 'embed.data');
  ensure(Array.isArray(r.truncated) && r.truncated.length === inputs.length, 'embed: truncated flags');
  const longText = options.longText ?? head.longText;
  r.truncated.forEach(
    (t, i) => void ensure(typeof t === 'boolean' && (longText === 'truncate' || !t), `embed: truncated[${i}]`),
  );
  const normalize = (options.normalize ?? head.normalize) as boolean;
  for (let row = 0; row < r.rows; row++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (r.data[row * dim + d] as number) ** 2;
    const text = inputs[row] as string;
    if (text.trim() === '') ensure(norm === 0, `embed: row ${row} of an empty text is not zero`);
    if (normalize && norm > 0)
      ensure(Math.abs(Math.sqrt(norm) - 1) < 1e-4, `embed: row ${row} has norm ${Math.sqrt(norm)}`);
  }
}

/** DeepPavlov's detailed outputs: words slice the text, every matrix of its right size and finite. */
export function checkDetailed(result: unknown, text: string, head: AnyHead, what: string): void {
  const d = result as {
    tokens: string[];
    tokenOffsets: [number, number][];
    tokenEmbeddings: Float32Array;
    subtokens: string[];
    subtokenEmbeddings: Float32Array;
    sentenceMax: Float32Array;
    sentenceMean: Float32Array;
    pooler: Float32Array | null;
    dim: number;
    truncated: boolean;
  };
  const dim = head.dim as number;
  ensure(d.dim === dim, `${what}: dim ${d.dim}`);
  ensure(d.tokens.length === d.tokenOffsets.length, `${what}: tokens and offsets`);
  d.tokens.forEach((t, i) => {
    const [s, e] = d.tokenOffsets[i] as [number, number];
    ensureSlice(text, s, e, t, `${what}.tokens[${i}]`);
  });
  ensure(d.tokenEmbeddings.length === d.tokens.length * dim, `${what}: tokenEmbeddings`);
  ensure(d.subtokenEmbeddings.length === d.subtokens.length * dim, `${what}: subtokenEmbeddings`);
  ensure(d.subtokens.length <= head.maxLength, `${what}: ${d.subtokens.length} subtokens > maxLength`);
  ensure(d.sentenceMax.length === dim && d.sentenceMean.length === dim, `${what}: sentence vectors`);
  ensure(head.hasPooler ? d.pooler?.length === dim : d.pooler === null, `${what}: pooler`);
  for (const [name, array] of [
    ['tokenEmbeddings', d.tokenEmbeddings],
    ['subtokenEmbeddings', d.subtokenEmbeddings],
    ['sentenceMax', d.sentenceMax],
    ['sentenceMean', d.sentenceMean],
    ['pooler', d.pooler ?? new Float32Array(0)],
  ] as const) {
    ensureAllFinite(array, `${what}.${name}`);
  }
  ensure(typeof d.truncated === 'boolean', `${what}: truncated`);
}

export const EMBEDDER_METHODS: readonly MethodSpec[] = [
  {
    kind: 'embedder',
    method: 'embed',
    params: [
      texts({ longLength: 1500 }),
      callOptions({ pooling: oneOf(POOLINGS), normalize: bool(), longText: oneOf(['truncate', 'chunk'] as const) }),
    ],
    validCodes: ([, o]) => {
      const pooling = opts(o).pooling;
      return pooling === 'pooler' || pooling === 'model' ? ['UNSUPPORTED'] : [];
    },
    check: (result, [list, options], { head }) => checkEmbeddings(result, list as string[], opts(options), head),
  },
  {
    kind: 'embedder',
    method: 'embedDetailed',
    params: [texts(), callOptions()],
    check: (result, [list], { head }) => {
      const inputs = list as string[];
      ensure(Array.isArray(result) && result.length === inputs.length, 'one result per text');
      inputs.forEach((text, i) => void checkDetailed((result as unknown[])[i], text, head, `embedDetailed[${i}]`));
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Classifier
// ---------------------------------------------------------------------------------------------------

/** Classifier inputs: strings and `[text, pair]`; invalid: other lengths, non-strings in a pair. */
export function classifierInput(): Schema<string | [string, string]> {
  const text = str();
  const pair = fc.tuple(text.valid, text.valid).map(
    ([a, b]) =>
      new Case(`[${a.label}, ${b.label}]`, (ctx) => {
        const first = a.build(ctx).value as string;
        const second = b.build(ctx).value as string;
        return valid([first, second], [first, second] as [string, string]);
      }),
  );
  const badPair = fc.oneof(
    text.valid.map((a) => new Case(`[${a.label}]`, () => invalid([a.build({ cleanups: [] }).value], 'a pair of one'))),
    fc.tuple(text.valid, text.valid, text.valid).map(
      ([a, b, c]) =>
        new Case(`[${a.label}, ${b.label}, ${c.label}]`, () =>
          invalid(
            [a, b, c].map((x) => x.build({ cleanups: [] }).value),
            'a pair of three',
          ),
        ),
    ),
    fc.tuple(text.valid, text.invalid).map(
      ([a, b]) =>
        new Case(`[${a.label}, ${b.label}]`, (ctx) => {
          const bad = b.build(ctx);
          return { ...invalid([a.build(ctx).value, bad.value], 'a pair with a non-string'), cloneable: bad.cloneable };
        }),
    ),
  );
  return {
    valid: fc.oneof({ arbitrary: text.valid, weight: 2 }, { arbitrary: pair, weight: 1 }) as fc.Arbitrary<
      Case<string | [string, string]>
    >,
    invalid: fc.oneof(badPair, foreignValues('string')) as fc.Arbitrary<Case<string | [string, string]>>,
  };
}

interface LabelScore {
  label: string;
  score: number;
}

/** One classification: distinct labels of the head, best first, at most topK, probabilities unless raw. */
export function checkClassification(
  result: unknown,
  head: AnyHead,
  options: Record<string, unknown>,
  what: string,
): void {
  const r = result as { labels: LabelScore[]; truncated: boolean };
  ensure(Array.isArray(r.labels) && typeof r.truncated === 'boolean', `${what}: shape`);
  const labels = new Set<string>(head.labels);
  const seen = new Set<string>();
  const topK = (options.topK ?? head.topK) as number | undefined;
  ensure(topK === undefined || r.labels.length <= topK, `${what}: ${r.labels.length} labels > topK ${topK}`);
  let previous = Number.POSITIVE_INFINITY;
  r.labels.forEach((l, i) => {
    ensure(labels.has(l.label) && !seen.has(l.label), `${what}: label ${i} ${l.label}`);
    seen.add(l.label);
    if (head.activation === 'none' && !head.isBinary) ensureFinite(l.score, `${what}[${i}].score`);
    else ensureProbability(l.score, `${what}[${i}].score`);
    if (!head.isBinary) ensure(l.score <= previous, `${what}: not best first`);
    previous = l.score;
  });
}

/**
 * A pair that `only_first` / `only_second` cannot shorten enough is INPUT_INVALID (as in Hugging Face
 * tokenizers).
 */
export function classifierRejections(inputs: readonly unknown[], head: AnyHead): ErrorCode[] {
  return head.truncation !== 'longest_first' && inputs.some((i) => Array.isArray(i)) ? ['INPUT_INVALID'] : [];
}

export const CLASSIFIER_METHODS: readonly MethodSpec[] = [
  {
    kind: 'classifier',
    method: 'classify',
    validCodes: ([inputs], { head }) => classifierRejections(inputs as unknown[], head),
    params: [
      arrayOf(classifierInput(), { maxLength: 5, longLength: 1500, longItems: shortItems }),
      callOptions({ topK: int(1, Number.MAX_SAFE_INTEGER, 4), threshold: finite() }),
    ],
    check: (result, [inputs, options], { head }) => {
      const list = inputs as unknown[];
      ensure(Array.isArray(result) && result.length === list.length, 'one result per input');
      list.forEach((_, i) => void checkClassification((result as unknown[])[i], head, opts(options), `classify[${i}]`));
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Ranker
// ---------------------------------------------------------------------------------------------------

/** A ranker score: a probability unless the scoring is raw. */
function checkScore(score: unknown, head: AnyHead, what: string): void {
  if (head.scoring === 'raw') ensureFinite(score, what);
  else ensureProbability(score, what);
}

/** Ranked candidates: distinct indices, matching texts, best first (ties by index), at most topK. */
export function checkRanked(
  result: unknown,
  candidates: readonly string[],
  topK: number | undefined,
  head: AnyHead,
  what: string,
  hits?: readonly { id: unknown; text: string }[],
): void {
  ensure(Array.isArray(result), `${what}: not an array`);
  const list = result as { index: number; text: string; score: number; truncated: boolean; id?: unknown }[];
  const expected = Math.min(topK ?? candidates.length, candidates.length);
  ensure(list.length === expected, `${what}: ${list.length} results, expected ${expected}`);
  const seen = new Set<number>();
  list.forEach((c, i) => {
    ensure(
      Number.isInteger(c.index) && c.index >= 0 && c.index < candidates.length && !seen.has(c.index),
      `${what}[${i}].index`,
    );
    seen.add(c.index);
    ensure(c.text === candidates[c.index], `${what}[${i}].text is not candidates[${c.index}]`);
    if (hits) ensure(Object.is(c.id, hits[c.index]?.id), `${what}[${i}].id is not hits[${c.index}].id`);
    checkScore(c.score, head, `${what}[${i}].score`);
    ensure(typeof c.truncated === 'boolean', `${what}[${i}].truncated`);
    const before = list[i - 1];
    if (before)
      ensure(before.score > c.score || (before.score === c.score && before.index < c.index), `${what}: order at ${i}`);
  });
}

/** Rerank hits: `{ id: string | finite number, text: string }` with any other fields. */
export function hitSchema(): Schema<{ id: string | number; text: string }> {
  const text = str();
  const id = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(-0, 0, 'doc'),
  );
  const extras = fc.constantFrom({}, { score: 0.5 }, { score: Number.NaN, rank: 3 }, { text2: 'x' });
  const validHit = fc.tuple(id, text.valid, extras).map(
    ([i, t, extra]) =>
      new Case(`{id: ${String(i)}, text: ${t.label}}`, (ctx) => {
        const builtText = t.build(ctx);
        const hit = { ...extra, id: i, text: builtText.value as string };
        return valid(hit, { id: i, text: builtText.value as string });
      }),
  );
  const badId = fc.constantFrom<unknown>(Number.NaN, Infinity, null, undefined, {}, [1], true, 1n);
  const invalidHit = fc.oneof(
    fc
      .tuple(badId, text.valid)
      .map(
        ([i, t]) =>
          new Case(`{id: ${typeof i === 'bigint' ? '1n' : String(i)}, text: ${t.label}}`, (ctx) =>
            invalid({ id: i, text: t.build(ctx).value }, 'a bad id'),
          ),
      ),
    fc.tuple(id, text.invalid).map(
      ([i, t]) =>
        new Case(`{id: ${String(i)}, text: ${t.label}}`, (ctx) => {
          const bad = t.build(ctx);
          return { ...invalid({ id: i, text: bad.value }, 'a non-string text'), cloneable: bad.cloneable };
        }),
    ),
    fc.constantFrom(null, 'doc', 3, []).map((v) => plainCase(v as never, 'not a hit')),
  );
  return { valid: validHit, invalid: invalidHit as fc.Arbitrary<Case<{ id: string | number; text: string }>> };
}

const rankOptions = callOptions({ topK: int(1, Number.MAX_SAFE_INTEGER, 4) });
const candidates = () => arrayOf(str(), { maxLength: 5, longLength: 1200, longItems: shortItems });

export const RANKER_METHODS: readonly MethodSpec[] = [
  {
    kind: 'ranker',
    method: 'rank',
    params: [str(), candidates(), rankOptions],
    check: (result, [, list, options], { head }) =>
      checkRanked(result, list as string[], (opts(options).topK ?? head.topK) as number | undefined, head, 'rank'),
  },
  {
    kind: 'ranker',
    method: 'score',
    params: [str(), candidates(), callOptions()],
    check: (result, [, list], { head }) => {
      const r = result as { scores: Float64Array; truncated: boolean[] };
      const n = (list as string[]).length;
      ensure(r.scores instanceof Float64Array && r.scores.length === n && r.truncated.length === n, 'score: lengths');
      r.scores.forEach((s, i) => void checkScore(s, head, `score[${i}]`));
    },
  },
  {
    kind: 'ranker',
    method: 'rankMany',
    params: [arrayOf(str(), { maxLength: 4 }), candidates(), callOptions()],
    validCodes: ([queries, list]) =>
      (queries as string[]).length * (list as string[]).length > check.MAX_ITEMS ? ['INPUT_INVALID'] : [],
    check: (result, [queries, list], { head }) => {
      const r = result as { data: Float64Array; rows: number; cols: number; truncated: boolean[] };
      const rows = (queries as string[]).length;
      const cols = (list as string[]).length;
      ensure(
        r.rows === rows && r.cols === cols && r.data.length === rows * cols && r.truncated.length === rows * cols,
        'rankMany: shape',
      );
      r.data.forEach((s, i) => void checkScore(s, head, `rankMany[${i}]`));
    },
  },
  {
    kind: 'ranker',
    method: 'rerank',
    params: [str(), arrayOf(hitSchema(), { maxLength: 5 }), rankOptions],
    check: (result, [, hits, options], { head }) => {
      const list = hits as { id: unknown; text: string }[];
      checkRanked(
        result,
        list.map((h) => h.text),
        (opts(options).topK ?? head.topK) as number | undefined,
        head,
        'rerank',
        list,
      );
    },
  },
];

/** Every method spec. */
export const METHOD_SPECS: readonly MethodSpec[] = [
  ...TAGGER_METHODS,
  ...READER_METHODS,
  ...EMBEDDER_METHODS,
  ...CLASSIFIER_METHODS,
  ...RANKER_METHODS,
];

/** Argument arbitrary of a spec. */
export function specArgs(spec: MethodSpec) {
  return argsOf(spec.params);
}

// ---------------------------------------------------------------------------------------------------
// Factories
// ---------------------------------------------------------------------------------------------------

/** Options of every factory: loading (validated even when a loaded model is passed) and chunking. */
export function headOptionSchemas(crossesWorkers: boolean): OptionSchemas {
  return {
    backend: oneOf(['auto', 'webgpu', 'wasm', 'native'] as const),
    dtype: oneOf(DTYPES),
    numThreads: int(1, 1024, 4),
    maxBatchTokens: int(1, Number.MAX_SAFE_INTEGER, 64),
    maxBatchSize: int(1, Number.MAX_SAFE_INTEGER, 8),
    lowercase: bool(),
    convert: bool(),
    keepCheckpoint: bool(),
    onProgress: callbackSchema(true),
    hubBaseUrl: str({ longWeight: 0, hugeWeight: 0 }),
    revision: {
      valid: fc.constantFrom('main', 'v1', 'refs/pr/1').map((r) => plainCase(r, 'valid')),
      invalid: fc.oneof(
        fc.constant(plainCase('' as string, 'empty')),
        foreignValues('string').filter((c) => c.label !== 'undefined'),
      ),
    },
    cache: {
      valid: fc.oneof(
        bool().valid,
        fc.constant(
          new Case('memory-like cache', () =>
            valid({ get: async () => undefined, put: async () => {}, delete: async () => {} }, undefined, {
              cloneable: crossesWorkers && false,
            }),
          ),
        ),
      ) as fc.Arbitrary<Case<unknown>>,
      invalid: fc.oneof(
        fc.constantFrom<unknown>('yes', 1, {}, { get: 1 }, [], null).map((v) => plainCase(v as never, 'not a cache')),
      ),
    },
    signal: signalSchema(),
    retries: int(0, Number.MAX_SAFE_INTEGER, 3),
    retryDelayMs: int(0, Number.MAX_SAFE_INTEGER, 10),
    fetch: callbackSchema(false),
    stallTimeoutMs: int(1, Number.MAX_SAFE_INTEGER, 1000),
    maxInputsPerCall: int(1, Number.MAX_SAFE_INTEGER, 4),
    maxTokensPerCall: int(1, Number.MAX_SAFE_INTEGER, 64),
  };
}

/** Options of the head factories beyond {@link headOptionSchemas}. */
export const FACTORY_OPTION_SCHEMAS: Readonly<Record<HeadKind, () => OptionSchemas>> = {
  tagger: () => ({
    crf: {
      valid: fc.constantFrom<unknown>('auto', false).map((v) => plainCase(v, 'valid')),
      invalid: fc.constantFrom<unknown>('none', true, 0, 'AUTO').map((v) => plainCase(v as never, 'not a crf')),
    },
    constrainBio: bool(),
    scheme: oneOf(['BIO', 'BIOES', 'IO'] as const),
    labels: arrayOf(str({ longWeight: 0, hugeWeight: 0 }), { maxLength: 9 }),
    maxSubwordPieces: {
      valid: fc.oneof(
        int(1, Number.MAX_SAFE_INTEGER, 20).valid,
        fc.constantFrom(null, Infinity).map((v) => plainCase(v, 'valid')),
      ),
      invalid: fc
        .constantFrom<unknown>(0, -1, 1.5, Number.NaN, '15', -Infinity)
        .map((v) => plainCase(v as never, 'bad')),
    },
    subwordMaskMode: oneOf(['first', 'last'] as const),
    wordSplit: oneOf(['deeppavlov-1.7', 'legacy'] as const),
    maxLength: int(3, Number.MAX_SAFE_INTEGER, 40),
    windowOverlap: int(0, Number.MAX_SAFE_INTEGER, 20),
  }),
  reader: () => ({
    maxLength: int(1, Number.MAX_SAFE_INTEGER, 64),
    windowOverlap: int(0, Number.MAX_SAFE_INTEGER, 32),
    maxAnswerLength: int(1, Number.MAX_SAFE_INTEGER, 40),
    noAnswerThreshold: finite(),
    answerRule: oneOf(['huggingface', 'deeppavlov'] as const),
  }),
  embedder: () => ({
    pooling: oneOf(POOLINGS),
    normalize: bool(),
    longText: oneOf(['truncate', 'chunk'] as const),
    maxLength: int(2, Number.MAX_SAFE_INTEGER, 40),
  }),
  classifier: () => ({
    activation: oneOf(['softmax', 'sigmoid', 'none'] as const),
    labels: arrayOf(str({ longWeight: 0, hugeWeight: 0 }), { maxLength: 4 }),
    topK: int(1, Number.MAX_SAFE_INTEGER, 4),
    threshold: finite(),
    maxLength: int(2, Number.MAX_SAFE_INTEGER, 40),
    truncation: oneOf(['longest_first', 'only_first', 'only_second'] as const),
    multilabel: bool(),
    isBinary: bool(),
    nClasses: int(1, Number.MAX_SAFE_INTEGER, 4),
    returnProbas: bool(),
  }),
  ranker: () => ({
    scoring: oneOf(['softmax', 'sigmoid', 'raw'] as const),
    tokenTypes: oneOf(['zeros', 'segments'] as const),
    maxLength: int(3, Number.MAX_SAFE_INTEGER, 40),
    truncation: oneOf(['longest_first', 'only_first', 'only_second'] as const),
    topK: int(1, Number.MAX_SAFE_INTEGER, 4),
  }),
};

/** A factory's options: loading, chunking and its own. */
export function factoryOptions(kind: HeadKind, crossesWorkers: boolean): Schema<Record<string, unknown>> {
  return optionsOf({ ...headOptionSchemas(crossesWorkers), ...FACTORY_OPTION_SCHEMAS[kind]() }, { maxKeys: 5 });
}

/** A factory's own options only (for loads from a folder, where loading options would change the process). */
export function ownFactoryOptions(kind: HeadKind): Schema<Record<string, unknown>> {
  return optionsOf(
    {
      signal: signalSchema(),
      onProgress: callbackSchema(true),
      maxInputsPerCall: int(1, Number.MAX_SAFE_INTEGER, 4),
      maxTokensPerCall: int(1, Number.MAX_SAFE_INTEGER, 64),
      ...FACTORY_OPTION_SCHEMAS[kind](),
    },
    { maxKeys: 4 },
  );
}

/** Short valid texts for the created heads' smoke calls and the batch properties. */
export const validText = textArb({ longWeight: 1, hugeWeight: 0 });

/** Sources of a factory that are not model sources at all. */
export const badSources = fc
  .constantFrom<unknown>(
    42,
    null,
    undefined,
    true,
    {},
    { hub: 1 },
    { path: '' },
    '',
    '   ',
    'ftp://x/y',
    Symbol('s'),
    [],
  )
  .map(
    (v) =>
      new Case(typeof v === 'symbol' ? 'Symbol()' : (JSON.stringify(v) ?? String(v)), () =>
        invalid(v, 'not a source', { cloneable: typeof v !== 'symbol' }),
      ),
  );

export { signalSchema };
