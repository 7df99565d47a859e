import { describe, expect, it } from 'vitest';
import { assertBackendAvailable, assertDtypeRuns, chooseBackend, dtypeCandidates, makeReport } from './backend.js';

const noF16 = { available: true, shaderF16: false } as const;
const f16 = { available: true, shaderF16: true } as const;

describe('dtypes per backend', () => {
  it('refuses fp16 on a WebGPU adapter without shader-f16, before any download', () => {
    expect(() => assertDtypeRuns('webgpu', 'fp16', noF16)).toThrow(
      expect.objectContaining({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('shader-f16') }),
    );
    expect(() => assertDtypeRuns('webgpu', 'fp16', f16)).not.toThrow();
    for (const dtype of ['fp32', 'q4', 'q8'] as const)
      expect(() => assertDtypeRuns('webgpu', dtype, noF16)).not.toThrow();
    expect(() => assertDtypeRuns('wasm', 'fp16', noF16)).not.toThrow();
  });

  it('prefers fp16 on WebGPU only with shader-f16, q8 on WASM', () => {
    expect(dtypeCandidates('webgpu', f16)[0]).toBe('fp16');
    expect(dtypeCandidates('webgpu', noF16)[0]).toBe('fp32');
    expect(dtypeCandidates('wasm', noF16)[0]).toBe('q8');
    expect(dtypeCandidates('webgpu', noF16, 'q4')).toEqual(['q4']);
    expect(() => dtypeCandidates('wasm', noF16, 'int3' as never)).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });
});

describe('backend choice in Node', () => {
  it('auto picks native when onnxruntime-node loads; wasm and native as asked; webgpu unavailable', async () => {
    const auto = await chooseBackend('auto');
    expect(auto.backend).toBe('native');
    expect(auto.native).toMatchObject({ available: true });
    expect(auto.reasons).toEqual([`auto: onnxruntime-node ${auto.native.version} loaded; using native`]);
    expect(await chooseBackend('native')).toMatchObject({ backend: 'native', reasons: ['native requested'] });
    expect(await chooseBackend('wasm')).toMatchObject({ backend: 'wasm', reasons: ['WASM requested'] });
    await expect(chooseBackend('webgpu')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'WebGPU was requested but WebGPU is not available here (no navigator.gpu)',
    });
    await expect(chooseBackend('cuda' as 'wasm')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('checks explicit backends up front, and lets auto and wasm through', async () => {
    await expect(assertBackendAvailable(undefined)).resolves.toBeUndefined();
    await expect(assertBackendAvailable('auto')).resolves.toBeUndefined();
    await expect(assertBackendAvailable('wasm')).resolves.toBeUndefined();
    await expect(assertBackendAvailable('native')).resolves.toBeUndefined();
    await expect(assertBackendAvailable('webgpu')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('reports the session threads under the backend that runs them', () => {
    const gpu = { available: false, shaderF16: false } as const;
    const native = { available: true, version: '1.30.0' };
    const onNative = makeReport('native', 'q8', gpu, [], { native, threads: 3 });
    expect(onNative.native).toEqual({ available: true, version: '1.30.0', threads: 3 });
    const onWasm = makeReport('wasm', 'q8', gpu, [], { native, threads: 1 });
    expect(onWasm.wasm.threads).toBe(1);
    expect(onWasm.native).toEqual({ available: true, version: '1.30.0' });
    expect(makeReport('wasm', 'fp32', gpu, []).native).toEqual({ available: false });
  });
});
