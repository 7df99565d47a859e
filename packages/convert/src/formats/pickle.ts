/**
 * A minimal, safe unpickler for PyTorch checkpoints.
 *
 * Python's pickle is a small stack machine whose GLOBAL/REDUCE opcodes can call any importable function
 * (`os.system`, `builtins.eval`, ...). This reader never calls anything: it understands the data opcodes,
 * and maps the handful of globals a state dict needs (OrderedDict, torch's tensor/parameter rebuild
 * functions, storage classes, torch.Size, `_codecs.encode` for bytes) to plain JavaScript values. Any
 * other global is refused with `MODEL_INVALID` before anything else happens.
 */
import { BertwebError } from '../core.js';
import type { TensorDType } from '../model/tensor.js';

/** A Python dict (keys may be strings, numbers, ...); attributes set by BUILD land in `attrs`. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  attrs: unknown;
}

/** A storage named by a persistent id; its bytes are located by the caller's checkpoint format. */
export class StorageRef {
  constructor(
    readonly dtype: TensorDType,
    /** Storage key (zip: `data/<key>`; legacy: position in the storage table). */
    readonly key: string,
    /** Number of elements. */
    readonly numel: number,
    /** Element offset into the root storage (legacy storage views), else 0. */
    readonly viewOffset: number,
  ) {}
}

/** A tensor rebuilt from a storage: `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`. */
export class PickledTensor {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
  ) {}
}

/** Python storage class names -> element type. */
const STORAGE_TYPES: Readonly<Record<string, TensorDType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** Marker for a storage class pushed by GLOBAL, consumed by persistent_load. */
export class StorageType {
  constructor(readonly dtype: TensorDType) {}
}

class AllowedGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

/** A non-negative safe integer (sizes, offsets, strides), else `MODEL_INVALID`. */
function asInt(value: unknown, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw corrupt(`${what} is not a non-negative integer`);
  }
  return n;
}

function asInts(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw corrupt(`${what} is not a tuple`);
  if (value.length > MAX_RANK) throw corrupt(`${what} has ${value.length} dimensions`);
  return value.map((v) => asInt(v, what));
}

/**
 * Limits that keep a hostile pickle from exhausting memory or time; a real state dict stays far below each
 * (rubert-base: ~4,000 opcodes, a stack of a few thousand values, nesting depth 4).
 */
export const PICKLE_LIMITS = {
  /** Containers inside containers: deeper values are refused (and nothing downstream recurses deeper). */
  maxDepth: 100,
  /** Values on the stack at once. */
  maxStack: 1 << 20,
  /** Memo entries. */
  maxMemo: 1 << 22,
  /** Opcodes executed. */
  maxOps: 1 << 25,
  /** Bytes of one integer (LONG1/LONG4) or digits of a text integer: torch never writes long ones. */
  maxIntBytes: 4096,
} as const;

/** Tensor rank limit (torch allows 64 dimensions). */
const MAX_RANK = 64;

function corrupt(why: string): BertwebError {
  return new BertwebError('MODEL_INVALID', `corrupt pickle: ${why}`);
}

function rebuildTensor(args: unknown[]): PickledTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw corrupt('tensor without a storage');
  return new PickledTensor(storage, asInt(offset, 'storage offset'), asInts(size, 'size'), asInts(stride, 'stride'));
}

const GLOBALS: ReadonlyMap<string, AllowedGlobal> = new Map(
  (
    [
      [
        'collections.OrderedDict',
        (args) => {
          const dict = new PyDict();
          const items = args[0];
          if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair)) dict.map.set(pair[0], pair[1]);
          return dict;
        },
      ],
      ['builtins.dict', () => new PyDict()],
      // Protocols 0-2 name builtins `__builtin__` (Python 2 compatible names).
      ...['builtins', '__builtin__'].flatMap((m) => [
        [`${m}.set`, (args: unknown[]) => new Set(Array.isArray(args[0]) ? args[0] : [])],
        [`${m}.frozenset`, (args: unknown[]) => new Set(Array.isArray(args[0]) ? args[0] : [])],
      ]),
      ['torch._utils._rebuild_tensor', rebuildTensor],
      ['torch._utils._rebuild_tensor_v2', rebuildTensor],
      ['torch._utils._rebuild_parameter', (args) => args[0]],
      ['torch._utils._rebuild_parameter_with_state', (args) => args[0]],
      ['torch.Size', (args) => (Array.isArray(args[0]) ? args[0] : [])],
      ['torch.device', (args) => args.map((a) => (typeof a === 'string' || typeof a === 'number' ? a : '?')).join(':')],
      [
        '_codecs.encode',
        (args) => {
          // Protocol 2 pickles Python 3 bytes as _codecs.encode(str, 'latin1').
          const text = typeof args[0] === 'string' ? args[0] : '';
          return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
        },
      ],
    ] as [string, (args: unknown[]) => unknown][]
  ).map(([name, call]) => [name, new AllowedGlobal(name, call)]),
);

