/**
 * Shared machinery of the property-based fuzz suites (`*.fuzz.test.ts`, fast-check): hostile values
 * that know what they mean to the callee, a time-bounded outcome check, and per-method tallies printed
 * as a table.
 *
 * A generated argument is a recipe, a {@link Case}: printable (fast-check shows it in a counterexample)
 * and built afresh for every run, since signals, proxies and getters are live objects. What it builds
 * carries its meaning:
 * - `valid`: well typed; `value` is the plain value the callee must act on (read once: a "flip-flop"
 *   getter answers the valid value on its first read and garbage afterwards);
 * - `invalid`: the callee must reject it with `INPUT_INVALID`;
 * - `throws`: reading it throws the caller's own {@link HostileThrow} (a getter, a Proxy trap), which
 *   may propagate unchanged, as WebIDL rethrows what a dictionary's getter throws.
 *
 * Environment: `BERTWEB_FUZZ_RUNS` (cases per property, default {@link DEFAULT_RUNS}),
 * `BERTWEB_FUZZ_SEED` (replay one run), `BERTWEB_FUZZ_CASE_MS` (time bound per case).
 */
import fc from 'fast-check';
import { BertwebError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { MAX_ITEMS } from '../head/validate.js';

/** Cases per property in `pnpm test`. */
export const DEFAULT_RUNS = 20;

/** Cases per property: `BERTWEB_FUZZ_RUNS`, else {@link DEFAULT_RUNS}. */
export const FUZZ_RUNS = Math.max(1, Number(process.env.BERTWEB_FUZZ_RUNS ?? DEFAULT_RUNS) || DEFAULT_RUNS);

/** A share of {@link FUZZ_RUNS} (at least `min`), for properties whose cases are expensive. */
export function runsScaled(fraction: number, min = 3): number {
  return Math.max(min, Math.round(FUZZ_RUNS * fraction));
}

/** Time bound of one case: generous, since `pnpm test` shares the CPU with every other suite. */
export const CASE_TIME_LIMIT_MS = Number(process.env.BERTWEB_FUZZ_CASE_MS ?? 60_000);

/** Vitest timeout of a property with `runs` cases (it is the per-case bound that catches hangs). */
export function propertyTimeout(runs: number, perCaseMs = 1_500): number {
  return 120_000 + runs * perCaseMs;
}

/**
 * fast-check parameters shared by every property: `BERTWEB_FUZZ_SEED` replays a run; failures stop at
 * once and shrink.
 *
 * @example
 * ```ts
 * await fc.assert(fc.asyncProperty(arb, check), fuzzParameters(FUZZ_RUNS));
 * ```
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.BERTWEB_FUZZ_SEED;
  return { numRuns, ...(seed ? { seed: Number(seed) } : {}), interruptAfterTimeLimit: undefined };
}

/** What the caller's own code (a hostile getter, Proxy trap or callback) throws. */
export class HostileThrow extends Error {
  constructor(where: string) {
    super(`hostile ${where} threw`);
    this.name = 'HostileThrow';
  }
}

// ---------------------------------------------------------------------------------------------------
// Cases and what they mean
// ---------------------------------------------------------------------------------------------------

/** What a built argument means to the callee. */
export type Meaning<T> =
  | { readonly kind: 'valid'; readonly value: T }
  | { readonly kind: 'invalid'; readonly why: string }
  | { readonly kind: 'throws' };

/** Properties of a built argument that widen what the callee may do. */
export interface Flags {
  /** Survives structured cloning with the same meaning (no Proxy, function or symbol inside). */
  readonly cloneable: boolean;
  /** Holds a signal that may abort (then `ABORTED` is always an acceptable outcome). */
  readonly abortable: boolean;
  /** Holds a callback that throws a {@link HostileThrow} although the argument is valid. */
  readonly throwingCallback: boolean;
}

/** A built argument. */
export interface Built<T> extends Flags {
  readonly value: unknown;
  readonly meaning: Meaning<T>;
}

/** Per-call state of building: cleanups (timers of signals that abort later). */
export interface BuildContext {
  readonly cleanups: (() => void)[];
}

/**
 * A printable recipe for one argument, built afresh per run.
 *
 * @example
 * ```ts
 * const c = new Case('"a"', () => valid('a', 'a'));
 * const built = c.build({ cleanups: [] });
 * ```
 */
export class Case<T> {
  constructor(
    readonly label: string,
    readonly build: (ctx: BuildContext) => Built<T>,
  ) {}

  [fc.toStringMethod](): string {
    return this.label;
  }

  toString(): string {
    return this.label;
  }
}

const PLAIN: Flags = { cloneable: true, abortable: false, throwingCallback: false };

/** A valid built value. */
export function valid<T>(value: unknown, plain: T, flags: Partial<Flags> = {}): Built<T> {
  return { value, meaning: { kind: 'valid', value: plain }, ...PLAIN, ...flags };
}

/** An invalid built value (the callee must say INPUT_INVALID). */
export function invalid<T>(value: unknown, why: string, flags: Partial<Flags> = {}): Built<T> {
  return { value, meaning: { kind: 'invalid', why }, ...PLAIN, ...flags };
}

/** A value whose reading throws a {@link HostileThrow}. */
export function throwing<T>(value: unknown, flags: Partial<Flags> = {}): Built<T> {
  return { value, meaning: { kind: 'throws' }, ...PLAIN, ...flags };
}

/** Flags of a value made of `parts` (and non-cloneable itself when `selfCloneable` is false). */
export function combine(parts: readonly Flags[], selfCloneable = true): Flags {
  return {
    cloneable: selfCloneable && parts.every((p) => p.cloneable),
    abortable: parts.some((p) => p.abortable),
    throwingCallback: parts.some((p) => p.throwingCallback),
  };
}

/**
 * The meaning of an argument list: `throws` when one argument throws, else `invalid` when one is,
 * else the plain values.
 */
export function meaningOfAll(parts: readonly Built<unknown>[]): Meaning<unknown[]> {
  if (parts.some((p) => p.meaning.kind === 'throws')) return { kind: 'throws' };
  const bad = parts.find((p) => p.meaning.kind === 'invalid');
  if (bad) return bad.meaning as Meaning<unknown[]>;
  return { kind: 'valid', value: parts.map((p) => (p.meaning as { value: unknown }).value) };
}

/** Valid and invalid cases of one parameter type. */
export interface Schema<T> {
  readonly valid: fc.Arbitrary<Case<T>>;
  /** Cases that must be rejected (or that throw): what they would have been is irrelevant. */
  readonly invalid: fc.Arbitrary<Case<unknown>>;
}

/** The schema's cases, valid ones `validWeight` times as often. */
export function casesOf<T>(schema: Schema<T>, validWeight = 3): fc.Arbitrary<Case<unknown>> {
  return fc.oneof(
    { arbitrary: schema.valid as fc.Arbitrary<Case<unknown>>, weight: validWeight },
    { arbitrary: schema.invalid, weight: 1 },
  );
}

function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}...(${value.length})` : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'function';
  if (Object.is(value, -0)) return '-0';
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    // fall through
  }
  return String(value);
}

/** A case of a plain value (strings, numbers...: the same object every run is harmless). */
export function plainCase<T>(value: T, meaning: 'valid' | string): Case<T> {
  const label = describeValue(value);
  return new Case(label, () => (meaning === 'valid' ? valid(value, value) : invalid(value, meaning)));
}

// ---------------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------------

/** Pieces that break text handling: lone surrogates, controls, RTL, emoji, combining marks, specials. */
export const NASTY_FRAGMENTS: readonly string[] = [
  '\ud800',
  '\udc00',
  '\udbff\udfff',
  '\u0000',
  '\u0007',
  '\u001f',
  '\u007f',
  '\t',
  '\n',
  '\r\n',
  '\u0085',
  '\u2028',
  '\u00a0',
  '\u3000',
  '\u200b',
  '\u200d',
  '\u00ad',
  '\ufeff',
  '\u202e',
  '\u200f',
  '\u2066',
  'مرحبا بالعالم',
  'שלום',
  '👩‍👩‍👧‍👦',
  '🇷🇺',
  '👍🏽',
  '😀',
  'e\u0301',
  '\u0301\u0302',
  'a\u0308\u0308\u0308',
  'İ',
  'ß',
  'ǅ',
  'ﬁ',
  'Ω',
  '中文字',
  '한국어',
  'ﾊﾝｶｸ',
  'Anna',
  'Paris',
  'Москва',
  'Владимир Путин',
  'лес',
  'Hello',
  'world',
  ' ',
  '  ',
  '.',
  ',',
  '!?',
  "'",
  '"',
  '-',
  '_',
  '@',
  '[CLS]',
  '[SEP]',
  '[UNK]',
  '[PAD]',
  '[MASK]',
  '##ing',
  'unaffable',
  'x'.repeat(150),
  '10.05.2023',
  '12:30',
  'ivan@mail.ru',
  'т.е.',
  '3.14',
  '\\',
  '<script>',
  '%s%n',
];

const fragment = fc.constantFrom(...NASTY_FRAGMENTS);
const shortText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(' ')),
  fc.constantFrom('', ' ', '\t\n', '\u200b', 'a', 'Anna lives in Paris.', 'Who lives in Paris?'),
);

/** `parts` repeated (space-joined) up to exactly `length` UTF-16 units. */
export function textOfLength(parts: readonly string[], length: number): string {
  const unit = parts.length > 0 ? parts.join(' ') : 'x';
  return `${unit} `.repeat(Math.ceil(length / (unit.length + 1))).slice(0, length);
}

/** Short texts only (no long or huge ones): items of long arrays. */
export function shortStr(): Schema<string> {
  return str({ longWeight: 0, hugeWeight: 0 });
}

/** Options of {@link text}. */
export interface TextOptions {
  /** Weight of 1,000-12,000-character texts (default 1: 1 in 13). */
  readonly longWeight?: number;
  /** Weight of 100,000-character texts (default 0.1: 1 in 130). */
  readonly hugeWeight?: number;
}

/**
 * Strings: short unicode and fragment mixes, long texts, and rarely a 100,000-character one.
 *
 * @example
 * ```ts
 * fc.sample(textArb(), 3); // ['', 'Anna\ud800', 'Москва 👍🏽 ...']
 * ```
 */
export function textArb(options: TextOptions = {}): fc.Arbitrary<string> {
  // Weights are integers: 120 short texts to 10 long ones (longWeight 1) and 1 huge one (hugeWeight 0.1).
  const longWeight = Math.round(10 * (options.longWeight ?? 1));
  const hugeWeight = Math.round(10 * (options.hugeWeight ?? 0.1));
  const arbs: fc.WeightedArbitrary<string>[] = [{ arbitrary: shortText, weight: 120 }];
  if (longWeight > 0) {
    arbs.push({
      arbitrary: fc
        .tuple(fc.array(fragment, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1_000, max: 12_000 }))
        .map(([parts, length]) => textOfLength(parts, length)),
      weight: longWeight,
    });
  }
  if (hugeWeight > 0) {
    arbs.push({
      arbitrary: fc.array(fragment, { minLength: 1, maxLength: 4 }).map((parts) => textOfLength(parts, 100_000)),
      weight: hugeWeight,
    });
  }
  return fc.oneof(...arbs);
}

/** Values of every type but the one expected, JSON-ish and not (cloneable ones only unless `all`). */
export function foreignValues(exclude: 'string' | 'number' | 'boolean' | 'object' | 'none'): fc.Arbitrary<Case<never>> {
  const plain: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(
      null,
      undefined,
      true,
      false,
      0,
      -0,
      1,
      -1,
      1.5,
      Number.NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      2 ** 31,
      -(2 ** 31),
      1e308,
    ),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.string({ maxLength: 8 }),
    fc.constantFrom('', 'true', '1', 'NaN', 'mean', 'auto'),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1, maxKeys: 3 }),
  ];
  const keep = (v: unknown): boolean => {
    if (exclude === 'none') return true;
    if (exclude === 'object') return typeof v !== 'object' || v === null;
    return typeof v !== exclude;
  };
  const plainCases = fc
    .oneof(...plain)
    .filter(keep)
    .map((v) => plainCase(v as never, `a ${typeof v}`));
  const special: Case<never>[] = [
    new Case('Symbol()', () => invalid(Symbol('fuzz'), 'a symbol', { cloneable: false })),
    new Case('function', () => invalid(() => 'x', 'a function', { cloneable: false })),
    new Case('new String("a")', () => invalid(new String('a'), 'a String object')),
    new Case('new Date(0)', () => invalid(new Date(0), 'a Date')),
    new Case('/x/', () => invalid(/x/, 'a RegExp')),
    new Case('new Map()', () => invalid(new Map([['a', 1]]), 'a Map')),
    new Case('Proxy({})', () => invalid(new Proxy({}, {}), 'a Proxy', { cloneable: false })),
    new Case('{toString: throws}', () =>
      invalid(
        {
          toString() {
            throw new HostileThrow('toString');
          },
          valueOf() {
            throw new HostileThrow('valueOf');
          },
        },
        'an object with a throwing toString',
        { cloneable: false },
      ),
    ),
  ];
  const specials = fc.constantFrom(...special.filter((c) => exclude !== 'object' || !c.label.startsWith('{')));
  return fc.oneof({ arbitrary: plainCases, weight: 4 }, { arbitrary: specials, weight: 1 });
}

/**
 * Strings: valid are {@link textArb}, invalid every other type.
 *
 * @example
 * ```ts
 * const question = str();
 * ```
 */
export function str(options: TextOptions = {}): Schema<string> {
  return {
    valid: textArb(options).map((s) => plainCase(s, 'valid')),
    invalid: foreignValues('string'),
  };
}

// ---------------------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------------------

/** Options of {@link arrayOf}. */
export interface ArrayOptions {
  readonly maxLength?: number;
  /** Also generate long valid arrays (repeats of a few items, up to this length). */
  readonly longLength?: number;
  /** Items of the long arrays (default the schema's valid items; pass short ones to bound the work). */
  readonly longItems?: fc.Arbitrary<Case<unknown>>;
}

function buildAll<T>(cases: readonly Case<T>[], ctx: BuildContext): Built<T>[] {
  return cases.map((c) => c.build(ctx));
}

/** A real array of the built values with the combined meaning. */
function arrayOfBuilt<T>(parts: readonly Built<T>[], selfCloneable = true): Built<T[]> {
  const flags = combine(parts, selfCloneable);
  const values = parts.map((p) => p.value);
  const meaning = meaningOfAll(parts);
  if (meaning.kind === 'valid') return { value: values, meaning: meaning as Meaning<T[]>, ...flags };
  return { value: values, meaning: meaning as Meaning<T[]>, ...flags };
}

/** Wraps a valid array without changing what it means (or changing it, for the hostile wrappers). */
type ArrayWrapper = 'none' | 'frozen' | 'proxy' | 'flip-flop' | 'subclass' | 'extra-prop';

function wrapArray<T>(built: Built<T[]>, wrapper: ArrayWrapper, at: number): Built<T[]> {
  const values = built.value as unknown[];
  switch (wrapper) {
    case 'none':
      return built;
    case 'frozen':
      return { ...built, value: Object.freeze(values) };
    case 'proxy':
      return { ...built, value: new Proxy(values, {}), cloneable: false };
    case 'subclass': {
      class TextList extends Array<unknown> {}
      const list = new TextList();
      for (const v of values) list.push(v);
      return { ...built, value: list };
    }
    case 'extra-prop':
      return { ...built, value: Object.assign([...values], { note: 'extra' }) };
    case 'flip-flop': {
      if (values.length === 0) return built;
      const i = at % values.length;
      const copy = [...values];
      let reads = 0;
      const first = copy[i];
      Object.defineProperty(copy, i, {
        enumerable: true,
        configurable: true,
        get: () => (reads++ === 0 ? first : 42),
      });
      return { ...built, value: copy };
    }
  }
}

/**
 * Arrays of `item`: valid are real arrays of valid items (also frozen, a transparent Proxy, a
 * subclass, with an extra property, a flip-flop element, long ones); invalid have a hole, an invalid
 * item, are array-likes, typed arrays, strings or scalars, or have more than MAX_ITEMS entries; some
 * throw from a getter or a Proxy trap.
 *
 * @example
 * ```ts
 * const texts = arrayOf(str(), { maxLength: 6 });
 * ```
 */
export function arrayOf<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const maxLength = options.maxLength ?? 6;
  const items = fc.array(item.valid, { maxLength });
  const wrapper = fc.constantFrom<ArrayWrapper>(
    'none',
    'none',
    'none',
    'none',
    'frozen',
    'proxy',
    'flip-flop',
    'subclass',
    'extra-prop',
  );
  const plainValid = fc
    .tuple(items, wrapper, fc.nat())
    .map(
      ([cases, wrap, at]) =>
        new Case(`${wrap === 'none' ? '' : `${wrap} `}[${cases.map((c) => c.label).join(', ')}]`, (ctx) =>
          wrapArray(arrayOfBuilt(buildAll(cases, ctx)), wrap, at),
        ),
    );
  const validArbs: fc.WeightedArbitrary<Case<T[]>>[] = [{ arbitrary: plainValid, weight: 12 }];
  if (options.longLength) {
    const longLength = options.longLength;
    validArbs.push({
      arbitrary: fc
        .tuple(
          fc.array((options.longItems ?? item.valid) as fc.Arbitrary<Case<T>>, { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 100, max: longLength }),
        )
        .map(
          ([cases, n]) =>
            new Case(`long(${n}) of [${cases.map((c) => c.label).join(', ')}]`, (ctx) => {
              const built = buildAll(cases, ctx);
              return arrayOfBuilt(Array.from({ length: n }, (_, i) => built[i % built.length] as Built<T>));
            }),
        ),
      weight: 1,
    });
  }
  const withBadItem = fc.tuple(items, item.invalid, fc.nat()).map(([cases, bad, at]) => {
    const all: Case<unknown>[] = [...cases];
    all.splice(at % (cases.length + 1), 0, bad);
    return new Case(`[${all.map((c) => c.label).join(', ')}]`, (ctx) => arrayOfBuilt(buildAll(all, ctx)));
  });
  const holey = fc.tuple(items, fc.nat()).map(([cases, at]) => {
    const n = cases.length + 1;
    const hole = at % n;
    return new Case(`sparse(len ${n}, hole at ${hole})`, (ctx) => {
      const built = buildAll(cases, ctx);
      const array: unknown[] = new Array(n);
      let k = 0;
      for (let i = 0; i < n; i++) if (i !== hole) array[i] = (built[k++] as Built<T>).value;
      return invalid(array, 'a hole', combine(built));
    });
  });
  const arrayLike = items.map(
    (cases) =>
      new Case(`arrayLike{${cases.length}}`, (ctx) => {
        const built = buildAll(cases, ctx);
        const like: Record<string, unknown> = { length: built.length };
        built.forEach((b, i) => {
          like[i] = b.value;
        });
        return invalid(like, 'an array-like', combine(built));
      }),
  );
  const others = fc.constantFrom(
    new Case('Float64Array[1, 2]', () => invalid(Float64Array.of(1, 2), 'a typed array')),
    new Case('Uint8Array[]', () => invalid(new Uint8Array(0), 'a typed array (empty)')),
    new Case('"abc"', () => invalid('abc', 'a string')),
    new Case('Set{"a"}', () => invalid(new Set(['a']), 'a Set')),
    new Case(`Array(${MAX_ITEMS + 1})`, () => invalid(new Array(MAX_ITEMS + 1), 'too many items')),
    new Case('arguments-like', () => invalid({ length: 2 ** 32 - 1 }, 'an array-like')),
  );
  const throwingGetter = fc.tuple(items, fc.nat()).map(
    ([cases, at]) =>
      new Case(`[${cases.length + 1} items, getter throws at ${at % (cases.length + 1)}]`, (ctx) => {
        const built = buildAll(cases, ctx);
        const array = built.map((b) => b.value);
        const i = at % (array.length + 1);
        array.splice(i, 0, undefined);
        Object.defineProperty(array, i, {
          enumerable: true,
          get: () => {
            throw new HostileThrow(`getter of item ${i}`);
          },
        });
        return throwing(array, combine(built));
      }),
  );
  const throwingProxy = fc.array(item.valid, { minLength: 1, maxLength }).map(
    (cases) =>
      new Case(`Proxy[${cases.length}] with throwing get`, (ctx) => {
        const built = buildAll(cases, ctx);
        const array = built.map((b) => b.value);
        const proxy = new Proxy(array, {
          get(target, key, receiver) {
            if (typeof key === 'string' && /^\d+$/.test(key)) throw new HostileThrow(`Proxy get ${key}`);
            return Reflect.get(target, key, receiver);
          },
        });
        return throwing(proxy, { ...combine(built), cloneable: false });
      }),
  );
  return {
    valid: fc.oneof(...validArbs),
    invalid: fc.oneof(
      { arbitrary: withBadItem, weight: 4 },
      { arbitrary: holey, weight: 3 },
      { arbitrary: arrayLike, weight: 1 },
      { arbitrary: others, weight: 2 },
      { arbitrary: foreignValues('none').filter((c) => c.label !== '[]' && !c.label.startsWith('[')), weight: 2 },
      { arbitrary: throwingGetter, weight: 1 },
      { arbitrary: throwingProxy, weight: 1 },
    ),
  };
}

// ---------------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------------

/**
 * Integers in `[min, max]` (valid), and what is not (out of range, fractional, NaN, strings, bigints).
 *
 * @example
 * ```ts
 * const topK = int(1, 2 ** 40);
 * ```
 */
export function int(min: number, max = Number.MAX_SAFE_INTEGER, typical = min + 8): Schema<number> {
  const valid = fc
    .oneof(
      fc.integer({ min, max: Math.min(max, Math.max(min, typical)) }),
      fc.constantFrom(min, max, Math.min(max, min + 1)),
      fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
    )
    .map((n) => plainCase(n, 'valid'));
  const bad = fc.oneof(
    fc.constantFrom(min - 1, min - 0.5, min + 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53 + 2),
    fc.double({ noInteger: true }),
    fc.integer({ min: -(2 ** 40), max: min - 1 }),
  );
  const outOfRange = max < Number.MAX_SAFE_INTEGER ? fc.constantFrom(max + 1, max * 2 + 1) : fc.constant(min - 1);
  return {
    valid,
    invalid: fc.oneof(
      { arbitrary: fc.oneof(bad, outOfRange).map((n) => plainCase(n, 'not an integer in range')), weight: 3 },
      { arbitrary: foreignValues('number').filter((c) => c.label !== 'undefined'), weight: 2 },
    ),
  };
}

/**
 * Finite numbers in `[min, max]` (valid) and non-finite or non-numbers (invalid).
 *
 * @example
 * ```ts
 * const threshold = finite();
 * ```
 */
export function finite(min = -Number.MAX_VALUE, max = Number.MAX_VALUE): Schema<number> {
  return {
    valid: fc
      .oneof(
        fc.double({ min: Math.max(min, -10), max: Math.min(max, 10), noNaN: true }),
        fc.constantFrom(0, -0, 0.5, 1, -1, 1e-300, 1e300).filter((v) => v >= min && v <= max),
        fc.double({ min, max, noNaN: true }),
      )
      .map((n) => plainCase(n, 'valid')),
    invalid: fc.oneof(
      fc.constantFrom(Number.NaN, Infinity, -Infinity).map((n) => plainCase(n, 'not finite')),
      foreignValues('number').filter((c) => c.label !== 'undefined'),
    ),
  };
}

/** `true` / `false`, and anything else as invalid. */
export function bool(): Schema<boolean> {
  return {
    valid: fc.boolean().map((b) => plainCase(b, 'valid')),
    invalid: foreignValues('boolean').filter((c) => c.label !== 'undefined'),
  };
}

/**
 * One of fixed values; near misses (case, spaces, other types) are invalid.
 *
 * @example
 * ```ts
 * const pooling = oneOf(['mean', 'max', 'cls']);
 * ```
 */
export function oneOf<T extends string | boolean>(choices: readonly T[]): Schema<T> {
  const near = choices.flatMap((c) =>
    typeof c === 'string' ? [c.toUpperCase(), ` ${c}`, `${c}s`, c.slice(0, -1)] : [String(c)],
  );
  return {
    valid: fc.constantFrom(...choices).map((c) => plainCase(c, 'valid')),
    invalid: fc.oneof(
      fc
        .constantFrom(...near.filter((n) => !(choices as readonly unknown[]).includes(n)), 'nope', '')
        .map((v) => plainCase(v, 'not a choice')),
      foreignValues('none').filter(
        (c) => c.label !== 'undefined' && !(choices as readonly unknown[]).some((x) => describeValue(x) === c.label),
      ),
    ),
  };
}

/** Either schema (valid from either, invalid only where both reject; pass `invalid` explicitly). */
export function either<A, B>(a: Schema<A>, b: Schema<B>, invalidCases: fc.Arbitrary<Case<never>>): Schema<A | B> {
  return { valid: fc.oneof(a.valid, b.valid) as fc.Arbitrary<Case<A | B>>, invalid: invalidCases };
}

// ---------------------------------------------------------------------------------------------------
// Signals and callbacks
// ---------------------------------------------------------------------------------------------------

/**
 * AbortSignals: never-aborting, already aborted, aborted after some milliseconds, `AbortSignal.timeout`;
 * invalid: plain objects, strings, half-signals.
 *
 * @example
 * ```ts
 * const signal = signalSchema();
 * ```
 */
export function signalSchema(): Schema<AbortSignal> {
  const live = new Case('live signal', () => valid(new AbortController().signal, undefined as unknown as AbortSignal));
  const aborted = new Case('AbortSignal.abort()', () =>
    valid(AbortSignal.abort(), undefined as unknown as AbortSignal, { abortable: true }),
  );
  const abortedWith = fc
    .constantFrom<unknown>('why', 42, null, new Error('reason'))
    .map(
      (reason) =>
        new Case(`AbortSignal.abort(${describeValue(reason)})`, () =>
          valid(AbortSignal.abort(reason), undefined as unknown as AbortSignal, { abortable: true }),
        ),
    );
  const later = fc.integer({ min: 0, max: 40 }).map(
    (ms) =>
      new Case(`aborts after ${ms} ms`, (ctx) => {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), ms);
        ctx.cleanups.push(() => clearTimeout(timer));
        return valid(controller.signal, undefined as unknown as AbortSignal, { abortable: true });
      }),
  );
  const timeout = fc
    .integer({ min: 1, max: 30 })
    .map(
      (ms) =>
        new Case(`AbortSignal.timeout(${ms})`, () =>
          valid(AbortSignal.timeout(ms), undefined as unknown as AbortSignal, { abortable: true }),
        ),
    );
  const fakes = fc.constantFrom(
    new Case('{}', () => invalid({}, 'not a signal')),
    new Case('{aborted: "no"}', () =>
      invalid({ aborted: 'no', addEventListener() {}, removeEventListener() {} }, 'half a signal', {
        cloneable: false,
      }),
    ),
    new Case('{aborted: false}', () => invalid({ aborted: false }, 'half a signal')),
    new Case('"signal"', () => invalid('signal', 'a string')),
    new Case('true', () => invalid(true, 'a boolean')),
    new Case('null', () => invalid(null, 'null')),
    new Case('AbortController', () => invalid(new AbortController(), 'a controller', { cloneable: false })),
  );
  return {
    valid: fc.oneof(
      { arbitrary: fc.constant(live), weight: 2 },
      { arbitrary: fc.constant(aborted), weight: 1 },
      { arbitrary: abortedWith, weight: 1 },
      { arbitrary: later, weight: 3 },
      { arbitrary: timeout, weight: 1 },
    ),
    invalid: fakes,
  };
}

/**
 * Callbacks: a no-op, one that throws a {@link HostileThrow}, one that returns a rejected promise;
 * invalid: non-functions. Functions never cross a worker boundary except as onProgress.
 *
 * @example
 * ```ts
 * const onProgress = callbackSchema(true);
 * ```
 */
export function callbackSchema(crossesWorkers: boolean): Schema<() => void> {
  const cloneable = crossesWorkers;
  const fn = undefined as unknown as () => void;
  return {
    valid: fc.constantFrom(
      new Case('() => {}', () => valid(() => {}, fn, { cloneable })),
      new Case('() => {}', () => valid(() => {}, fn, { cloneable })),
      new Case('async () => {}', () => valid(async () => {}, fn, { cloneable })),
      new Case('() => throw', () =>
        valid(
          () => {
            throw new HostileThrow('callback');
          },
          fn,
          { cloneable, throwingCallback: true },
        ),
      ),
    ),
    invalid: fc.oneof(
      fc.constantFrom(42, 'onProgress', true, null, {}).map((v) => plainCase(v as never, 'not a function')),
      fc.constant(new Case('Proxy({})', () => invalid(new Proxy({}, {}), 'a Proxy', { cloneable: false }))),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------
// Options objects
// ---------------------------------------------------------------------------------------------------

type OptionWrapper = 'none' | 'frozen' | 'null-proto' | 'proxy' | 'symbol-key' | 'undefined-key' | 'flip-flop';

/** The schemas of an options object's known keys. */
export type OptionSchemas = Readonly<Record<string, Schema<unknown>>>;

/** Options of {@link optionsOf}. */
export interface OptionsOfOptions {
  /** Plain values (and functions only where they cross) so that the object can go to a worker. */
  readonly maxKeys?: number;
}

function buildOptions(
  entries: readonly (readonly [string, Case<unknown>])[],
  ctx: BuildContext,
): { object: Record<string, unknown>; plain: Record<string, unknown>; parts: Built<unknown>[] } {
  const object: Record<string, unknown> = {};
  const plain: Record<string, unknown> = {};
  const parts: Built<unknown>[] = [];
  for (const [key, c] of entries) {
    const built = c.build(ctx);
    parts.push(built);
    object[key] = built.value;
    if (built.meaning.kind === 'valid' && built.value !== undefined) plain[key] = built.meaning.value ?? built.value;
  }
  return { object, plain, parts };
}

function optionsLabel(prefix: string, entries: readonly (readonly [string, Case<unknown>])[], extra = ''): string {
  return `${prefix}{${entries.map(([k, c]) => `${k}: ${c.label}`).join(', ')}${extra}}`;
}

function wrapOptions(
  object: Record<string, unknown>,
  wrapper: OptionWrapper,
  at: number,
): { value: unknown; cloneable: boolean } {
  switch (wrapper) {
    case 'none':
      return { value: object, cloneable: true };
    case 'frozen':
      return { value: Object.freeze(object), cloneable: true };
    case 'null-proto':
      return { value: Object.assign(Object.create(null), object), cloneable: true };
    case 'proxy':
      return { value: new Proxy(object, {}), cloneable: false };
    case 'symbol-key':
      return { value: Object.assign(object, { [Symbol('extra')]: 1 }), cloneable: true };
    case 'undefined-key': {
      return { value: object, cloneable: true };
    }
    case 'flip-flop': {
      const keys = Object.keys(object);
      if (keys.length === 0) return { value: object, cloneable: true };
      // Not sent to workers: connect() reads an options argument twice (splitArgs, then the structured
      // clone of postMessage), so the worker would see the second answer (lead's item, see the report).
      const key = keys[at % keys.length] as string;
      const first = object[key];
      let reads = 0;
      Object.defineProperty(object, key, {
        enumerable: true,
        configurable: true,
        get: () => (reads++ === 0 ? first : Symbol('flip-flop')),
      });
      return { value: object, cloneable: false };
    }
  }
}

/**
 * Options objects with the given known keys. Valid: `undefined`, `null`, `{}`, any subset of known keys
 * with valid values (also frozen, null-prototype, a Proxy, with a symbol key, with a flip-flop getter),
 * and a signal that aborts at a progress event when both keys are known. Invalid: an unknown key, an
 * own `__proto__` key, a known key with an invalid value, non-objects. Throwing: a getter of a known
 * key, a Proxy whose `ownKeys` throws.
 *
 * @example
 * ```ts
 * const callOptions = optionsOf({ signal: signalSchema(), onProgress: callbackSchema(true), topK: int(1) });
 * ```
 */
export function optionsOf(known: OptionSchemas, options: OptionsOfOptions = {}): Schema<Record<string, unknown>> {
  const keys = Object.keys(known);
  const maxKeys = options.maxKeys ?? 4;
  const entry = (valid: boolean) =>
    fc
      .constantFrom(...keys)
      .chain((key) =>
        (valid ? (known[key] as Schema<unknown>).valid : (known[key] as Schema<unknown>).invalid).map(
          (c) => [key, c] as const,
        ),
      );
  const validEntries = fc.uniqueArray(entry(true), { maxLength: Math.min(maxKeys, keys.length), selector: ([k]) => k });
  const wrapper = fc.constantFrom<OptionWrapper>(
    'none',
    'none',
    'none',
    'none',
    'frozen',
    'null-proto',
    'proxy',
    'symbol-key',
    'undefined-key',
    'flip-flop',
  );
  const record = fc.tuple(validEntries, wrapper, fc.nat()).map(
    ([entries, wrap, at]) =>
      new Case(optionsLabel(wrap === 'none' ? '' : `${wrap} `, entries), (ctx) => {
        const { object, plain, parts } = buildOptions(entries, ctx);
        if (wrap === 'undefined-key') object[keys[at % keys.length] as string] ??= undefined;
        const { value, cloneable } = wrapOptions(object, wrap, at);
        return { value, meaning: { kind: 'valid', value: plain }, ...combine(parts, cloneable) };
      }),
  );
  const simple = fc.constantFrom(
    new Case<Record<string, unknown>>('undefined', () => valid(undefined, {})),
    new Case<Record<string, unknown>>('null', () => valid(null, {})),
    new Case<Record<string, unknown>>('{}', () => valid({}, {})),
  );
  const validArbs: fc.WeightedArbitrary<Case<Record<string, unknown>>>[] = [
    { arbitrary: simple, weight: 3 },
    { arbitrary: record, weight: 8 },
  ];
  if (keys.includes('signal') && keys.includes('onProgress')) {
    validArbs.push({
      arbitrary: fc.integer({ min: 1, max: 4 }).map(
        (n) =>
          new Case(`{signal, onProgress: aborts at event ${n}}`, () => {
            const controller = new AbortController();
            let events = 0;
            const onProgress = () => {
              if (++events >= n) controller.abort();
            };
            return valid({ signal: controller.signal, onProgress }, {}, { abortable: true });
          }),
      ),
      weight: 1,
    });
  }
  const unknownKey = fc
    .tuple(
      validEntries,
      fc.oneof(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.constantFrom('topk', 'Signal', 'onprogress', 'constructor', 'toString', 'hasOwnProperty', 'length', '0'),
      ),
      fc.jsonValue({ maxDepth: 1 }),
    )
    .filter(([, key]) => !keys.includes(key))
    .map(
      ([entries, key, value]) =>
        new Case(optionsLabel('', entries, `, ${JSON.stringify(key)}: ${describeValue(value)}`), (ctx) => {
          const { object, parts } = buildOptions(entries, ctx);
          Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
          return invalid(object, `unknown key ${key}`, combine(parts));
        }),
    );
  const protoKey = validEntries.map(
    (entries) =>
      new Case(optionsLabel('', entries, ', own "__proto__"'), (ctx) => {
        const { object, parts } = buildOptions(entries, ctx);
        const value = Object.assign(JSON.parse('{"__proto__": {"topK": 1}}') as Record<string, unknown>, object);
        return invalid(value, 'own __proto__ key', combine(parts));
      }),
  );
  const badValue = fc.tuple(validEntries, entry(false)).map(([entries, bad]) => {
    const all = [...entries.filter(([k]) => k !== bad[0]), bad];
    return new Case<Record<string, unknown>>(optionsLabel('', all), (ctx) => {
      const { object, parts } = buildOptions(all, ctx);
      const meaning = meaningOfAll(parts);
      return {
        value: object,
        meaning: meaning.kind === 'valid' ? { kind: 'invalid', why: 'bad value' } : (meaning as Meaning<never>),
        ...combine(parts),
      };
    });
  });
  const nonObjects = fc.constantFrom(
    new Case<Record<string, unknown>>('"fast"', () => invalid('fast', 'a string')),
    new Case<Record<string, unknown>>('42', () => invalid(42, 'a number')),
    new Case<Record<string, unknown>>('true', () => invalid(true, 'a boolean')),
    new Case<Record<string, unknown>>('[]', () => invalid([], 'an array')),
    new Case<Record<string, unknown>>('[{topK: 1}]', () => invalid([{ topK: 1 }], 'an array')),
    new Case<Record<string, unknown>>('1n', () => invalid(1n, 'a bigint')),
    new Case<Record<string, unknown>>('Symbol()', () => invalid(Symbol('options'), 'a symbol', { cloneable: false })),
    new Case<Record<string, unknown>>('function', () => invalid(() => ({}), 'a function', { cloneable: false })),
  );
  const throwingGetter = fc.tuple(validEntries, fc.constantFrom(...keys)).map(
    ([entries, key]) =>
      new Case<Record<string, unknown>>(optionsLabel('', entries, `, get ${key}() throws`), (ctx) => {
        const { object, parts } = buildOptions(
          entries.filter(([k]) => k !== key),
          ctx,
        );
        Object.defineProperty(object, key, {
          enumerable: true,
          get: () => {
            throw new HostileThrow(`getter of option ${key}`);
          },
        });
        return throwing(object, combine(parts));
      }),
  );
  const throwingProxy = fc.constantFrom(
    new Case<Record<string, unknown>>('Proxy with throwing ownKeys', () =>
      throwing(
        new Proxy(
          {},
          {
            ownKeys() {
              throw new HostileThrow('ownKeys trap');
            },
          },
        ),
        { cloneable: false },
      ),
    ),
    new Case<Record<string, unknown>>('Proxy with throwing get', () =>
      throwing(
        new Proxy(
          {},
          {
            get() {
              throw new HostileThrow('get trap');
            },
          },
        ),
        { cloneable: false },
      ),
    ),
  );
  return {
    valid: fc.oneof(...validArbs),
    invalid: fc.oneof(
      { arbitrary: unknownKey, weight: 3 },
      { arbitrary: protoKey, weight: 1 },
      { arbitrary: badValue, weight: 5 },
      { arbitrary: nonObjects, weight: 2 },
      { arbitrary: throwingGetter, weight: 1 },
      { arbitrary: throwingProxy, weight: 1 },
    ),
  };
}

/** The options every call accepts (`signal`, `onProgress`) plus `extra`. */
export function callOptions(extra: OptionSchemas = {}): Schema<Record<string, unknown>> {
  return optionsOf({ signal: signalSchema(), onProgress: callbackSchema(true), ...extra });
}

// ---------------------------------------------------------------------------------------------------
// Argument lists
// ---------------------------------------------------------------------------------------------------

/** A list of argument cases, printable. */
export class Args {
  constructor(readonly cases: readonly Case<unknown>[]) {}

  [fc.toStringMethod](): string {
    return `(${this.cases.map((c) => c.label).join(', ')})`;
  }

  toString(): string {
    return this[fc.toStringMethod]();
  }
}

/** Built arguments of one call. */
export interface BuiltArgs extends Flags {
  readonly values: unknown[];
  readonly meaning: Meaning<unknown[]>;
  readonly cleanup: () => void;
}

/** Builds every argument of a call (fresh live objects), with the combined meaning and flags. */
export function buildArgs(args: Args): BuiltArgs {
  const ctx: BuildContext = { cleanups: [] };
  const parts = args.cases.map((c) => c.build(ctx));
  return {
    values: parts.map((p) => p.value),
    meaning: meaningOfAll(parts),
    ...combine(parts),
    cleanup: () => {
      for (const c of ctx.cleanups) c();
    },
  };
}

/**
 * Arguments from one schema per parameter; `trailingOptional` drops trailing `undefined` arguments
 * sometimes (a call with fewer arguments). Mostly valid: each argument is invalid about 1 time in 5.
 *
 * @example
 * ```ts
 * const answerArgs = argsOf([str(), str(), callOptions({ topK: int(1) })]);
 * ```
 */
export function argsOf(schemas: readonly Schema<unknown>[], validWeight = 5): fc.Arbitrary<Args> {
  return fc.tuple(...schemas.map((s) => casesOf(s, validWeight))).map((cases) => new Args(cases));
}

/** Only arguments whose every part survives structured cloning (what a worker can be sent). */
export function cloneableArgs(arb: fc.Arbitrary<Args>): fc.Arbitrary<Args> {
  return arb.filter((args) => {
    const built = buildArgs(args);
    built.cleanup();
    return built.cloneable;
  });
}

// ---------------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------------

/** Outcome counts of one method in one mode. */
export interface Tally {
  cases: number;
  results: number;
  /** Rejections by error code; `caller` counts a {@link HostileThrow} passed through unchanged. */
  readonly rejections: Record<string, number>;
  slowestMs: number;
}

/** Every tally, by `<suite>|<method>|<mode>`. */
const tallies = new Map<string, Tally>();

/** The tally of one method in one mode. */
export function tallyOf(suite: string, method: string, mode: string): Tally {
  const key = `${suite}|${method}|${mode}`;
  let tally = tallies.get(key);
  if (!tally) {
    tally = { cases: 0, results: 0, rejections: {}, slowestMs: 0 };
    tallies.set(key, tally);
  }
  return tally;
}

/** Codes no call may reject with: INTERNAL means a bug. */
export const DOCUMENTED_CODES: readonly ErrorCode[] = ERROR_CODES.filter((c) => c !== 'INTERNAL');

/** What a call may do, given its arguments' meaning. */
export interface Expectation {
  readonly meaning: Meaning<unknown[]>;
  readonly flags: Flags;
  /** Codes a well-typed call may reject with (besides ABORTED when a signal may abort). */
  readonly validCodes?: readonly ErrorCode[];
  /** Codes an invalid call may reject with (default INPUT_INVALID). */
  readonly invalidCodes?: readonly ErrorCode[];
  /** Codes any call may reject with (DISPOSED when a dispose races the call). */
  readonly anyCodes?: readonly ErrorCode[];
}

function describeError(error: unknown): string {
  if (error instanceof BertwebError) return `BertwebError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return `non-error ${describeValue(error)}`;
}

