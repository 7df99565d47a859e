import { describe, expect, it } from 'vitest';
import { assertDtypeRuns, dtypeCandidates } from './backend.js';

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
