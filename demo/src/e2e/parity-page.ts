/**
 * The parity page: `window.bertwebParity(fixture, backend)` loads `models/fixtures/<fixture>/` in a
 * Web Worker through `connect()`, runs every case of its reference.json, and returns the max abs diffs.
 */
import { type Backend, connect, isBertwebError } from '@bertweb/core';
import { compareCase, type ReferenceCase } from './compare.js';
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

declare global {
  interface Window {
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
document.documentElement.dataset.parityReady = 'true';
