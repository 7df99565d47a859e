/**
 * Chromium through playwright-core: Debian's /usr/bin/chromium with the e2e launch flags, a fresh
 * user-data-dir per browser (an empty cache: a cold start), and typed access to a system page's
 * `window.bench` ({@link PageApi}).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/support/options.js';
import type { LoadRequest, LoadResult, PageApi, PageInfo, RunRequest, RunResult, Span } from './protocol.js';

/**
 * A browser on its own fresh profile.
 *
 * @example
 * ```ts
 * const browser: BenchBrowser = await launchBrowser();
 * ```
 */
export interface BenchBrowser {
  readonly context: BrowserContext;
  readonly profileDir: string;
  /** Chromium's version string (e.g. `156.0.8078.114`). */
  readonly version: string;
  close(): Promise<void>;
}

/**
 * Launches Chromium on a new, empty profile (deleted on close).
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const page = await browser.context.newPage();
 * await browser.close();
 * ```
 */
export async function launchBrowser(): Promise<BenchBrowser> {
  const profileDir = mkdtempSync(path.join(tmpdir(), 'bertweb-bench-profile-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 800 },
  });
  const version = context.browser()?.version() ?? (await versionFromPage(context));
  return {
    context,
    profileDir,
    version,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

async function versionFromPage(context: BrowserContext): Promise<string> {
  const page = context.pages()[0] ?? (await context.newPage());
  const ua = await page.evaluate(() => navigator.userAgent);
  return /Chrome\/([\d.]+)/.exec(ua)?.[1] ?? 'unknown';
}

/**
 * Rejects after `ms` (a page that hangs must fail the run, not stall it).
 *
 * @example
 * ```ts
 * await withTimeout(page.goto(url), 60_000, 'navigation');
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A system page, opened and ready.
 *
 * @example
 * ```ts
 * const page: SystemPage = await openSystemPage(browser, url);
 * ```
 */
export interface SystemPage {
  readonly page: Page;
  /** Epoch ms just before navigation started. */
  readonly navigatedAt: number;
  info(): Promise<PageInfo>;
  load(request: LoadRequest): Promise<LoadResult>;
  /** A timed pass, plus the renderer process's CPU time during it (page, its workers and ORT's threads). */
  run(request: RunRequest): Promise<RunResult & { readonly cpuMs: number }>;
  takeSpans(): Promise<Span[]>;
  close(): Promise<void>;
}

/** Per-call limits: loading 400 MB on SwiftShader WebGPU or a full pass on a loaded machine take minutes. */
const LOAD_TIMEOUT_MS = 10 * 60_000;
const RUN_TIMEOUT_MS = 15 * 60_000;

type BenchWindow = { bench: PageApi };

/**
 * Opens `url` (a system page of the bench server) in a new tab and waits until it has installed
 * `window.bench`. Page errors and console errors go to stderr, prefixed with the page's name.
 *
 * @example
 * ```ts
 * const page = await openSystemPage(browser, `${origin}/bertweb.html?threads=2`);
 * const loaded = await page.load({ url: '/m/ner-ru-tiny/', modelId: 'ner-ru-tiny', task: 'tag', dtype: 'q8', device: 'wasm' });
 * ```
 */
export async function openSystemPage(browser: BenchBrowser, url: string): Promise<SystemPage> {
  const page = await browser.context.newPage();
  const label = new URL(url).pathname.replace(/^\//, '');
  page.on('pageerror', (error) => console.error(`[${label}] page error: ${error.message}`));
  page.on('console', (message) => {
    // 404s are expected: libraries probe for optional files (crf.json, sentence-transformers configs).
    if (message.type() !== 'error' || /status of 404/.test(message.text())) return;
    console.error(`[${label}] console: ${message.text().slice(0, 500)}`);
  });
  const navigatedAt = Date.now();
  await page.goto(url);
  await page.waitForSelector('html[data-bench-ready="true"]', { state: 'attached', timeout: 60_000 });
  const within = <T>(promise: Promise<T>, ms: number, what: string) => withTimeout(promise, ms, `${label}: ${what}`);
  // CPU time of the renderer (CDP Performance.getMetrics ProcessTime): unlike wall time, it barely moves
  // when other processes compete for the cores.
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const processSeconds = async () =>
    (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ProcessTime')?.value ?? Number.NaN;
  return {
    page,
    navigatedAt,
    info: () =>
      within(
        page.evaluate(() => (window as unknown as BenchWindow).bench.info()),
        60_000,
        'info',
      ),
    load: (request) =>
      within(
        page.evaluate((r) => (window as unknown as BenchWindow).bench.load(r), request),
        LOAD_TIMEOUT_MS,
        'load',
      ),
    async run(request) {
      // Only the front tab runs at full speed in a real browser (background tabs get throttled timers).
      await page.bringToFront();
      const before = await processSeconds();
      const result = await within(
        page.evaluate((r) => (window as unknown as BenchWindow).bench.run(r), request),
        RUN_TIMEOUT_MS,
        'run',
      );
      return { ...result, cpuMs: ((await processSeconds()) - before) * 1000 };
    },
    takeSpans: () =>
      within(
        page.evaluate(() => (window as unknown as BenchWindow).bench.takeSpans()),
        60_000,
        'spans',
      ),
    async close() {
      await within(
        page.evaluate(() => (window as unknown as BenchWindow).bench.dispose()),
        60_000,
        'dispose',
      ).catch(() => undefined);
      await page.close().catch(() => undefined);
    },
  };
}
