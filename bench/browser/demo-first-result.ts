/**
 * The demo's first result: the production build (`vite build` with the repo's vite.config.ts, written
 * to bench/.tmp/browser/demo/ so the e2e suite's demo/dist is left alone), served by the bench server
 * (cross-origin isolated; content-hashed /assets/ immutable, everything else revalidated). Each round
 * opens the app on a fresh profile (cold), clicks "Find entities" on the NER tab as soon as it can, and
 * reads when the first entities appeared (`<html data-first-result-ms>`, ms since navigation start, set
 * by demo/src/app/first-result.ts); then, once the service worker is active, the same in a new tab of
 * that browser (warm).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, withTimeout } from './driver.js';
import { type BenchServer, startServer } from './server.js';
import { type Spread, spread } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where the bench builds the demo.
 *
 * @example
 * ```ts
 * serveFolder(DEMO_DIST);
 * ```
 */
export const DEMO_DIST = path.join(root, 'bench', '.tmp', 'browser', 'demo');

/**
 * `pnpm demo:build`'s build, into {@link DEMO_DIST}.
 *
 * @example
 * ```ts
 * await buildDemo();
 * ```
 */
export async function buildDemo(): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: DEMO_DIST, emptyOutDir: true },
  });
}

/**
 * One visit.
 *
 * @example
 * ```ts
 * const late = result.cold.filter((v: DemoVisit) => v.firstResultMs > 2000);
 * ```
 */
export interface DemoVisit {
  /** ms from navigation start to the first entities in the DOM. */
  readonly firstResultMs: number;
  /** ms from navigation start until the app marked itself ready (`data-app-ready`). */
  readonly appReadyMs: number;
  /** The app's own figures: model load (click to ready) and the first `tag()` call. */
  readonly loadMs: number;
  readonly firstRunMs: number;
  readonly backend: string;
  /** Whether a service worker controlled the page. */
  readonly controlled: boolean;
}

/**
 * Cold and warm visits of one URL variant.
 *
 * @example
 * ```ts
 * const { coldFirstResult, warmFirstResult }: DemoResult = results[0];
 * ```
 */
export interface DemoResult {
  readonly variant: string;
  readonly cold: DemoVisit[];
  readonly warm: DemoVisit[];
  readonly coldFirstResult: Spread;
  readonly warmFirstResult: Spread;
}

function parseMs(text: string | null): number {
  if (!text) return Number.NaN;
  const match = /([\d.,]+)\s*(ms|s)\b/.exec(text);
  if (!match) return Number.NaN;
  const value = Number((match[1] as string).replace(/,/g, ''));
  return match[2] === 's' ? value * 1000 : value;
}

async function visit(page: Page, url: string): Promise<DemoVisit> {
  await page.goto(url);
  await page.waitForSelector('html[data-app-ready="true"]', { state: 'attached', timeout: 60_000 });
  const appReadyMs = await page.evaluate(() => performance.now());
  const panel = page.locator('#panel-ner');
  await panel.getByRole('button', { name: 'Find entities' }).click();
  await page.waitForSelector('html[data-first-result-ms]', { state: 'attached', timeout: 180_000 });
  const firstResultMs = Number(await page.getAttribute('html', 'data-first-result-ms'));
  return {
    firstResultMs,
    appReadyMs,
    loadMs: parseMs(await panel.locator('[data-metric="load"]').textContent()),
    firstRunMs: parseMs(await panel.locator('[data-metric="first-run"]').textContent()),
    backend:
      (await panel
        .locator('.backend-report')
        .getAttribute('data-backend')
        .catch(() => null)) ?? 'unknown',
    controlled: await page.evaluate(() => navigator.serviceWorker?.controller != null),
  };
}

/** Waits (bounded) until the service worker is active, as it is when a user comes back later. */
async function serviceWorkerSettled(page: Page): Promise<void> {
  await withTimeout(
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker?.ready;
      const worker = registration?.active;
      if (worker && worker.state !== 'activated') {
        await new Promise<void>((resolve) => worker.addEventListener('statechange', () => resolve()));
      }
    }),
    60_000,
    'service worker activation',
  ).catch((error: unknown) => console.error(`  demo: ${String(error)}`));
}

/**
 * Serves the built demo and measures `rounds` cold + warm visits of each URL variant (`''` is the app
 * as a user opens it; `'?backend=wasm'` skips the WebGPU probe).
 *
 * @example
 * ```ts
 * await buildDemo();
 * const [plain] = await measureDemo(['', '?backend=wasm'], 3);
 * ```
 */
export async function measureDemo(variants: readonly string[], rounds: number): Promise<DemoResult[]> {
  const server: BenchServer = await startServer([
    { prefix: '/', dir: DEMO_DIST },
    { prefix: '/assets/', dir: path.join(DEMO_DIST, 'assets'), caching: 'immutable' },
  ]);
  try {
    const results: DemoResult[] = [];
    for (const variant of variants) {
      const cold: DemoVisit[] = [];
      const warm: DemoVisit[] = [];
      for (let round = 0; round < rounds; round++) {
        const browser = await launchBrowser();
        try {
          const url = `${server.origin}/${variant}#ner`;
          const first = await browser.context.newPage();
          first.on('pageerror', (error) => console.error(`[demo] page error: ${error.message}`));
          cold.push(await visit(first, url));
          await serviceWorkerSettled(first);
          await first.close();
          const second = await browser.context.newPage();
          warm.push(await visit(second, url));
          await second.close();
          console.error(
            `  demo${variant}: cold ${cold.at(-1)?.firstResultMs} ms, warm ${warm.at(-1)?.firstResultMs} ms to first entities`,
          );
        } finally {
          await browser.close();
        }
      }
      results.push({
        variant: variant || '(default)',
        cold,
        warm,
        coldFirstResult: spread(cold.map((v) => v.firstResultMs)),
        warmFirstResult: spread(warm.map((v) => v.firstResultMs)),
      });
    }
    return results;
  } finally {
    await server.close();
  }
}
