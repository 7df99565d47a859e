/**
 * An open-addressing hash table from token text to id whose keys live in one shared `Uint16Array`
 * of code units. WordPiece probes it with a word held as code units, hashing every prefix of the
 * word in one forward pass (FNV-1a is incremental), so the longest-match search allocates no
 * strings at all. A 500k-entry vocabulary costs a few flat typed arrays, not 500k map entries.
 */

/** FNV-1a offset basis; each step is `h = imul(h ^ unit, FNV_PRIME)`. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a hash of `text` (same as hashing its code units one by one from {@link FNV_OFFSET}). */
export function hashString(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Token text -> id, keys stored as `[offset, length)` ranges of a shared code-unit pool.
 *
 * Memory layout is chosen for cache misses, which dominate both loading and lookups: a slot holds
 * `[hash, entry + 1]` side by side (a probe compares hashes without touching anything else), and an
 * entry holds `[offset, length, id]` side by side.
 */
export class TokenTable {
  private readonly pool: Uint16Array;
  /** Pairs `[hash, entry + 1]`; entry 0 marks an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** 32 - log2(slot count): the slot is the top bits of a multiplicative mix of the hash. */
  private readonly shift: number;
  /** Triples `[offset, length, id]`. */
  private readonly entries: Int32Array;
  private count = 0;
  /** Longest key, in code units. */
  maxLength = 0;

  constructor(pool: Uint16Array, capacity: number) {
    this.pool = pool;
    let size = 16;
    let bits = 4;
    while (size < capacity * 2) {
      size *= 2;
      bits++;
    }
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    this.shift = 32 - bits;
    this.entries = new Int32Array(Math.max(1, capacity) * 3);
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /**
   * First slot of a hash. FNV-1a's low bits only depend on the low bits of the input units (products
   * never carry downward), so masking them would cluster keys; the top bits of a multiply do not.
   */
  private slotOf(hash: number): number {
    return Math.imul(hash ^ (hash >>> 16), 0x85ebca6b) >>> this.shift;
  }

  /**
   * Adds the key `pool[offset, offset + length)` (hash `hash`) with `id`. Returns -1, or the id
   * already stored under the same key (the table is left unchanged then).
   */
  insert(offset: number, length: number, hash: number, id: number): number {
    const slots = this.slots;
    let slot = this.slotOf(hash);
    for (;;) {
      const e = slots[2 * slot + 1] as number;
      if (e === 0) break;
      if (slots[2 * slot] === hash && this.equals(e - 1, this.pool, offset, length)) {
        return this.entries[3 * (e - 1) + 2] as number;
      }
      slot = (slot + 1) & this.mask;
    }
    const entry = this.count++;
    this.entries[3 * entry] = offset;
    this.entries[3 * entry + 1] = length;
    this.entries[3 * entry + 2] = id;
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = entry + 1;
    if (length > this.maxLength) this.maxLength = length;
    return -1;
  }

  private equals(entry: number, units: Uint16Array, from: number, length: number): boolean {
    if (this.entries[3 * entry + 1] !== length) return false;
    const pool = this.pool;
    const offset = this.entries[3 * entry] as number;
    for (let k = 0; k < length; k++) if (pool[offset + k] !== units[from + k]) return false;
    return true;
  }

  /** Id of the key equal to `units[from, from + length)` whose hash is `hash`, or -1. */
  find(hash: number, units: Uint16Array, from: number, length: number): number {
    const slots = this.slots;
    let slot = this.slotOf(hash);
    for (;;) {
      const e = slots[2 * slot + 1] as number;
      if (e === 0) return -1;
      if (slots[2 * slot] === hash && this.equals(e - 1, units, from, length)) {
        return this.entries[3 * (e - 1) + 2] as number;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Id of a key given as a string, or -1. */
  get(text: string): number {
    const h = hashString(text);
    const slots = this.slots;
    const pool = this.pool;
    let slot = this.slotOf(h);
    for (;;) {
      const e = slots[2 * slot + 1] as number;
      if (e === 0) return -1;
      if (slots[2 * slot] === h && this.entries[3 * (e - 1) + 1] === text.length) {
        const offset = this.entries[3 * (e - 1)] as number;
        let k = 0;
        while (k < text.length && pool[offset + k] === text.charCodeAt(k)) k++;
        if (k === text.length) return this.entries[3 * (e - 1) + 2] as number;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}
