// loadModel end to end on the committed fixtures: ORT-web WASM and onnxruntime-node (native) in Node
// against the PyTorch references.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileMap } from '../sources/types.js';
import type { Encoding } from '../tokenizer/types.js';
import { loadModel } from './model.js';
import type { LoadedModel } from './types.js';

const fixturesDir = fileURLToPath(new URL('../../../../models/fixtures/', import.meta.url));
const FIXTURES = readdirSync(fixturesDir, { withFileTypes: true })
  .filter(
    (d) =>
      d.isDirectory() &&
      existsSync(join(fixturesDir, d.name, 'reference.json')) &&
      existsSync(join(fixturesDir, d.name, 'config.json')),
  )
  .map((d) => d.name)
  .sort();

interface ReferenceCase {
  name: string;
  inputs: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] };
  outputs: Record<string, { dims: number[]; data: number[] }>;
}

function referenceCases(fixture: string): ReferenceCase[] {
  return JSON.parse(readFileSync(join(fixturesDir, fixture, 'reference.json'), 'utf8')).cases;
}

/** The reference rows as encodings (only the unpadded tokens: bertweb pads by itself). */
function encodingsOf(c: ReferenceCase): Encoding[] {
  return c.inputs.input_ids.map((row, r) => {
    const length = (c.inputs.attention_mask[r] as number[]).filter((m) => m === 1).length;
    const ids = row.slice(0, length);
    return {
      ids,
      tokens: ids.map(String),
      typeIds: (c.inputs.token_type_ids?.[r] ?? ids.map(() => 0)).slice(0, length),
      attentionMask: ids.map(() => 1),
      specialTokensMask: ids.map(() => 0),
      wordIds: ids.map(() => null),
      sequenceIds: ids.map(() => 0),
      offsets: ids.map(() => [0, 0] as [number, number]),
      overflowing: [],
    };
  });
}

/** Max |bertweb - PyTorch| over the unpadded positions of every output of a case. */
function maxDiff(
  c: ReferenceCase,
  results: Record<string, { data: Float32Array; dims: readonly number[] }>[],
  pooledLogits = false,
): number {
  const paddedLength = c.inputs.input_ids[0]?.length ?? 0;
  let worst = 0;
  for (const [name, ref] of Object.entries(c.outputs)) {
    const [, seq = 0, ...rest] = ref.dims;
    const perToken = seq === paddedLength && name !== 'pooler_output' && !(pooledLogits && name === 'logits');
    const inner = rest.reduce((a, b) => a * b, 1);
    results.forEach((out, row) => {
      const got = out[name];
      if (!got) throw new Error(`missing output ${name}`);
      if (perToken) {
        const length = got.dims[0] as number;
        for (let t = 0; t < length; t++) {
          for (let k = 0; k < inner; k++) {
            const expected = ref.data[(row * seq + t) * inner + k] as number;
            worst = Math.max(worst, Math.abs((got.data[t * inner + k] as number) - expected));
          }
        }
      } else {
        const width = got.data.length;
        for (let k = 0; k < width; k++) {
          worst = Math.max(worst, Math.abs((got.data[k] as number) - (ref.data[row * width + k] as number)));
        }
      }
    });
  }
  return worst;
}

const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const model of loaded) await model.dispose();
});

describe.each(FIXTURES)('fixture %s on WASM (Node)', (fixture) => {
  it('matches the PyTorch reference within 1e-4 for every case', async () => {
    const model = await loadModel(join(fixturesDir, fixture), { backend: 'wasm' });
    loaded.push(model);
    expect(model.backend.backend).toBe('wasm');
    expect(model.backend.dtype).toBe('fp32');
    expect(model.backend.reasons.join(' ')).toContain('onnx/model_quantized.onnx not found');
    const diffs: Record<string, number> = {};
    for (const c of referenceCases(fixture)) {
      const results = await model.infer(encodingsOf(c));
      diffs[c.name] = maxDiff(c, results, fixture.endsWith('seq-cls'));
    }
    console.info(`parity ${fixture} (wasm, node): ${JSON.stringify(diffs)}`);
    for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-4);
  });
});

