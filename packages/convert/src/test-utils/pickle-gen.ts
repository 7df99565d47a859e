/**
 * fast-check arbitraries for pickles: opcode sequences with plausible arguments (so that cases get past
 * the first byte and into the stack machine), and containers nested to any depth.
 */
import fc from 'fast-check';
import { concat } from './archive-writers.js';

const enc = new TextEncoder();
const op = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Module/name pairs for GLOBAL: the allowed ones (torch, OrderedDict) and hostile ones (os.system). */
const GLOBALS: readonly [string, string][] = [
  ['collections', 'OrderedDict'],
  ['torch._utils', '_rebuild_tensor_v2'],
  ['torch._utils', '_rebuild_parameter'],
  ['torch', 'FloatStorage'],
  ['torch', 'HalfStorage'],
  ['torch', 'Size'],
  ['_codecs', 'encode'],
  ['builtins', 'set'],
  ['posix', 'system'],
  ['os', 'system'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['subprocess', 'Popen'],
];
const STRINGS = [
  'storage',
  'cpu',
  'latin1',
  '0',
  '1',
  'state_dict',
  'weight',
  'bert.embeddings.word_embeddings.weight',
];

const text = fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 12 }));
const smallInt = fc.integer({ min: 0, max: 0xffff });
const nastyLen = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0x7fffffff, 0xffffffff, 1 << 20));

/** One opcode with its arguments. */
const opcode: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...'(]})aestu0l12Nbd'.split('').map((c) => op(c.charCodeAt(0)))) },
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(0x85, 0x86, 0x87, 0x88, 0x89, 0x94, 0x93, 0x52, 0x51, 0x8f, 0x90, 0x91, 0x81)
      .map((b) => op(b)),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }).map((n) => op(0x4b, n)) },
  { weight: 2, arbitrary: smallInt.map((n) => op(0x4d, n & 0xff, n >> 8)) },
  { weight: 2, arbitrary: fc.integer().map((n) => op(0x4a, ...le32(n))) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((n) => op(0x71, n)) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((n) => op(0x68, n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }).map((n) => op(0x6a, ...le32(n))) },
  {
    weight: 4,
    arbitrary: text.map((s) => {
      const b = enc.encode(s).subarray(0, 255);
      return concat([op(0x8c, b.byteLength), b]);
    }),
  },
  { weight: 1, arbitrary: fc.tuple(nastyLen, text).map(([n, s]) => concat([op(0x58, ...le32(n)), enc.encode(s)])) },
  { weight: 3, arbitrary: fc.constantFrom(...GLOBALS).map(([m, n]) => enc.encode(`c${m}\n${n}\n`)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => concat([op(0x8a, b.byteLength), b])) },
  { weight: 1, arbitrary: nastyLen.map((n) => op(0x8b, ...le32(n), 1, 2, 3)) },
  {
    weight: 1,
    arbitrary: fc.tuple(nastyLen, fc.uint8Array({ maxLength: 8 })).map(([n, b]) => concat([op(0x42, ...le32(n)), b])),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => enc.encode(`I${n}\n`)) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => enc.encode(`L${n}L\n`)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('I00\n', 'I01\n', 'F1.5\n', 'Vx\\u00e9\n', "S'abc'\n", 'g0\n', 'p0\n', 'Ix\n', 'S"\n')
      .map((s) => enc.encode(s)),
  },
  {
    weight: 1,
    arbitrary: fc.double().map((d) => {
      const b = new Uint8Array(9);
      b[0] = 0x47;
      new DataView(b.buffer).setFloat64(1, d, false);
      return b;
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(0x69, 0x6f, 0x92, 0x82, 0x83, 0x84, 0x97, 0x98).map((b) => op(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => op(b)) },
  { weight: 1, arbitrary: fc.constant(op(0x2e)) },
);

/** A pickle: PROTO 2, up to 120 random opcodes, STOP. */
export const pickleArb: fc.Arbitrary<Uint8Array> = fc
  .array(opcode, { maxLength: 120 })
  .map((ops) => concat([op(0x80, 2), ...ops, op(0x2e)]));

/** Container encodings for {@link nestedPickle}. */
export type Nesting = 'list-append' | 'tuple1' | 'mark-tuple' | 'dict-setitem' | 'list-mark';

/**
 * A pickle of containers nested `depth` deep, e.g. `[[[...[1]...]]]`, built without recursion (the
 * issue's reproducer nested 10,000 levels).
 */
export function nestedPickle(depth: number, kind: Nesting): Uint8Array {
  const parts: Uint8Array[] = [op(0x80, 2)];
  const repeat = (bytes: Uint8Array, n: number) => {
    const out = new Uint8Array(bytes.byteLength * n);
    for (let i = 0; i < n; i++) out.set(bytes, i * bytes.byteLength);
    return out;
  };
  switch (kind) {
    case 'list-append': // ] ] ] ... K1 a a a
      parts.push(repeat(op(0x5d), depth), op(0x4b, 1), repeat(op(0x61), depth));
      break;
    case 'tuple1': // K1 TUPLE1 TUPLE1 ...
      parts.push(op(0x4b, 1), repeat(op(0x85), depth));
      break;
    case 'mark-tuple': // ( ( ( ... K1 t t t
      parts.push(repeat(op(0x28), depth), op(0x4b, 1), repeat(op(0x74), depth));
      break;
    case 'dict-setitem': // } K0 } K0 } ... K1 s s s
      parts.push(repeat(op(0x7d, 0x4b, 0), depth), op(0x4b, 1), repeat(op(0x73), depth));
      break;
    case 'list-mark': // ( ( ... K1 l l l
      parts.push(repeat(op(0x28), depth), op(0x4b, 1), repeat(op(0x6c), depth));
      break;
  }
  parts.push(op(0x2e));
  return concat(parts);
}

/** Depth and encoding of a nested pickle. */
export const nestingArb: fc.Arbitrary<{ depth: number; kind: Nesting }> = fc.record({
  depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200_000 })),
  kind: fc.constantFrom<Nesting>('list-append', 'tuple1', 'mark-tuple', 'dict-setitem', 'list-mark'),
});

/**
 * A state dict `{'root': <nested>}` as torch's zip format would hold it: the nested value sits where a
 * state dict is looked for, so the checkpoint reader walks it.
 */
export function nestedStateDict(depth: number, kind: Nesting): Uint8Array {
  const inner = nestedPickle(depth, kind);
  // Drop PROTO and STOP of the inner pickle and wrap: } 'root' <inner> s .
  const body = inner.subarray(2, inner.byteLength - 1);
  return concat([op(0x80, 2, 0x7d, 0x8c, 4), enc.encode('root'), body, op(0x73, 0x2e)]);
}
