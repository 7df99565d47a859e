import { BertwebError } from '../core.js';
import { type ByteSource, readAll } from '../io/byte-source.js';
import { DTYPE_SIZE, type TensorDType, type TensorRef } from '../model/tensor.js';
import { PickledTensor, PickleNeedsMoreBytes, PyDict, StorageRef, StorageType, unpickle } from './pickle.js';
import { looksLikeZip, openZipEntry, readZipDirectory } from './zip.js';

/** The unpickled top-level object of a `torch.save` file, with tensors as {@link TensorRef}s. */
export interface TorchCheckpoint {
  /** The saved object: a state dict, or a dict holding one (`model_state_dict`, ...). */
  readonly root: unknown;
  /** Every tensor found, in pickle order, keyed by the object identity used in `root`. */
  readonly tensors: ReadonlyMap<PickledTensor, TensorRef>;
}

/** The largest pickle (`data.pkl`, or a legacy file's pickle prefix) read into memory: state dicts are KBs. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

function corruptPickle(why: string): BertwebError {
  return new BertwebError('MODEL_INVALID', `corrupt pickle: ${why}`);
}

/** A storage key: torch writes decimal strings; anything else is not a checkpoint. */
function storageKey(value: unknown): string {
  if (typeof value === 'string' && value.length <= 256) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw corruptPickle('bad storage key');
}

function nonNegative(value: unknown, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw corruptPickle(`bad ${what}`);
  return n;
}

function storageFromPid(pid: unknown): StorageRef {
  // zip: ('storage', storage_type, key, location, numel)
  // legacy: ('storage', storage_type, root_key, location, numel, view_metadata)
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType)) {
    throw corruptPickle('unexpected persistent id');
  }
  const key = storageKey(pid[2]);
  const numel = nonNegative(pid[4], 'storage size');
  let viewOffset = 0;
  const view = pid[5];
  if (Array.isArray(view) && view.length >= 2) viewOffset = nonNegative(view[1], 'storage view offset');
  return new StorageRef(pid[1].dtype, key, numel, viewOffset);
}

/** Every tensor reachable from `root` through lists, tuples and dicts, in pickle order (iterative). */
function collectTensors(root: unknown): PickledTensor[] {
  const out: PickledTensor[] = [];
  const seen = new Set<unknown>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const value = todo.pop();
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof PickledTensor) {
      out.push(value);
      continue;
    }
    let children: unknown[] | undefined;
    if (Array.isArray(value)) children = value;
    else if (value instanceof Map) children = [...value.values()];
    else if (value instanceof PyDict) children = [...value.map.values()];
    // Reversed onto the stack so that tensors come out in pickle order.
    if (children) for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return out;
}

function tensorRef(
  name: string,
  t: PickledTensor,
  source: ByteSource,
  storageByteOffset: number,
  storageByteLength: number,
): TensorRef {
  const size = DTYPE_SIZE[t.storage.dtype];
  if (t.shape.length !== t.strides.length) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${source.name}: a tensor has ${t.shape.length} sizes but ${t.strides.length} strides`,
    );
  }
  const byteOffset = storageByteOffset + (t.storage.viewOffset + t.storageOffset) * size;
  const ref: TensorRef = { name, dtype: t.storage.dtype, shape: t.shape, strides: t.strides, source, byteOffset };
  let extent = 1;
  for (let i = 0; i < t.shape.length; i++) extent += ((t.shape[i] as number) - 1) * (t.strides[i] as number);
  if (t.shape.some((d) => d === 0)) extent = 0;
  const end = byteOffset + extent * size;
  // Unsafe integers (a hostile size times a stride) fail this comparison too.
  if (!Number.isSafeInteger(end) || end > storageByteOffset + storageByteLength) {
    throw new BertwebError('MODEL_INVALID', `${source.name}: a tensor reaches past its storage`);
  }
  return ref;
}

/**
 * Reads a `torch.save` file: the zip format (PyTorch >= 1.6: `<dir>/data.pkl` + `<dir>/data/<key>`) or the
 * legacy stream of pickles with raw storages after them (`_use_new_zipfile_serialization=False`).
 * Storage bytes are located, not read.
 *
 * @example
 * ```ts
 * const { root, tensors } = await readTorchCheckpoint(source);
 * ```
 */
export async function readTorchCheckpoint(source: ByteSource): Promise<TorchCheckpoint> {
  const head = await source.read(0, Math.min(16, source.size));
  if (looksLikeZip(head)) return readZipCheckpoint(source);
  if (head[0] === 0x80) return readLegacyCheckpoint(source);
  if (source.size > 262 && new TextDecoder().decode(await source.read(257, 5)) === 'ustar') {
    throw new BertwebError('UNSUPPORTED', `${source.name}: pre-0.4 tar-based torch.save format is not supported`);
  }
  throw new BertwebError('MODEL_INVALID', `${source.name}: not a PyTorch checkpoint (neither zip nor pickle)`);
}

async function readZipCheckpoint(source: ByteSource): Promise<TorchCheckpoint> {
  const entries = await readZipDirectory(source);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) throw new BertwebError('MODEL_INVALID', `${source.name}: zip archive without data.pkl`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byteorder = entries.find((e) => e.name === `${prefix}byteorder`);
  if (byteorder) {
    const member = await openZipEntry(source, byteorder);
    const order = new TextDecoder().decode(await member.read(0, Math.min(member.size, 16))).trim();
    if (order !== 'little') throw new BertwebError('UNSUPPORTED', `${source.name}: ${order}-endian checkpoints`);
  }
  const pklSource = await openZipEntry(source, pkl);
  if (pklSource.size > MAX_PICKLE_BYTES) {
    throw new BertwebError(
      'UNSUPPORTED',
      `${source.name}: data.pkl of ${pklSource.size} bytes (a state dict needs KBs)`,
    );
  }
  const { value: root } = unpickle(await readAll(pklSource), 0, { persistentLoad: storageFromPid });
  const found = collectTensors(root);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const storages = new Map<string, ByteSource>();
  const tensors = new Map<PickledTensor, TensorRef>();
  for (const t of found) {
    let storage = storages.get(t.storage.key);
    if (!storage) {
      const entry = byName.get(`${prefix}data/${t.storage.key}`);
      if (!entry) {
        throw new BertwebError('MODEL_INVALID', `${source.name}: storage data/${t.storage.key} is missing`);
      }
      storage = await openZipEntry(source, entry);
      storages.set(t.storage.key, storage);
    }
    const needed = t.storage.numel * DTYPE_SIZE[t.storage.dtype];
    if (storage.size < needed) {
      throw new BertwebError('MODEL_INVALID', `${source.name}: storage data/${t.storage.key} is truncated`);
    }
    tensors.set(t, tensorRef('', t, storage, 0, storage.size));
  }
  return { root, tensors };
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

async function readLegacyCheckpoint(source: ByteSource): Promise<TorchCheckpoint> {
  // The pickles sit at the start; read a growing prefix until they all parse.
  let prefixLength = Math.min(source.size, 1 << 20);
  for (;;) {
    const prefix = await source.read(0, prefixLength);
    try {
      return await parseLegacy(source, prefix);
    } catch (error) {
      if (!(error instanceof PickleNeedsMoreBytes)) throw error;
      if (prefixLength >= source.size || error.needed > source.size) {
        throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (pickle runs past the end)`);
      }
      if (prefixLength >= MAX_PICKLE_BYTES) {
        throw new BertwebError('UNSUPPORTED', `${source.name}: its pickles span more than ${MAX_PICKLE_BYTES} bytes`);
      }
      prefixLength = Math.min(source.size, MAX_PICKLE_BYTES, Math.max(error.needed, prefixLength * 4));
    }
  }
}

