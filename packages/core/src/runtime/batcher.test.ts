import { describe, expect, it } from 'vitest';
import type { Encoding } from '../tokenizer/types.js';
import { float16BitsToFloat32, MicroBatcher, planBatches } from './batcher.js';
import type { RawTensor, Session } from './session.js';

function encoding(ids: number[]): Encoding {
  return {
    ids,
    tokens: ids.map(String),
    typeIds: ids.map(() => 0),
    attentionMask: ids.map(() => 1),
    specialTokensMask: ids.map(() => 0),
    wordIds: ids.map((_, i) => i),
    sequenceIds: ids.map(() => 0),
    offsets: ids.map(() => [0, 0] as [number, number]),
    overflowing: [],
  };
}

/** A session whose per-token output is the input id (as float) and whose pooled output is the row sum. */
class FakeSession implements Session {
  readonly backend = 'wasm' as const;
  readonly threads = 1;
  readonly inputNames = ['input_ids', 'attention_mask'];
  readonly outputNames = ['per_token', 'pooled'];
  readonly runs: { dims: readonly number[]; ids: bigint[]; mask: bigint[] }[] = [];
  disposed = false;
  delayMs = 0;
  failNext = false;

  async run(feeds: Readonly<Record<string, RawTensor>>): Promise<Record<string, RawTensor>> {
    const ids = feeds.input_ids as RawTensor & { data: BigInt64Array };
    const mask = feeds.attention_mask as RawTensor & { data: BigInt64Array };
    this.runs.push({ dims: ids.dims, ids: Array.from(ids.data), mask: Array.from(mask.data) });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('kernel failure');
    }
    const [b = 0, l = 0] = ids.dims;
    const perToken = new Float32Array(b * l * 2);
    const pooled = new Float32Array(b);
    for (let r = 0; r < b; r++) {
      for (let t = 0; t < l; t++) {
        const v = Number(ids.data[r * l + t]);
        perToken[(r * l + t) * 2] = v;
        perToken[(r * l + t) * 2 + 1] = -v;
        pooled[r] = (pooled[r] as number) + v * Number(mask.data[r * l + t]);
      }
    }
    return {
      per_token: { type: 'float32', data: perToken, dims: [b, l, 2] },
      pooled: { type: 'float32', data: pooled, dims: [b] },
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

const options = {
  maxBatchTokens: 64,
  maxBatchSize: 4,
  padId: 0,
  useTokenTypes: false,
  isPerToken: (name: string) => name === 'per_token',
};

describe('MicroBatcher', () => {
  it('coalesces concurrent calls into one padded batch and slices results back', async () => {
    const session = new FakeSession();
    const batcher = new MicroBatcher(session, options);
    const [a, b] = await Promise.all([
      batcher.submit([encoding([5, 6, 7])]),
      batcher.submit([encoding([9]), encoding([1, 2])]),
    ]);
    expect(session.runs).toHaveLength(1);
    expect(session.runs[0]?.dims).toEqual([3, 3]);
    // Sorted by length: [9], [1,2], [5,6,7]; padding with padId and mask 0.
    expect(session.runs[0]?.ids).toEqual([9n, 0n, 0n, 1n, 2n, 0n, 5n, 6n, 7n]);
    expect(session.runs[0]?.mask).toEqual([1n, 0n, 0n, 1n, 1n, 0n, 1n, 1n, 1n]);
    expect(a?.[0]?.per_token?.dims).toEqual([3, 2]);
    expect(Array.from(a?.[0]?.per_token?.data ?? [])).toEqual([5, -5, 6, -6, 7, -7]);
    expect(Array.from(b?.[1]?.per_token?.data ?? [])).toEqual([1, -1, 2, -2]);
    expect(b?.[0]?.pooled?.dims).toEqual([]);
    expect(Array.from(b?.[0]?.pooled?.data ?? [])).toEqual([9]);
  });

  it('respects the token budget and batch size, padding only to each batch longest', async () => {
    const session = new FakeSession();
    const batcher = new MicroBatcher(session, options);
    const encodings = [30, 2, 3, 31, 4, 5, 6].map((n) => encoding(Array.from({ length: n }, (_, i) => i + 1)));
    const out = await batcher.submit(encodings);
    expect(out.map((o) => o.per_token?.dims[0])).toEqual([30, 2, 3, 31, 4, 5, 6]);
    for (const run of session.runs) {
      const [size = 0, length = 0] = run.dims;
      expect(size).toBeLessThanOrEqual(4);
      expect(size * length <= 64 || size === 1).toBe(true);
    }
    expect(session.runs.map((r) => r.dims)).toEqual([
      [4, 5],
      [2, 30],
      [1, 31],
    ]);
  });

  it('runs an over-long single item alone', () => {
    const items = [{ encoding: { ids: new Array(100) } }, { encoding: { ids: new Array(2) } }];
    expect(planBatches(items, 64, 8).map((b) => b.length)).toEqual([1, 1]);
  });

  it('rejects an aborted request without running it, others still run', async () => {
    const session = new FakeSession();
    const batcher = new MicroBatcher(session, options);
    const controller = new AbortController();
    const aborted = batcher.submit([encoding([1, 2, 3])], { signal: controller.signal });
    const kept = batcher.submit([encoding([4])]);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await kept)[0]?.pooled?.data[0]).toBe(4);
    expect(session.runs.flatMap((r) => r.ids)).not.toContain(3n);
  });

  it('propagates a failed run to that batch only', async () => {
    const session = new FakeSession();
    session.failNext = true;
    const batcher = new MicroBatcher(session, { ...options, maxBatchSize: 1 });
    const results = await Promise.allSettled([batcher.submit([encoding([1])]), batcher.submit([encoding([2, 2])])]);
    expect(results[0]?.status).toBe('rejected');
    expect(results[1]?.status).toBe('fulfilled');
  });

  it('queues while a batch runs and drains afterwards; dispose rejects the queue', async () => {
    const session = new FakeSession();
    session.delayMs = 30;
    const batcher = new MicroBatcher(session, options);
    const first = batcher.submit([encoding([1])]);
    await new Promise((r) => setTimeout(r, 5));
    const second = batcher.submit([encoding([2])]);
    const third = batcher.submit([encoding([3])]);
    await Promise.all([first, second, third]);
    expect(session.runs.map((r) => r.dims[0])).toEqual([1, 2]);
    const late = batcher.submit([encoding([4])]);
    batcher.dispose();
    await expect(late).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(batcher.submit([encoding([5])])).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('rejects empty encodings with INPUT_INVALID', async () => {
    const batcher = new MicroBatcher(new FakeSession(), options);
    await expect(batcher.submit([encoding([])])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(await batcher.submit([])).toEqual([]);
  });
});

describe('float16BitsToFloat32', () => {
  it('decodes normal, subnormal and special values', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7c00, 0x7e00, 0x0000, 0x3555]);
    const out = float16BitsToFloat32(bits);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(-2);
    expect(out[2]).toBeCloseTo(5.96e-8, 10);
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(out[4])).toBe(true);
    expect(out[5]).toBe(0);
    expect(out[6]).toBeCloseTo(0.33325, 5);
  });
});
