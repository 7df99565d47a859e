/**
 * The parity page: `window.bertwebParity(fixture, backend)` loads `models/fixtures/<fixture>/` in a
 * Web Worker through `connect()`, runs every case of its reference.json, and returns the max abs diffs.
 */

import { convertFiles } from '@bertweb/convert';
import { type Backend, connect, type Dtype, isBertwebError } from '@bertweb/core';
import { agreementWith, compareCase, type ReferenceCase } from './compare.js';
import type { rawTasks } from './raw-worker.js';

/** What one parity run reports. */
export interface ParityResult {
  readonly fixture: string;
  readonly requested: Backend;
  readonly backend: string;
  readonly dtype: string;
  readonly reasons: readonly string[];
  readonly crossOriginIsolated: boolean;
  readonly threads: number;
  readonly loadMs: number;
  readonly cases: {
    name: string;
    maxDiff: number;
    perOutput: Record<string, number>;
    problems: string[];
    runMs: number;
  }[];
  readonly maxDiff: number;
}

const client = connect<typeof rawTasks>(
  () => new Worker(new URL('./raw-worker.ts', import.meta.url), { type: 'module', name: 'bertweb-raw' }),
);
const log = document.getElementById('log') as HTMLElement;

async function parity(fixture: string, backend: Backend): Promise<ParityResult> {
  const folder = new URL(`/models/fixtures/${fixture}/`, location.href).href;
  const reference = (await (await fetch(`${folder}reference.json`)).json()) as { cases: ReferenceCase[] };
  const t0 = performance.now();
  const model = await client.create('raw', folder, { backend, cache: false });
  const loadMs = performance.now() - t0;
  try {
    const cases = [];
    for (const refCase of reference.cases) {
      const t1 = performance.now();
      const rows = await model.run(refCase.inputs);
      const runMs = performance.now() - t1;
      cases.push({ name: refCase.name, runMs, ...compareCase(refCase, rows) });
    }
    const result: ParityResult = {
      fixture,
      requested: backend,
      backend: model.backend.backend,
      dtype: model.backend.dtype,
      reasons: model.backend.reasons,
      crossOriginIsolated: model.backend.wasm.crossOriginIsolated,
      threads: model.backend.wasm.threads,
      loadMs,
      cases,
      maxDiff: Math.max(...cases.map((c) => c.maxDiff)),
    };
    log.textContent += `${fixture} on ${result.backend}/${result.dtype}: max |diff| ${result.maxDiff.toExponential(2)}\n`;
    return result;
  } finally {
    await model.dispose();
  }
}

/** What one in-page conversion + run reports per dtype. */
export interface ConvertParityResult {
  readonly fixture: string;
  readonly convertMs: number;
  /** Whether this page's WebGPU adapter has `shader-f16` (false without WebGPU). */
  readonly shaderF16: boolean;
  /** Variants the runtime refused to load, with the error it gave. */
  readonly refused: { readonly dtype: string; readonly code: string; readonly message: string }[];
  readonly variants: {
    readonly dtype: string;
    readonly backend: string;
    readonly shaderF16: boolean;
    readonly reasons: readonly string[];
    readonly loadMs: number;
    readonly maxDiff: number;
    readonly problems: string[];
    readonly minCosine: Record<string, number>;
    readonly argmaxAgreement?: number;
  }[];
}

/**
 * Converts `models/fixtures/convert/<fixture>/` (the named checkpoint files) in this page with
 * @bertweb/convert, loads each requested variant in the Web Worker on `backend`, and compares it with
 * the fixture's PyTorch reference.
 */