/** A short, safe description of a pickled value for messages (never stringifies containers). */
function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (value === null) return 'None';
  return Array.isArray(value) ? 'a tuple' : typeof value;
}

async function parseLegacy(source: ByteSource, prefix: Uint8Array): Promise<TorchCheckpoint> {
  // Running out of bytes asks the caller for a longer prefix (or, at the end of the file, means truncation).
  const partial = true;
  const magic = unpickle(prefix, 0, { partial });
  if (magic.value !== LEGACY_MAGIC) {
    throw new BertwebError('MODEL_INVALID', `${source.name}: a pickle, but not a torch.save file (no magic number)`);
  }
  const version = unpickle(prefix, magic.end, { partial });
  if (version.value !== 1001) {
    throw new BertwebError('UNSUPPORTED', `${source.name}: legacy torch protocol ${describe(version.value)}`);
  }
  const sysInfo = unpickle(prefix, version.end, { partial });
  const storagesByKey = new Map<string, StorageRef>();
  const main = unpickle(prefix, sysInfo.end, {
    partial,
    persistentLoad: (pid) => {
      const storage = storageFromPid(pid);
      const known = storagesByKey.get(storage.key);
      if (known && known.dtype !== storage.dtype) throw corruptPickle('storage type');
      if (!known || known.numel < storage.numel) storagesByKey.set(storage.key, storage);
      return storage;
    },
  });
  const keys = unpickle(prefix, main.end, { partial });
  if (!Array.isArray(keys.value)) throw new BertwebError('MODEL_INVALID', `${source.name}: corrupt storage key list`);
  // Storages follow in key-list order, each as int64 element count + raw bytes.
  const located = new Map<string, { offset: number; length: number }>();
  let offset = keys.end;
  for (const rawKey of keys.value) {
    const key = storageKey(rawKey);
    const storage = storagesByKey.get(key);
    if (!storage) throw new BertwebError('MODEL_INVALID', `${source.name}: storage ${key} is listed but never used`);
    if (located.has(key)) throw new BertwebError('MODEL_INVALID', `${source.name}: storage ${key} is listed twice`);
    if (offset + 8 > source.size)
      throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (storage ${key})`);
    const countBytes = await source.read(offset, 8);
    const count = Number(new DataView(countBytes.buffer, countBytes.byteOffset, 8).getBigInt64(0, true));
    const length = count * DTYPE_SIZE[storage.dtype];
    if (count < storage.numel || !Number.isSafeInteger(length) || offset + 8 + length > source.size) {
      throw new BertwebError('MODEL_INVALID', `${source.name}: truncated file (storage ${key})`);
    }
    located.set(key, { offset: offset + 8, length });
    offset += 8 + length;
  }
  const found = collectTensors(main.value);
  const tensors = new Map<PickledTensor, TensorRef>();
  for (const t of found) {
    const place = located.get(t.storage.key);
    if (!place) throw new BertwebError('MODEL_INVALID', `${source.name}: storage ${t.storage.key} has no data`);
    tensors.set(t, tensorRef('', t, source, place.offset, place.length));
  }
  return { root: main.value, tensors };
}

/** Re-exported so callers can tell dtypes of storages apart. */
export type { TensorDType };
