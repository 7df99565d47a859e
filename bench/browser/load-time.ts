/**
 * Load time, "create" to "ready": each system loads the model in a browser on a fresh profile (cold:
 * empty HTTP cache, empty Cache API, no compiled-code cache), then again in a new tab of the same
 * browser (warm: whatever the first load left in the caches). Rounds rotate the system order; every
 * (system, round) gets its own browser. The server's log says which requests each load made.
 */
import { launchBrowser, openSystemPage } from './driver.js';
import type { BenchModel } from './models.js';
import type { LoadResult } from './protocol.js';
import type { BenchServer, RequestRecord } from './server.js';
import { perRunRatios, roundOrder, type Spread, spread } from './stats.js';
import { type SystemKey, systemUrl } from './systems.js';

/**
 * What a load asked the server for.
 *
 * @example
 * ```ts
 * const probes = (s: RequestSummary) => s.heads + s.notFound;
 * ```
 */
export interface RequestSummary {
  readonly requests: number;
  readonly heads: number;
  readonly notFound: number;
  readonly notModified: number;
  /** Body bytes the server sent. */
  readonly bytes: number;
  /** `HEAD path` / `GET path 404` entries, the probes for files that may not exist. */
  readonly probes: string[];
}

/**
 * One system's cold and warm loads of one model.
 *
 * @example
 * ```ts
 * const coldMedian = (row: LoadRow) => row.cold.median;
 * ```
 */
export interface LoadRow {
  readonly system: SystemKey;
  readonly cold: Spread;
  readonly warm: Spread;
  readonly coldMs: number[];
  readonly warmMs: number[];
  /** Per-round ratio against raw onnxruntime-web (this system's ms / raw's ms). */
  readonly coldVsRaw?: Spread;
  readonly warmVsRaw?: Spread;
  /** Requests of the last round's loads. */
  readonly coldRequests: RequestSummary;
  readonly warmRequests: RequestSummary;
  /** Failures (a round that failed is left out of the figures). */
  readonly errors: string[];
}

/**
 * Load times of one model.
 *
 * @example
 * ```ts
 * const bertweb = result.rows.find((r) => r.system === 'bertweb');
 * ```
 */
export interface LoadTimeResult {
  readonly model: BenchModel;
  readonly rounds: number;
  readonly rows: LoadRow[];
}

/**
 * Summarizes the requests that arrived during a load.
 *
 * @example
 * ```ts
 * summarizeRequests(server.requestsSince(loaded.start).filter((r) => r.start <= loaded.start + loaded.ms));
 * ```
 */
export function summarizeRequests(records: readonly RequestRecord[]): RequestSummary {
  return {
    requests: records.length,
    heads: records.filter((r) => r.method === 'HEAD').length,
    notFound: records.filter((r) => r.status === 404).length,
    notModified: records.filter((r) => r.status === 304).length,
    bytes: records.reduce((n, r) => n + r.bytes, 0),
    probes: records
      .filter((r) => r.method === 'HEAD' || r.status === 404)
      .map((r) => `${r.method} ${r.path} ${r.status}`),
  };
}

function during(server: BenchServer, loaded: LoadResult): RequestRecord[] {
  // The page's clock and the server's are the same machine's; 2 ms of slack for rounding.
  return server.requestsSince(loaded.start - 2).filter((r) => r.start <= loaded.start + loaded.ms + 2);
}

/**
 * Cold and warm loads of one model on every system.
 *
 * @example
 * ```ts
 * const result = await measureLoadTimes(server, models['ner-q8'], ['bertweb', 'ort'], { threads: 2, rounds: 3 });
 * ```
 */
export async function measureLoadTimes(
  server: BenchServer,
  model: BenchModel,
  systems: readonly SystemKey[],
  options: { readonly threads: number; readonly rounds: number },
): Promise<LoadTimeResult> {
  const cold = systems.map(() => [] as number[]);
  const warm = systems.map(() => [] as number[]);
  const coldRequests: RequestSummary[] = [];
  const warmRequests: RequestSummary[] = [];
  const errors = systems.map(() => [] as string[]);
  const request = {
    url: `/m/${model.folder}/`,
    modelId: model.folder,
    task: model.task,
    dtype: model.dtype,
    device: 'wasm',
  } as const;
  for (let round = 0; round < options.rounds; round++) {
    for (const i of roundOrder(systems.length, round)) {
      const system = systems[i] as SystemKey;
      const browser = await launchBrowser();
      try {
        const url = systemUrl(server.origin, system, options.threads);
        const first = await openSystemPage(browser, url);
        const coldLoad = await first.load(request);
        (cold[i] as number[]).push(coldLoad.ms);
        coldRequests[i] = summarizeRequests(during(server, coldLoad));
        await first.close();
        const second = await openSystemPage(browser, url);
        const warmLoad = await second.load(request);
        (warm[i] as number[]).push(warmLoad.ms);
        warmRequests[i] = summarizeRequests(during(server, warmLoad));
        await second.close();
        console.error(
          `  load ${model.key} ${system}: cold ${coldLoad.ms.toFixed(0)} ms, warm ${warmLoad.ms.toFixed(0)} ms`,
        );
      } catch (error) {
        const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        (errors[i] as string[]).push(`round ${round + 1}: ${message}`);
        console.error(`  load ${model.key} ${system}: FAILED ${message}`);
      } finally {
        await browser.close();
      }
    }
  }
  const raw = systems.indexOf('ort');
  const rows = systems.map((system, i): LoadRow => {
    const vs = (mine: number[], all: number[][]) =>
      raw >= 0 && raw !== i && mine.length > 0 && mine.length === (all[raw] as number[]).length
        ? spread(perRunRatios(mine, all[raw] as number[]))
        : undefined;
    const none: Spread = { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
    const empty: RequestSummary = { requests: 0, heads: 0, notFound: 0, notModified: 0, bytes: 0, probes: [] };
    const coldVsRaw = vs(cold[i] as number[], cold);
    const warmVsRaw = vs(warm[i] as number[], warm);
    return {
      system,
      cold: (cold[i] as number[]).length > 0 ? spread(cold[i] as number[]) : none,
      warm: (warm[i] as number[]).length > 0 ? spread(warm[i] as number[]) : none,
      coldMs: (cold[i] as number[]).map(Math.round),
      warmMs: (warm[i] as number[]).map(Math.round),
      ...(coldVsRaw ? { coldVsRaw } : {}),
      ...(warmVsRaw ? { warmVsRaw } : {}),
      coldRequests: coldRequests[i] ?? empty,
      warmRequests: warmRequests[i] ?? empty,
      errors: errors[i] as string[],
    };
  });
  return { model, rounds: options.rounds, rows };
}