function resolveGlobal(module: string, name: string): unknown {
  const qualified = `${module}.${name}`;
  if (module === 'torch' && name in STORAGE_TYPES) return new StorageType(STORAGE_TYPES[name] as TensorDType);
  const allowed = GLOBALS.get(qualified);
  if (allowed) return allowed;
  throw new BertwebError(
    'MODEL_INVALID',
    `refusing to load global ${qualified}: a checkpoint needs only tensors and containers, so this pickle is not a plain state dict (nothing was executed)`,
    { global: qualified },
  );
}

/** Thrown internally when the pickle runs past the bytes given (the caller may retry with more). */
export class PickleNeedsMoreBytes extends Error {
  /** Bytes from the start of the buffer the pickle needs at least (a lower bound). */
  constructor(readonly needed: number) {
    super(`pickle needs at least ${needed} bytes`);
  }
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** Handles BINPERSID/PERSID: torch uses it for storages. Default: refuse. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Treat running out of bytes as {@link PickleNeedsMoreBytes} (the buffer is a prefix of a file). */
  readonly partial?: boolean;
}

/**
 * Runs one pickle starting at `start` and returns its value and the offset just after its STOP opcode.
 *
 * @example
 * ```ts
 * const { value } = unpickle(await readAll(dataPkl), 0, { persistentLoad: (pid) => storageFor(pid) });
 * ```
 */
