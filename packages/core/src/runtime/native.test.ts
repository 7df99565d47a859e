// The native backend's discovery: onnxruntime-node present (the workspace installs it), absent (mocked
// away), and outside Node (a browser-like global), each with a fresh module state.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCpuList, physicalCores } from './native.js';

const bertBase = fileURLToPath(new URL('../../../../models/fixtures/bert-base', import.meta.url));

/** A fetch that records every request: an explicit unavailable backend must fail before the first. */
function recordingFetch(): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const fetch = (async (input: RequestInfo | URL) => {
    requests.push(String(input));
    return new Response('{}');
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

/** A module whose evaluation fails as `message` (what an import that cannot find or load it throws). */
function failingModule(message: string): Record<string, unknown> {
  return Object.defineProperty({}, 'InferenceSession', {
    get() {
      throw new Error(message);
    },
  });
}

afterEach(() => {
  vi.doUnmock('onnxruntime-node');
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('CPU topology', () => {
  it('parses sysfs CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('0\n')).toEqual([0]);
    expect(parseCpuList('')).toEqual([]);
  });

  it('counts physical cores within the logical ones this process may use', () => {
    const cores = physicalCores();
    expect(cores).toBeGreaterThanOrEqual(1);
    expect(cores).toBeLessThanOrEqual(availableParallelism());
  });
});

describe('onnxruntime-node installed', () => {
  it('is found, with its version', async () => {
    const { probeNative } = await import('./native.js');
    expect(await probeNative()).toEqual({ available: true, version: expect.stringMatching(/^1\.\d+\.\d+/) });
  });
});

describe('onnxruntime-node not installed', () => {
  it('auto runs on WASM with the reason; explicit native is BACKEND_UNAVAILABLE before any download', async () => {
    vi.doMock('onnxruntime-node', () =>
      failingModule("Cannot find package 'onnxruntime-node' imported from /app/index.js"),
    );
    const { probeNative } = await import('./native.js');
    const { loadModel } = await import('./model.js');
    expect(await probeNative()).toEqual({
      available: false,
      reason: 'onnxruntime-node is not installed (npm install onnxruntime-node)',
    });
    const model = await loadModel(bertBase);
    try {
      expect(model.backend.backend).toBe('wasm');
      expect(model.backend.native).toEqual({ available: false });
      expect(model.backend.reasons.slice(0, 2)).toEqual([
        'auto: onnxruntime-node is not installed (npm install onnxruntime-node)',
        'auto: WebGPU is not available here (no navigator.gpu); using WASM',
      ]);
    } finally {
      await model.dispose();
    }
    const { fetch, requests } = recordingFetch();
    await expect(
      loadModel('owner/model', { backend: 'native', hubBaseUrl: 'http://127.0.0.1:9', cache: false, fetch }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'the native backend was requested but onnxruntime-node is not installed (npm install onnxruntime-node)',
    });
    expect(requests).toEqual([]);
  });

  it('a binary that fails to load is reported as such', async () => {
    vi.doMock('onnxruntime-node', () =>
      failingModule('libonnxruntime.so.1: cannot open shared object file\nmore detail'),
    );
    const { probeNative } = await import('./native.js');
    expect(await probeNative()).toEqual({
      available: false,
      reason: 'onnxruntime-node failed to load: libonnxruntime.so.1: cannot open shared object file',
    });
  });
});

describe('outside Node', () => {
  it('native is unavailable without importing onnxruntime-node, and explicit native fails before any download', async () => {
    const imported = vi.fn();
    vi.doMock('onnxruntime-node', () => {
      imported();
      return {};
    });
    vi.stubGlobal('window', {});
    const { probeNative } = await import('./native.js');
    const { loadModel } = await import('./model.js');
    expect(await probeNative()).toEqual({ available: false, reason: 'onnxruntime-node runs only in Node.js' });
    const { fetch, requests } = recordingFetch();
    await expect(
      loadModel('owner/model', { backend: 'native', hubBaseUrl: 'http://127.0.0.1:9', cache: false, fetch }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(requests).toEqual([]);
    expect(imported).not.toHaveBeenCalled();
  });
});
