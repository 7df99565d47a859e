/**
 * Throughput: every system loads the same model in its own tab of one browser, warms up, then runs
 * the same texts at batch 1 (one call per text) and at a wide batch, in interleaved rounds with a
 * rotating order. Reports texts/s per run and checks the outputs against raw onnxruntime-web.
 */
import type { BenchBrowser, SystemPage } from './driver.js';
import { openSystemPage } from './driver.js';
import type { BenchModel } from './models.js';
import type { Device, RunResult } from './protocol.js';
import { maxAbsDiff, perRunRatios, rates, roundOrder, type Spread, spread } from './stats.js';
import { type SystemKey, systemUrl } from './systems.js';

/**
 * One system at one batch size.
 *
 * @example
 * ```ts
 * const b1 = result.rows.filter((r: ThroughputRow) => r.batch === 1);
 * ```
 */
export interface ThroughputRow {
  readonly system: SystemKey;
  readonly batch: number;
  /** Seconds of each round's pass. */
  readonly seconds: number[];
  readonly textsPerSecond: Spread;
  /** Renderer CPU ms per text (page, workers, ORT threads), per round: steadier than wall time on a busy machine. */
  readonly cpuMsPerText: Spread;
  /** Per-round rate ratio against raw onnxruntime-web at the same batch (when it ran). */
  readonly vsRaw?: Spread;
  /** Per-round rate ratio against Transformers.js at the same batch (when it ran). */
  readonly vsTransformers?: Spread;
  /** tag: what the system found (see RunResult.found); embed: max |vector - raw batch-1 vector|. */
  readonly check: number;
}

/**
 * A model's throughput table.
 *
 * @example
 * ```ts
 * const result: ThroughputResult = await measureThroughput(browser, model, texts, options);
 * ```
 */
export interface ThroughputResult {
  readonly model: BenchModel;
  readonly device: Device;
  readonly texts: number;
  readonly rounds: number;
  readonly threads: Record<string, number>;
  /** Dedicated workers Playwright saw on each page after the load (ORT's pthreads, bertweb's worker). */
  readonly pageWorkers: Record<string, number>;
  readonly rows: ThroughputRow[];
  /** Systems that failed to load, with the error (left out of the rows). */
  readonly failed: Record<string, string>;
}

/**
 * What one throughput measurement runs.
 *
 * @example
 * ```ts
 * const options: ThroughputOptions = { origin, threads: 2, systems: ['bertweb', 'ort'], batches: [1, 32], rounds: 3, keep: 16 };
 * ```
 */
export interface ThroughputOptions {
  readonly origin: string;
  readonly threads: number;
  readonly systems: readonly SystemKey[];
  readonly batches: readonly number[];
  readonly rounds: number;
  /** Vectors compared per system (the first texts). */
  readonly keep: number;
  readonly device?: Device;
}

/**
 * Measures one model on every system.
 *
 * @example
 * ```ts
 * const result = await measureThroughput(browser, models['tiny-q8'], questions, { origin, threads: 2,
 *   systems: ['bertweb', 'ort'], batches: [1, 32], rounds: 3, keep: 16 });
 * ```
 */
export async function measureThroughput(
  browser: BenchBrowser,
  model: BenchModel,
  texts: readonly string[],
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const device = options.device ?? 'wasm';
  const pages = new Map<SystemKey, SystemPage>();
  const threads: Record<string, number> = {};
  const pageWorkers: Record<string, number> = {};
  const failed: Record<string, string> = {};
  try {
    for (const system of options.systems) {
      try {
        const page = await openSystemPage(browser, systemUrl(options.origin, system, options.threads));
        pages.set(system, page);
        const loaded = await page.load({
          url: `/m/${model.folder}/`,
          modelId: model.folder,
          task: model.task,
          dtype: model.dtype,
          device,
        });
        threads[system] = loaded.threads;
        pageWorkers[system] = page.page.workers().length;
        console.error(`  ${model.key} ${system}: loaded in ${(loaded.ms / 1000).toFixed(1)} s`);
      } catch (error) {
        failed[system] = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        console.error(`  ${model.key} ${system}: FAILED ${failed[system]}`);
        await pages.get(system)?.close();
        pages.delete(system);
      }
    }
    // Warm-up: first runs compile kernels and grow ORT's arenas; none of it is timed.
    for (const page of pages.values()) {
      await page.run({ texts: texts.slice(0, 8), batch: 1, keep: 0 });
      await page.run({
        texts: texts.slice(0, Math.max(...options.batches)),
        batch: Math.max(...options.batches),
        keep: 0,
      });
    }
    const items = [...pages.keys()].flatMap((system) => options.batches.map((batch) => ({ system, batch })));
    const seconds = items.map(() => [] as number[]);
    const cpu = items.map(() => [] as number[]);
    const firstRun = new Map<number, RunResult>();
    for (let round = 0; round < options.rounds; round++) {
      for (const i of roundOrder(items.length, round)) {
        const { system, batch } = items[i] as (typeof items)[number];
        const result = await (pages.get(system) as SystemPage).run({ texts, batch, keep: options.keep });
        (seconds[i] as number[]).push(result.ms / 1000);
        (cpu[i] as number[]).push(result.cpuMs / texts.length);
        if (round === 0) firstRun.set(i, result);
      }
      console.error(`  ${model.key}: round ${round + 1}/${options.rounds} done`);
    }
    const indexOf = (system: SystemKey, batch: number) =>
      items.findIndex((it) => it.system === system && it.batch === batch);
    const reference = firstRun.get(indexOf('ort', 1))?.vectors;
    const rows = items.map(({ system, batch }, i): ThroughputRow => {
      const mine = seconds[i] as number[];
      const ratio = (other: SystemKey) => {
        const j = indexOf(other, batch);
        return j >= 0 && other !== system ? spread(perRunRatios(seconds[j] as number[], mine)) : undefined;
      };
      const result = firstRun.get(i) as RunResult;
      let check = result.found ?? 0;
      if (model.task === 'embed') {
        check =
          reference && result.vectors
            ? Math.max(...result.vectors.map((v, r) => maxAbsDiff(v, reference[r] as number[])))
            : Number.NaN;
      }
      const vsRaw = ratio('ort');
      const vsTransformers = ratio('transformers');
      return {
        system,
        batch,
        seconds: mine.map((s) => Math.round(s * 1000) / 1000),
        textsPerSecond: spread(rates(texts.length, mine)),
        cpuMsPerText: spread(cpu[i] as number[]),
        ...(vsRaw ? { vsRaw } : {}),
        ...(vsTransformers ? { vsTransformers } : {}),
        check,
      };
    });
    return { model, device, texts: texts.length, rounds: options.rounds, threads, pageWorkers, rows, failed };
  } finally {
    for (const page of pages.values()) await page.close();
  }
}