/** Rejects after {@link CASE_TIME_LIMIT_MS}: a hang fails the property. */
export async function withinTimeLimit<T>(work: () => Promise<T> | T, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${CASE_TIME_LIMIT_MS} ms (a hang)`)),
      CASE_TIME_LIMIT_MS,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one call and checks its outcome against the expectation: a valid call resolves with a result
 * that `check` accepts, or rejects with an allowed code; an invalid one rejects with INPUT_INVALID; a
 * throwing one rejects with the caller's own {@link HostileThrow} (or INPUT_INVALID); always within the
 * time bound, never INTERNAL, never a foreign error. Counts the outcome in `tally`.
 *
 * @example
 * ```ts
 * await expectOutcome(tally, 'tag', expectation, () => tagger.tag(...args), (result) => checkEntities(result));
 * ```
 */
export async function expectOutcome<R>(
  tally: Tally,
  what: string,
  expectation: Expectation,
  call: () => Promise<R>,
  check: (result: R, args: unknown[]) => void,
): Promise<'result' | ErrorCode | 'caller'> {
  tally.cases++;
  const started = performance.now();
  const { meaning, flags } = expectation;
  try {
    let outcome: { ok: true; value: R } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await withinTimeLimit(call, what) };
    } catch (error) {
      if (error instanceof Error && error.message.includes('(a hang)')) throw error;
      outcome = { ok: false, error };
    }
    if (outcome.ok) {
      if (meaning.kind !== 'valid') {
        throw new Error(
          `${what}: resolved although the arguments are ${meaning.kind === 'invalid' ? `invalid (${meaning.why})` : 'unreadable (a getter throws)'}`,
        );
      }
      try {
        check(outcome.value, meaning.value);
      } catch (error) {
        throw new Error(`${what}: invalid result: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      tally.results++;
      return 'result';
    }
    const error = outcome.error;
    const callerMayThrow = meaning.kind === 'throws' || flags.throwingCallback;
    if (error instanceof HostileThrow && callerMayThrow) {
      tally.rejections.caller = (tally.rejections.caller ?? 0) + 1;
      return 'caller';
    }
    if (!(error instanceof BertwebError))
      throw new Error(`${what}: rejected with a foreign error: ${describeError(error)}`);
    const allowed = new Set<ErrorCode>(expectation.anyCodes ?? []);
    if (flags.abortable) allowed.add('ABORTED');
    if (meaning.kind === 'valid') for (const code of expectation.validCodes ?? []) allowed.add(code);
    else for (const code of expectation.invalidCodes ?? ['INPUT_INVALID']) allowed.add(code);
    if (error.code === 'INTERNAL' || !allowed.has(error.code)) {
      const context =
        meaning.kind === 'valid'
          ? 'valid arguments'
          : meaning.kind === 'invalid'
            ? `invalid arguments (${meaning.why})`
            : 'a throwing argument';
      throw new Error(
        `${what}: ${context} rejected with ${describeError(error)}; allowed: ${[...allowed].join(', ') || 'none'}`,
      );
    }
    tally.rejections[error.code] = (tally.rejections[error.code] ?? 0) + 1;
    return error.code;
  } finally {
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  }
}

