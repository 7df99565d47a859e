import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { runCli } from './cli.js';
import { MODEL_FLAGS, modelOptions } from './command.js';
import { memoryIO } from './io.js';

const bertBase = fileURLToPath(new URL('../../../models/fixtures/bert-base', import.meta.url));
const options = (...argv: string[]) =>
  modelOptions(parseArgs(argv, { known: [...MODEL_FLAGS], booleans: ['no-cache'] }), memoryIO());

describe('shared model flags', () => {
  it('default to auto (native in Node when onnxruntime-node is installed); --backend and --threads pass through', () => {
    expect(options('--model', 'm')).toMatchObject({ backend: 'auto' });
    expect(options('--model', 'm').numThreads).toBeUndefined();
    for (const backend of ['auto', 'native', 'wasm', 'webgpu']) {
      expect(options('--backend', backend).backend).toBe(backend);
    }
    expect(options('--threads', '3', '--batch', '16')).toMatchObject({ numThreads: 3, maxBatchSize: 16 });
  });

  it('reject an unknown backend and a bad thread count as INPUT_INVALID', () => {
    expect(() => options('--backend', 'cuda')).toThrow(
      expect.objectContaining({
        code: 'INPUT_INVALID',
        message: '--backend must be one of auto, native, wasm, webgpu',
      }),
    );
    for (const threads of ['0', '1.5', 'many']) {
      expect(() => options('--threads', threads)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    }
  });
});

describe('backends from the command line', () => {
  it('native and WASM embed the same vectors (within 1e-4)', async () => {
    const lines = ['Hello, world!', 'Москва — столица', 'a café'];
    const run = async (...flags: string[]) => {
      const io = memoryIO(lines);
      expect(await runCli(['embed', '--model', bertBase, ...flags], io)).toBe(0);
      return io.stdout.map((l) => JSON.parse(l) as number[]);
    };
    const [native, wasm, byDefault] = [
      await run('--backend', 'native', '--threads', '1'),
      await run('--backend', 'wasm'),
      await run(),
    ];
    expect(native).toHaveLength(3);
    native.forEach((vector, r) => {
      for (const [k, v] of vector.entries()) expect(Math.abs(v - (wasm[r]?.[k] as number))).toBeLessThanOrEqual(1e-4);
    });
    // The default (auto) is native here: its own thread count splits the work differently, nothing more.
    byDefault.forEach((vector, r) => {
      for (const [k, v] of vector.entries()) expect(Math.abs(v - (native[r]?.[k] as number))).toBeLessThanOrEqual(1e-5);
    });
  });
});
