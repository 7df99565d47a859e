/**
 * WebGPU on SwiftShader (Chromium's CPU implementation of WebGPU, the only adapter on this machine):
 * correctness only, not speed. Each system embeds a few texts on WebGPU; the vectors are compared with
 * raw onnxruntime-web on WASM (fp32, same file, same texts). Timings are recorded but mean nothing for a
 * real GPU.
 */
import { type BenchBrowser, openSystemPage, type SystemPage } from './driver.js';
import type { BenchModel } from './models.js';
import { maxAbsDiff } from './stats.js';
import { type SystemKey, systemUrl } from './systems.js';

/**
 * One system on WebGPU.
 *
 * @example
 * ```ts
 * const ok = rows.every((r: WebGpuRow) => (r.maxDiffBatch1 ?? 1) < 1e-4);
 * ```
 */
export interface WebGpuRow {
  readonly system: SystemKey;
  /** Max |vector - WASM vector| over the texts, batch 1 and batched; undefined when it failed. */
  readonly maxDiffBatch1?: number;
  readonly maxDiffBatched?: number;
  readonly loadMs?: number;
  readonly runMs?: number;
  /** What the system reported it ran on (bertweb: its backend report). */
  readonly ranOn?: string;
  readonly error?: string;
}

/**
 * Embeds `texts` on WebGPU with each system and compares with WASM.
 *
 * @example
 * ```ts
 * const rows = await checkWebGpu(browser, origin, models['tiny-fp32'], questions.slice(0, 8), ['bertweb', 'ort'], 2);
 * ```
 */
export async function checkWebGpu(
  browser: BenchBrowser,
  origin: string,
  model: BenchModel,
  texts: readonly string[],
  systems: readonly SystemKey[],
  threads: number,
): Promise<WebGpuRow[]> {
  const request = { url: `/m/${model.folder}/`, modelId: model.folder, task: model.task, dtype: model.dtype } as const;
  const reference = await openSystemPage(browser, systemUrl(origin, 'ort', threads));
  let wasm: number[][];
  try {
    await reference.load({ ...request, device: 'wasm' });
    wasm = (await reference.run({ texts, batch: 1, keep: texts.length })).vectors ?? [];
  } finally {
    await reference.close();
  }
  const rows: WebGpuRow[] = [];
  for (const system of systems) {
    let page: SystemPage | undefined;
    try {
      page = await openSystemPage(browser, systemUrl(origin, system, threads));
      const loaded = await page.load({ ...request, device: 'webgpu' });
      const one = await page.run({ texts, batch: 1, keep: texts.length });
      const all = await page.run({ texts, batch: texts.length, keep: texts.length });
      const diff = (vectors: number[][] | undefined) =>
        vectors ? Math.max(...vectors.map((v, r) => maxAbsDiff(v, wasm[r] as number[]))) : Number.NaN;
      const backend = (loaded.detail.backend as { backend?: string; reasons?: string[] } | undefined)?.backend;
      rows.push({
        system,
        maxDiffBatch1: diff(one.vectors),
        maxDiffBatched: diff(all.vectors),
        loadMs: Math.round(loaded.ms),
        runMs: Math.round(one.ms + all.ms),
        ranOn: backend ?? 'webgpu (requested)',
      });
    } catch (error) {
      rows.push({ system, error: error instanceof Error ? error.message.split('\n')[0] : String(error) });
    } finally {
      await page?.close();
    }
    console.error(`  webgpu ${system}: ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}
