// ORT-web's WASM thread count: min(4, cores) where SharedArrayBuffer is usable (Node included), the
// settings and a load's numThreads on top, and the first WASM session of the realm deciding for good.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { env } from '../env.js';
import { loadModel } from './model.js';
import { loadOrt, wasmThreads, wasmThreadsFor } from './ort.js';

const bertBase = fileURLToPath(new URL('../../../../models/fixtures/bert-base', import.meta.url));

afterEach(() => {
  env.numThreads = undefined;
  vi.unstubAllGlobals();
});

describe('the WASM thread count asked for', () => {
  it('is min(4, cores) in Node, then env.numThreads, then a load’s numThreads', () => {
    expect(wasmThreadsFor()).toBe(Math.min(4, availableParallelism()));
    env.numThreads = 3;
    expect(wasmThreadsFor()).toBe(3);
    expect(wasmThreadsFor(5)).toBe(5);
    env.numThreads = 2.7;
    expect(wasmThreadsFor()).toBe(2);
  });

  it('is 1 in a page that is not cross-origin isolated, whatever is asked; min(4, cores) in one that is', () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('navigator', { hardwareConcurrency: 12 });
    env.numThreads = 3;
    expect(wasmThreadsFor(2)).toBe(1);
    vi.stubGlobal('crossOriginIsolated', true);
    expect(wasmThreadsFor(2)).toBe(2);
    env.numThreads = undefined;
    // In a browser the core count is navigator.hardwareConcurrency's; node:os answers here, as in a worker of Node.
    expect(wasmThreadsFor()).toBe(Math.min(4, availableParallelism()));
  });
});

describe('the first WASM session of the realm decides', () => {
  it('honours the first load’s numThreads and reports the running count to later loads', async () => {
    const first = await loadModel(bertBase, { backend: 'wasm', numThreads: 1 });
    const ort = await loadOrt();
    expect(ort.env.wasm.numThreads).toBe(1);
    expect(first.backend.wasm.threads).toBe(1);
    expect(first.backend.reasons.join(' ')).not.toContain('asked for');
    expect(wasmThreads()).toBe(1);

    const second = await loadModel(bertBase, { backend: 'wasm', numThreads: 2 });
    expect(second.backend.wasm.threads).toBe(1);
    expect(second.backend.reasons).toContain(
      '2 WASM threads were asked for, but onnxruntime-web started with 1 in this realm and reads the count only then; using 1',
    );
    env.numThreads = 3;
    const third = await loadModel(bertBase, { backend: 'wasm' });
    expect(third.backend.reasons.join(' ')).toContain('3 WASM threads were asked for');
    // Same numbers from every model: they share the one runtime.
    const encoding = first.tokenizer.encode('threads change nothing but speed');
    const [a, b] = [await first.infer([encoding]), await second.infer([encoding])];
    expect(Array.from(b[0]?.last_hidden_state?.data ?? [])).toEqual(Array.from(a[0]?.last_hidden_state?.data ?? []));
    for (const model of [first, second, third]) await model.dispose();
  });
});