/**
 * The tallies of `suite` as a Markdown table (method, mode, cases, results, rejections by code,
 * slowest case), for the log and for quoting.
 *
 * @example
 * ```ts
 * afterAll(() => console.log(talliesTable('heads')));
 * ```
 */
export function talliesTable(suite: string): string {
  const rows = [...tallies].filter(([key]) => key.startsWith(`${suite}|`));
  const codes = [...new Set(rows.flatMap(([, t]) => Object.keys(t.rejections)))].sort();
  const header = ['method', 'mode', 'cases', 'results', ...codes, 'slowest ms'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const [key, t] of rows) {
    const [, method, mode] = key.split('|');
    const cells = [
      method,
      mode,
      t.cases,
      t.results,
      ...codes.map((c) => t.rejections[c] ?? 0),
      Math.round(t.slowestMs),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Prints {@link talliesTable} (and appends it to `BERTWEB_FUZZ_REPORT` when set). */
export async function printTallies(suite: string, title: string): Promise<void> {
  const table = `\n### ${title} (BERTWEB_FUZZ_RUNS=${FUZZ_RUNS})\n\n${talliesTable(suite)}\n`;
  process.stdout.write(table);
  const report = process.env.BERTWEB_FUZZ_REPORT;
  if (report) {
    const { appendFileSync } = await import('node:fs');
    appendFileSync(report, table);
  }
}

// ---------------------------------------------------------------------------------------------------
// Result checks
// ---------------------------------------------------------------------------------------------------

/** Throws with `message` unless `condition`. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** A finite number. */
export function ensureFinite(value: unknown, what: string): asserts value is number {
  ensure(typeof value === 'number' && Number.isFinite(value), `${what} is ${describeValue(value)}, not finite`);
}

/** A probability: finite, in [0, 1]. */
export function ensureProbability(value: unknown, what: string): asserts value is number {
  ensureFinite(value, what);
  ensure(value >= 0 && value <= 1, `${what} = ${value} is outside [0, 1]`);
}

/** `input.slice(start, end) === text`, with `0 <= start <= end <= input.length`. */
export function ensureSlice(input: string, start: unknown, end: unknown, text: unknown, what: string): void {
  ensure(
    Number.isInteger(start) && Number.isInteger(end),
    `${what}: offsets ${describeValue(start)}, ${describeValue(end)} are not integers`,
  );
  const s = start as number;
  const e = end as number;
  ensure(
    s >= 0 && s <= e && e <= input.length,
    `${what}: offsets [${s}, ${e}) outside the input (length ${input.length})`,
  );
  ensure(
    input.slice(s, e) === text,
    `${what}: text ${describeValue(text)} !== input.slice(${s}, ${e}) = ${describeValue(input.slice(s, e))}`,
  );
}

/** Every value of `array` finite. */
export function ensureAllFinite(array: ArrayLike<number>, what: string): void {
  for (let i = 0; i < array.length; i++) ensureFinite(array[i], `${what}[${i}]`);
}

/**
 * Deep equality with a tolerance on numbers (typed arrays and arrays alike): what "the same result"
 * means when a batch is padded differently.
 *
 * @example
 * ```ts
 * ensureClose(batchResult[2], aloneResult[0], 1e-5, 'embed row 2');
 * ```
 */
export function ensureClose(actual: unknown, expected: unknown, tolerance: number, what: string): void {
  if (typeof expected === 'number') {
    ensure(typeof actual === 'number', `${what}: ${describeValue(actual)} is not a number`);
    if (Number.isNaN(expected)) {
      ensure(Number.isNaN(actual), `${what}: ${actual} is not NaN`);
      return;
    }
    ensure(
      Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
      `${what}: ${actual} differs from ${expected}`,
    );
    return;
  }
  if (ArrayBuffer.isView(expected) || Array.isArray(expected)) {
    const e = expected as unknown as ArrayLike<unknown>;
    const a = actual as ArrayLike<unknown>;
    ensure(
      a !== null && typeof a === 'object' && a.length === e.length,
      `${what}: length ${a?.length} !== ${e.length}`,
    );
    for (let i = 0; i < e.length; i++) ensureClose(a[i], e[i], tolerance, `${what}[${i}]`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    ensure(actual !== null && typeof actual === 'object', `${what}: ${describeValue(actual)} is not an object`);
    const keys = Object.keys(expected);
    ensure(
      Object.keys(actual as object)
        .sort()
        .join() === [...keys].sort().join(),
      `${what}: keys ${Object.keys(actual as object).join()} !== ${keys.join()}`,
    );
    for (const key of keys) {
      ensureClose(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        tolerance,
        `${what}.${key}`,
      );
    }
    return;
  }
  ensure(Object.is(actual, expected), `${what}: ${describeValue(actual)} !== ${describeValue(expected)}`);
}