async function convertParity(
  fixture: string,
  fileNames: readonly string[],
  backend: Backend,
  dtypes: readonly Dtype[],
): Promise<ConvertParityResult> {
  const folder = new URL(`/models/fixtures/convert/${fixture}/`, location.href).href;
  const get = async (name: string) => {
    const response = await fetch(folder + name);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return response;
  };
  const reference = { name: fixture, ...((await (await get('reference.json')).json()) as Omit<ReferenceCase, 'name'>) };
  const files = new Map(
    await Promise.all(fileNames.map(async (n) => [n, new Uint8Array(await (await get(n)).arrayBuffer())] as const)),
  );
  const t0 = performance.now();
  const converted = await convertFiles(files, { dtypes });
  const convertMs = performance.now() - t0;
  type Gpu = { requestAdapter(): Promise<{ readonly features: ReadonlySet<string> } | null> };
  const adapter = await (navigator as unknown as { gpu?: Gpu }).gpu?.requestAdapter().catch(() => null);
  const shaderF16 = adapter?.features.has('shader-f16') ?? false;
  const variants = [];
  const refused = [];
  for (const dtype of dtypes) {
    const t1 = performance.now();
    let model: Awaited<ReturnType<typeof client.create>>;
    try {
      model = await client.create(
        'raw',
        { files: Object.fromEntries(converted), name: `${fixture} (converted here)` },
        { backend, dtype, cache: false },
      );
    } catch (error) {
      const code = isBertwebError(error) ? error.code : 'UNKNOWN';
      refused.push({ dtype, code, message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const loadMs = performance.now() - t1;
    try {
      let rows: Awaited<ReturnType<typeof model.run>>;
      try {
        rows = await model.run(reference.inputs);
      } catch (error) {
        const code = isBertwebError(error) ? error.code : 'UNKNOWN';
        const reasons = model.backend.reasons.join('; ');
        const message = `${error instanceof Error ? error.message : String(error)} (loaded: ${reasons}; runtime saw shader-f16 = ${model.backend.webgpu.shaderF16})`;
        refused.push({ dtype, code, message });
        continue;
      }
      const { maxDiff, problems } = compareCase(reference, rows);
      variants.push({
        dtype: model.backend.dtype,
        backend: model.backend.backend,
        shaderF16: model.backend.webgpu.shaderF16,
        reasons: model.backend.reasons,
        loadMs,
        maxDiff,
        problems,
        ...agreementWith(reference, rows),
      });
    } finally {
      await model.dispose();
    }
  }
  log.textContent += `${fixture} converted in this page (${convertMs.toFixed(0)} ms): ${variants
    .map((v) => `${v.backend}/${v.dtype} max |diff| ${v.maxDiff.toExponential(2)}`)
    .join(', ')}${refused.map((r) => `; ${r.dtype} refused: ${r.code}`).join('')}\n`;
  return { fixture, convertMs, shaderF16, refused, variants };
}

declare global {
  interface Window {
    bertwebConvertParity(
      fixture: string,
      fileNames: readonly string[],
      backend: Backend,
      dtypes: readonly Dtype[],
    ): Promise<ConvertParityResult | { error: { code: string; message: string } }>;
    bertwebParity(
      fixture: string,
      backend: Backend,
    ): Promise<ParityResult | { error: { code: string; message: string } }>;
  }
}

window.bertwebParity = async (fixture, backend) => {
  try {
    return await parity(fixture, backend);
  } catch (error) {
    const code = isBertwebError(error) ? error.code : 'UNKNOWN';
    const message = error instanceof Error ? error.message : String(error);
    log.textContent += `${fixture}: ${code} ${message}\n`;
    console.error(`parity ${fixture}:`, error instanceof Error ? (error.stack ?? message) : message);
    return { error: { code, message } };
  }
};
window.bertwebConvertParity = async (fixture, fileNames, backend, dtypes) => {
  try {
    return await convertParity(fixture, fileNames, backend, dtypes);
  } catch (error) {
    const code = isBertwebError(error) ? error.code : 'UNKNOWN';
    const message = error instanceof Error ? error.message : String(error);
    log.textContent += `${fixture} (convert): ${code} ${message}\n`;
    return { error: { code, message } };
  }
};
document.documentElement.dataset.parityReady = 'true';