describe.each(FIXTURES)('fixture %s on native (onnxruntime-node)', (fixture) => {
  it('matches the PyTorch reference within 1e-4 for every case', async () => {
    const model = await loadModel(join(fixturesDir, fixture), { backend: 'native' });
    loaded.push(model);
    expect(model.backend.backend).toBe('native');
    expect(model.backend.dtype).toBe('fp32');
    expect(model.backend.native).toMatchObject({ available: true, version: expect.any(String) });
    expect(model.backend.native.threads).toBeGreaterThanOrEqual(1);
    const diffs: Record<string, number> = {};
    for (const c of referenceCases(fixture)) {
      const results = await model.infer(encodingsOf(c));
      for (const out of results)
        for (const tensor of Object.values(out)) expect(tensor.data).toBeInstanceOf(Float32Array);
      diffs[c.name] = maxDiff(c, results, fixture.endsWith('seq-cls'));
    }
    console.info(`parity ${fixture} (native): ${JSON.stringify(diffs)}`);
    for (const diff of Object.values(diffs)) expect(diff).toBeLessThanOrEqual(1e-4);
  });
});

describe('threads', () => {
  it('native sessions take the per-load numThreads, else the default, and report it', async () => {
    const one = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'native', numThreads: 1 });
    const two = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'native', numThreads: 2 });
    const auto = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'native' });
    loaded.push(one, two, auto);
    expect(one.backend.native.threads).toBe(1);
    expect(two.backend.native.threads).toBe(2);
    expect(auto.backend.native.threads).toBeGreaterThanOrEqual(1);
    expect(auto.backend.native.threads).toBeLessThanOrEqual(availableParallelism());
    // The thread count changes how the work is split, not the numbers (beyond float reassociation).
    const padded = referenceCases('bert-base').find((c) => c.name === 'padded') as ReferenceCase;
    for (const model of [one, two]) {
      expect(maxDiff(padded, await model.infer(encodingsOf(padded)))).toBeLessThanOrEqual(1e-4);
    }
  });

  it('WASM runs min(4, cores) threads in Node by default; a later load asking for another count is told why', async () => {
    // The WASM parity loads above started onnxruntime-web in this process with the default count.
    const expected = Math.min(4, availableParallelism());
    const first = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'wasm' });
    loaded.push(first);
    expect(first.backend.wasm.threads).toBe(expected);
    expect(first.backend.native.threads).toBeUndefined();
    const other = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'wasm', numThreads: expected + 1 });
    loaded.push(other);
    expect(other.backend.wasm.threads).toBe(expected);
    expect(other.backend.reasons.join(' ')).toContain(
      `${expected + 1} WASM threads were asked for, but onnxruntime-web started with ${expected}`,
    );
  });

  it('numThreads must be a positive integer', async () => {
    for (const numThreads of [0, 1.5, '2', -1]) {
      await expect(
        loadModel(join(fixturesDir, 'bert-base'), { backend: 'native', numThreads: numThreads as number }),
      ).rejects.toMatchObject({ code: 'INPUT_INVALID', details: { argument: 'numThreads' } });
    }
  });
});

describe('concurrent calls', () => {
  it('coalesce into one padded batch and give the same numbers as separate calls', async () => {
    const model = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'wasm' });
    loaded.push(model);
    const padded = referenceCases('bert-base').find((c) => c.name === 'padded') as ReferenceCase;
    const encodings = encodingsOf(padded);
    const together = await Promise.all(encodings.map((e) => model.infer([e])));
    expect(
      maxDiff(
        padded,
        together.map((r) => r[0] as (typeof r)[0]),
      ),
    ).toBeLessThanOrEqual(1e-4);
  });
});

function fixtureFiles(fixture: string): Record<string, Uint8Array> {
  const dir = join(fixturesDir, fixture);
  const files: Record<string, Uint8Array> = {};
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else files[rel] = new Uint8Array(readFileSync(join(dir, rel)));
    }
  };
  walk('');
  return files;
}

function withFiles(fixture: string, change: (files: Record<string, Uint8Array>) => void): { files: FileMap } {
  const files = fixtureFiles(fixture);
  change(files);
  return { files };
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const config = (fixture: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixturesDir, fixture, 'config.json'), 'utf8'));

