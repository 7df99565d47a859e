import { describe, expect, it } from 'vitest';
import { loadOrt } from './ort.js';
import { identityModel, prewarmWasm } from './prewarm.js';

describe('prewarmWasm', () => {
  it('identityModel is a valid ONNX graph: ORT-web runs it and returns its input', async () => {
    const ort = await loadOrt('wasm');
    const session = await ort.InferenceSession.create(identityModel(), { executionProviders: ['wasm'] });
    try {
      expect([session.inputNames, session.outputNames]).toEqual([['x'], ['y']]);
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([2.5]), [1]) });
      expect(Array.from(out.y?.data as Float32Array)).toEqual([2.5]);
    } finally {
      await session.release();
    }
  });

  it('starts the runtime once per realm and never rejects', async () => {
    const first = prewarmWasm();
    expect(prewarmWasm(3)).toBe(first);
    await expect(first).resolves.toBeUndefined();
  });
});
