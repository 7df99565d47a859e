/**
 * A runtime that does not load is BACKEND_UNAVAILABLE, never a fault of the model's files: the loader
 * evicts and re-downloads files whose checks fail with anything else (seen offline in the demo: the
 * WebGPU build's import failed and the cached model was deleted).
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('./ort.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./ort.js')>()),
  loadOrt: vi.fn(async () => {
    throw new TypeError('Failed to fetch dynamically imported module: ort.webgpu.bundle.min.mjs');
  }),
}));

const { createSession } = await import('./session.js');

describe('createSession when the runtime does not load', () => {
  it('rejects with BACKEND_UNAVAILABLE naming the build (so auto falls back and no file is evicted)', async () => {
    for (const backend of ['wasm', 'webgpu'] as const) {
      await expect(createSession(new Uint8Array(8), backend)).rejects.toMatchObject({
        name: 'BertwebError',
        code: 'BACKEND_UNAVAILABLE',
        message: expect.stringContaining(`onnxruntime-web's ${backend} build`),
      });
    }
  });
});