describe('bad models and calls get coded errors', () => {
  it('missing folder or files -> MODEL_NOT_FOUND', async () => {
    await expect(loadModel(join(fixturesDir, 'no-such-model'), { backend: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
    const noOnnx = withFiles('bert-base', (f) => delete f['onnx/model.onnx']);
    await expect(loadModel(noOnnx, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const noConfig = withFiles('bert-base', (f) => delete f['config.json']);
    await expect(loadModel(noConfig, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('corrupt ONNX bytes -> MODEL_INVALID', async () => {
    const garbage = withFiles('bert-base', (f) => {
      f['onnx/model.onnx'] = new Uint8Array(2048).map((_, i) => (i * 7919) % 251);
    });
    await expect(loadModel(garbage, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    const truncated = withFiles('bert-base', (f) => {
      f['onnx/model.onnx'] = (f['onnx/model.onnx'] as Uint8Array).slice(0, 5000);
    });
    await expect(loadModel(truncated, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    // onnxruntime-node says it in its own words: the same codes.
    await expect(loadModel(garbage, { backend: 'native' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(loadModel(truncated, { backend: 'native' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('config that does not match the graph -> MODEL_INVALID / TOKENIZER_MISMATCH', async () => {
    const wrongVocab = withFiles('bert-base', (f) => {
      f['config.json'] = json({ ...config('bert-base'), vocab_size: 40000 });
    });
    await expect(loadModel(wrongVocab, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    const smallVocab = withFiles('bert-base', (f) => {
      f['config.json'] = json({ ...config('bert-base'), vocab_size: 1000 });
    });
    await expect(loadModel(smallVocab, { backend: 'wasm' })).rejects.toMatchObject({ code: 'TOKENIZER_MISMATCH' });
    const notJson = withFiles('bert-base', (f) => {
      f['config.json'] = new TextEncoder().encode('{ not json');
    });
    await expect(loadModel(notJson, { backend: 'wasm' })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('a graph without the outputs its task needs -> MODEL_INVALID', async () => {
    const baseAsQa = withFiles('bert-base', (f) => {
      f['config.json'] = json({ ...config('bert-base'), architectures: ['BertForQuestionAnswering'] });
    });
    await expect(loadModel(baseAsQa, { backend: 'wasm' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('start_logits'),
    });
  });

  it('explicit webgpu without WebGPU -> BACKEND_UNAVAILABLE before any download; unknown backend -> INPUT_INVALID', async () => {
    await expect(loadModel(join(fixturesDir, 'bert-base'), { backend: 'webgpu' })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    const requests: string[] = [];
    const fetch = async (input: RequestInfo | URL) => {
      requests.push(String(input));
      return new Response('{}');
    };
    await expect(
      loadModel('owner/model', { backend: 'webgpu', hubBaseUrl: 'http://127.0.0.1:9', cache: false, fetch }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(requests).toEqual([]);
    await expect(loadModel(join(fixturesDir, 'bert-base'), { backend: 'cuda' as 'wasm' })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
  });

  it('auto picks native in Node when onnxruntime-node loads, and says why', async () => {
    const model = await loadModel(join(fixturesDir, 'distilbert-base'));
    loaded.push(model);
    expect(model.backend.backend).toBe('native');
    expect(model.backend.reasons[0]).toMatch(/^auto: onnxruntime-node \S+ loaded; using native$/);
    expect(model.backend.native.available).toBe(true);
    expect(model.inputNames).not.toContain('token_type_ids');
  });

  it('aborted load and aborted call -> ABORTED; call after dispose -> DISPOSED; too long -> INPUT_INVALID', async () => {
    await expect(
      loadModel(join(fixturesDir, 'bert-base'), { backend: 'wasm', signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    const model = await loadModel(join(fixturesDir, 'bert-base'), { backend: 'wasm' });
    const [encoding] = encodingsOf(referenceCases('bert-base')[0] as ReferenceCase);
    const controller = new AbortController();
    const call = model.infer([encoding as Encoding], { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    const long = { ...(encoding as Encoding), ids: new Array(513).fill(1000) };
    await expect(model.infer([long])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await model.dispose();
    expect(model.disposed).toBe(true);
    await expect(model.infer([encoding as Encoding])).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
