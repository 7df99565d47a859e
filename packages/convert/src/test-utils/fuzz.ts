/**
 * Helpers of the readers' property-based fuzz suite (readers.fuzz.test.ts): byte mutations as fast-check
 * arbitraries, a per-case time bound, and a tally of outcomes per reader.
 *
 * `BERTWEB_FUZZ_RUNS` sets the cases per property (default 100; e.g. 10000 for a long local run);
 * `BERTWEB_FUZZ_SEED` replays a run.
 */
import fc from 'fast-check';
import { BertwebError, type ErrorCode } from '../core.js';

/** Cases per property of the cheap readers. */
export const FUZZ_RUNS = Math.max(1, Number(process.env.BERTWEB_FUZZ_RUNS ?? 100) || 100);

/** Cases per property that runs a whole conversion (tens of ms each): a tenth of {@link FUZZ_RUNS}. */
export const FUZZ_CONVERSION_RUNS = Math.max(10, Math.ceil(FUZZ_RUNS / 10));

/** fast-check parameters shared by every property. */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.BERTWEB_FUZZ_SEED;
  return { numRuns, ...(seed ? { seed: Number(seed) } : {}), endOnFailure: false };
}

/** The codes a reader may reject bad bytes with (the README's list; never INTERNAL). */
export const READER_CODES: readonly ErrorCode[] = ['MODEL_INVALID', 'UNSUPPORTED', 'INPUT_INVALID'];

/** One change to a byte buffer. Positions are fractions of the current length, so they fit any buffer. */
export type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set32'; readonly at: number; readonly value: number }
  | { readonly kind: 'set64'; readonly at: number; readonly value: bigint }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly from: number; readonly length: number; readonly at: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
/** Lengths and counts that break readers: 0, 1, boundaries, huge. */
const nasty32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const nasty64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

/** One random {@link Mutation}. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set32' as const), at: position, value: nasty32 }),
  fc.record({ kind: fc.constant('set64' as const), at: position, value: nasty64 }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    from: position,
    length: fc.integer({ min: 1, max: 4096 }),
    at: position,
  }),
);

/** 1 to 4 mutations, one in half the cases (a few changed bytes are the common corruption). */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.oneof(
  fc.tuple(mutationArb).map((m) => [...m]),
  fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
);

/** Applies mutations to a copy of `bytes`. */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    const at = (f: number): number => Math.floor(f * out.byteLength);
    switch (m.kind) {
      case 'truncate':
        out = out.slice(0, at(m.at));
        break;
      case 'flip':
        if (out.byteLength > 0) out[at(m.at)] = (out[at(m.at)] as number) ^ (1 << m.bit);
        break;
      case 'set32': {
        const p = at(m.at);
        if (p + 4 <= out.byteLength) new DataView(out.buffer, out.byteOffset).setUint32(p, m.value, true);
        break;
      }
      case 'set64': {
        const p = at(m.at);
        if (p + 8 <= out.byteLength) new DataView(out.buffer, out.byteOffset).setBigUint64(p, m.value, true);
        break;
      }
      case 'insert': {
        const p = at(m.at);
        const next = new Uint8Array(out.byteLength + m.bytes.byteLength);
        next.set(out.subarray(0, p));
        next.set(m.bytes, p);
        next.set(out.subarray(p), p + m.bytes.byteLength);
        out = next;
        break;
      }
      case 'delete': {
        const p = at(m.at);
        const next = new Uint8Array(Math.max(0, out.byteLength - Math.min(m.length, out.byteLength - p)));
        next.set(out.subarray(0, p));
        next.set(out.subarray(p + m.length), p);
        out = next;
        break;
      }
      case 'duplicate': {
        const from = at(m.from);
        const piece = out.slice(from, from + m.length);
        const p = at(m.at);
        const next = new Uint8Array(out.byteLength + piece.byteLength);
        next.set(out.subarray(0, p));
        next.set(piece, p);
        next.set(out.subarray(p), p + piece.byteLength);
        out = next;
        break;
      }
    }
  }
  return out;
}

/** Outcome counts of one reader. */
export interface Tally {
  cases: number;
  parsed: number;
  /** Rejections by error code. */
  readonly codes: Record<string, number>;
  /** Slowest case in ms. */
  slowestMs: number;
}

/** Outcome counts per reader, printed by {@link printTallies}. */
export const tallies = new Map<string, Tally>();

/** Per-case time bound: generous, since the suite shares its CPU with everything else in `pnpm test`. */
export const CASE_TIME_LIMIT_MS = Number(process.env.BERTWEB_FUZZ_CASE_MS ?? 20_000);

/**
 * Runs one case: it must resolve (parsed) or reject with a {@link BertwebError} of an allowed code,
 * within {@link CASE_TIME_LIMIT_MS}; anything else (a TypeError, a RangeError from a blown stack, an
 * INTERNAL error, a hang) fails the property with the offending error.
 */
export async function expectParsesOrRejects(
  reader: string,
  run: () => Promise<unknown> | unknown,
  codes: readonly ErrorCode[] = READER_CODES,
): Promise<void> {
  const tally = tallies.get(reader) ?? { cases: 0, parsed: 0, codes: {}, slowestMs: 0 };
  tallies.set(reader, tally);
  tally.cases++;
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CASE_TIME_LIMIT_MS} ms`)), CASE_TIME_LIMIT_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(run), timeout]);
    tally.parsed++;
  } catch (error) {
    if (!(error instanceof BertwebError) || !codes.includes(error.code)) {
      const what = error instanceof BertwebError ? `${error.code}: ${error.message}` : String(error);
      throw new Error(`${reader}: not a documented rejection: ${what}`, { cause: error });
    }
    tally.codes[error.code] = (tally.codes[error.code] ?? 0) + 1;
  } finally {
    clearTimeout(timer);
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  }
}

/** One JSON line per reader: cases, parsed, rejections by code, slowest case. */
export function printTallies(): void {
  for (const [reader, t] of tallies) {
    const line = { reader, cases: t.cases, parsed: t.parsed, ...t.codes, slowestMs: Math.round(t.slowestMs) };
    process.stdout.write(`fuzz ${JSON.stringify(line)}\n`);
  }
}