export function unpickle(
  bytes: Uint8Array,
  start = 0,
  options: UnpickleOptions = {},
): { readonly value: unknown; readonly end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let p = start;

  const need = (n: number): void => {
    if (p + n > bytes.byteLength) {
      if (options.partial) throw new PickleNeedsMoreBytes(p + n);
      throw corrupt('unexpected end of data');
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[p++] as number;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(p, true);
    p += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('length too large');
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    // BINSTRING's length is signed: a negative one would move the cursor backwards.
    if (n < 0) throw corrupt('negative length');
    need(n);
    const out = bytes.subarray(p, p + n);
    p += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) {
      if (options.partial) throw new PickleNeedsMoreBytes(bytes.byteLength + 1);
      throw corrupt('unterminated line');
    }
    const text = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return text;
  };
  const utf8Text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw corrupt('invalid UTF-8 string');
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number))) {
      throw corrupt('stack underflow');
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw corrupt('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw corrupt('missing MARK');
    return stack.splice(mark);
  };
  const longLength = (n: number): number => {
    if (n > PICKLE_LIMITS.maxIntBytes) throw corrupt(`integer of ${n} bytes`);
    return n;
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.byteLength === 0) return 0;
    // Little-endian two's complement; hex digits keep this linear in the length.
    let hex = '';
    for (let i = b.byteLength - 1; i >= 0; i--) hex += (b[i] as number).toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if ((b[b.byteLength - 1] as number) & 0x80) v -= 1n << BigInt(b.byteLength * 8);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (text: string, what: string): string => {
    if (text.length > PICKLE_LIMITS.maxIntBytes || !/^[+-]?\d+$/.test(text)) throw corrupt(`bad ${what}`);
    return text;
  };
  const push = (value: unknown): void => {
    if (stack.length >= PICKLE_LIMITS.maxStack)
      throw corrupt(`more than ${PICKLE_LIMITS.maxStack} values on the stack`);
    stack.push(value);
  };
  const memoize = (index: number, value: unknown): void => {
    if (memo.size >= PICKLE_LIMITS.maxMemo && !memo.has(index)) {
      throw corrupt(`more than ${PICKLE_LIMITS.maxMemo} memo entries`);
    }
    memo.set(index, value);
  };
  const call = (callable: unknown, args: unknown): unknown => {
    if (!(callable instanceof AllowedGlobal)) throw corrupt('REDUCE on something that is not an allowed global');
    return callable.call(Array.isArray(args) ? args : []);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof PyDict)) throw corrupt('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    // A loop, not push(...items): spreading a million items overflows the call stack.
    if (Array.isArray(target)) for (const item of items) target.push(item);
    else if (target instanceof Set) for (const item of items) target.add(item);
    else throw corrupt('APPEND on something that is not a list');
  };
  const persistent = (pid: unknown): unknown => {
    if (!options.persistentLoad) throw corrupt('persistent id without a handler');
    return options.persistentLoad(pid);
  };

  let ops = 0;
  for (;;) {
    if (++ops > PICKLE_LIMITS.maxOps) throw corrupt(`more than ${PICKLE_LIMITS.maxOps} opcodes`);
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw corrupt(`STOP with ${stack.length} values on the stack`);
        checkNesting(stack[0]);
        return { value: stack[0], end: p };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(decodeLong(take(longLength(u8()))));
        break;
      case 0x8b: // LONG4
        push(decodeLong(take(longLength(u32()))));
        break;
      case 0x49: {
        // INT (text): also encodes bools as I00/I01
        const text = line();
        if (text === '00') push(false);
        else if (text === '01') push(true);
        else push(Number(textInt(text, 'INT')));
        break;
      }
      case 0x4c: {
        // LONG (text)
        const big = BigInt(textInt(line().replace(/L$/, ''), 'LONG'));
        push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        push(view.getFloat64(p, false));
        p += 8;
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const value = Number(line());
        if (Number.isNaN(value)) throw corrupt('bad FLOAT');
        push(value);
        break;
      }
      case 0x58: // BINUNICODE
        push(utf8Text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8Text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8Text(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape line)
        push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))));
        break;
      case 0x54: // BINSTRING
        push(latin1.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        push(latin1.decode(take(u8())));
        break;
      case 0x53: {
        // STRING (quoted repr)
        const text = line();
        const quote = text[0];
        if ((quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) throw corrupt('bad STRING');
        push(text.slice(1, -1));
        break;
      }
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        push([]);
        break;
      case 0x85: // TUPLE1
        push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push([a, b, c]);
        break;
      }
      case 0x74: // TUPLE
        push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict();
        setItems(dict, popMark());
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL needs strings');
        push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        push(call(callable, args));
        break;
      }
      case 0x81: {
        // NEWOBJ cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: set state on the object below; containers keep it as attributes, tensors ignore it.
        const state = pop();
        const target = top();
        if (target instanceof PyDict) target.attrs = state;
        break;
      }
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x50: // PERSID
        push(persistent(line()));
        break;
      case 0x71: // BINPUT
        memoize(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memoize(u32(), top());
        break;
      case 0x70: // PUT
        memoize(Number(textInt(line(), 'PUT')), top());
        break;
      case 0x94: // MEMOIZE
        memoize(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        const index = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(textInt(line(), 'GET'));
        if (!memo.has(index)) throw corrupt(`memo ${index} missing`);
        push(memo.get(index));
        break;
      }
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x92: // NEWOBJ_EX
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw new BertwebError(
          'MODEL_INVALID',
          `refusing pickle opcode 0x${op.toString(16)}: it builds arbitrary objects, which a state dict never needs`,
        );
      default:
        throw corrupt(`unknown opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

/** Value of a key of a {@link PyDict}, or undefined. */
export function dictGet(dict: unknown, key: string): unknown {
  return dict instanceof PyDict ? dict.map.get(key) : undefined;
}

/** The child values of a container built by the unpickler (keys too: tuples can be dict keys). */
function childrenOf(value: unknown): Iterable<unknown> | undefined {
  if (Array.isArray(value) || value instanceof Set) return value;
  if (value instanceof PyDict) {
    const items: unknown[] = [];
    for (const [k, v] of value.map) items.push(k, v);
    if (value.attrs !== undefined) items.push(value.attrs);
    return items;
  }
  return undefined;
}

/**
 * Refuses values nested deeper than {@link PICKLE_LIMITS}.maxDepth, so no later reader (tensor search,
 * messages, `String()`) can exhaust the call stack. Iterative, and linear in the size of the object graph:
 * each container's depth is computed once; back references (cycles) add no depth.
 */
function checkNesting(root: unknown): void {
  const depthOf = new Map<object, number>();
  const onPath = new Set<object>();
  interface Frame {
    readonly node: object;
    readonly children: Iterator<unknown>;
    depth: number;
  }
  const open = (node: unknown): Frame | undefined => {
    if (node === null || typeof node !== 'object' || depthOf.has(node) || onPath.has(node)) return undefined;
    const children = childrenOf(node);
    if (!children) return undefined;
    onPath.add(node);
    return { node, children: children[Symbol.iterator](), depth: 1 };
  };
  const first = open(root);
  if (!first) return;
  const frames: Frame[] = [first];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as Frame;
    if (frames.length > PICKLE_LIMITS.maxDepth) {
      throw corrupt(`containers nested more than ${PICKLE_LIMITS.maxDepth} deep (a state dict needs a few levels)`);
    }
    const next = frame.children.next();
    if (next.done) {
      frames.pop();
      onPath.delete(frame.node);
      depthOf.set(frame.node, frame.depth);
      const parent = frames[frames.length - 1];
      if (parent) parent.depth = Math.max(parent.depth, frame.depth + 1);
      continue;
    }
    const child = next.value;
    if (child !== null && typeof child === 'object') {
      const known = depthOf.get(child);
      if (known !== undefined) {
        frame.depth = Math.max(frame.depth, known + 1);
        if (known + frames.length > PICKLE_LIMITS.maxDepth) {
          throw corrupt(`containers nested more than ${PICKLE_LIMITS.maxDepth} deep (a state dict needs a few levels)`);
        }
        continue;
      }
      const opened = open(child);
      if (opened) frames.push(opened);
    }
  }
}
