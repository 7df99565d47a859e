/**
 * Diagnosis: where bertweb's time goes at batch 1 and while loading, measured from outside the library
 * (its internals are being redesigned): platform micro-measurements (probe page), traced loads (the
 * pages' `?trace=1` spans of fetch, Cache API, digest and WebAssembly calls, plus the server's request
 * log), zero-delay timer lateness during batch-1 passes, and main-thread CPU profiles (CDP `Profiler`)
 * of bertweb and raw onnxruntime-web doing the same batch-1 pass.
 */
import type { Page } from 'playwright-core';
import { type BenchBrowser, launchBrowser, openSystemPage, type SystemPage, withTimeout } from './driver.js';
import type { BenchModel } from './models.js';
import type { LoadRequest, Span } from './protocol.js';
import type { BenchServer } from './server.js';
import { median } from './stats.js';
import { type SystemKey, systemUrl } from './systems.js';

/**
 * One line of a load timeline, relative to "create".
 *
 * @example
 * ```ts
 * const onnx = trace.timeline.find((e: TimelineEntry) => e.what.includes('.onnx'));
 * ```
 */
export interface TimelineEntry {
  readonly at: number;
  readonly ms: number;
  readonly what: string;
}

/**
 * A traced load.
 *
 * @example
 * ```ts
 * for (const trace of diagnosis.loads) console.log(trace.system, trace.phase, trace.ms);
 * ```
 */
export interface LoadTrace {
  readonly model: string;
  readonly system: SystemKey;
  readonly phase: 'cold' | 'warm';
  readonly ms: number;
  readonly timeline: TimelineEntry[];
}

/**
 * Zero-delay timer lateness during a traced batch-1 pass.
 *
 * @example
 * ```ts
 * const late = (t: TimerTrace) => t.page?.meanMs ?? t.workers?.meanMs;
 * ```
 */
export interface TimerTrace {
  readonly model: string;
  readonly system: SystemKey;
  readonly calls: number;
  readonly perCallMs: number;
  /** The page's and the workers' timer summaries (JSON from trace.ts). */
  readonly page?: Record<string, number>;
  readonly workers?: Record<string, number>;
}

/**
 * Self time of one function (or category) in a CPU profile.
 *
 * @example
 * ```ts
 * const wasm = profile.categories.find((c: ProfileEntry) => c.name.startsWith('ORT wasm'));
 * ```
 */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
}

/**
 * A main-thread CPU profile of one batch-1 pass.
 *
 * @example
 * ```ts
 * const perCall = (p: ProfileTrace) => p.perCallMs;
 * ```
 */
export interface ProfileTrace {
  readonly model: string;
  readonly system: SystemKey;
  readonly calls: number;
  readonly perCallMs: number;
  readonly totalMs: number;
  readonly categories: ProfileEntry[];
  readonly top: ProfileEntry[];
}

/**
 * Raw ORT loads after the runtime was started ahead (`?prewarm=1`), next to plain ones (warm caches).
 *
 * @example
 * ```ts
 * const saved = (p: PrewarmTrace) => p.plainMs - p.prewarmedMs;
 * ```
 */
export interface PrewarmTrace {
  readonly model: string;
  readonly system: SystemKey;
  /** create -> ready, medians of alternating pairs, without and with the runtime started ahead. */
  readonly plainMs: number;
  readonly prewarmedMs: number;
  /** How long starting the runtime took (page open -> data-prewarmed), median. */
  readonly runtimeStartMs: number;
  readonly pairs: number;
}

/**
 * Everything the diagnosis measured.
 *
 * @example
 * ```ts
 * const { probe, loads }: DiagnosisResult = await diagnose(server, models, texts, 2);
 * ```
 */
export interface DiagnosisResult {
  readonly probe: Record<string, number>;
  readonly loads: LoadTrace[];
  readonly prewarm: PrewarmTrace[];
  readonly timers: TimerTrace[];
  readonly profiles: ProfileTrace[];
}

function loadRequest(model: BenchModel): LoadRequest {
  return { url: `/m/${model.folder}/`, modelId: model.folder, task: model.task, dtype: model.dtype, device: 'wasm' };
}

/** Spans worth a line: anything taking 1 ms or more, and every network probe, ONNX, wasm or digest call. */
function interesting(span: Span): boolean {
  return (
    span.end - span.start >= 1 ||
    /HEAD|onnx|WebAssembly|digest|new Worker|setTimeout/.test(span.name) ||
    (span.detail ?? '').includes('404')
  );
}

function timeline(spans: readonly Span[], server: BenchServer, start: number, ms: number): TimelineEntry[] {
  const entries: TimelineEntry[] = spans.filter(interesting).map((s) => ({
    at: Math.round(s.start - start),
    ms: Math.round((s.end - s.start) * 10) / 10,
    what: `${s.name}${s.detail ? ` (${s.detail})` : ''}`,
  }));
  // Large transfers as the server saw them (start to last byte), which the page's spans cannot show.
  for (const r of server.requestsSince(start - 2)) {
    if (r.start > start + ms + 2 || r.bytes < 1_000_000) continue;
    entries.push({
      at: r.start - start,
      ms: r.end - r.start,
      what: `server: ${r.method} ${r.path} ${r.status}, ${(r.bytes / 1e6).toFixed(1)} MB sent`,
    });
  }
  entries.push({ at: Math.round(ms), ms: 0, what: 'ready' });
  return entries.sort((a, b) => a.at - b.at);
}

async function tracedLoads(
  server: BenchServer,
  model: BenchModel,
  system: SystemKey,
  threads: number,
): Promise<LoadTrace[]> {
  const browser = await launchBrowser();
  const out: LoadTrace[] = [];
  try {
    for (const phase of ['cold', 'warm'] as const) {
      const page = await openSystemPage(browser, systemUrl(server.origin, system, threads, true));
      await page.takeSpans(); // drop what the page's own start-up recorded
      const loaded = await page.load(loadRequest(model));
      // Worker spans arrive over a BroadcastChannel every 50 ms.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const spans = await page.takeSpans();
      out.push({
        model: model.key,
        system,
        phase,
        ms: Math.round(loaded.ms),
        timeline: timeline(spans, server, loaded.start, loaded.ms),
      });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

async function prewarmedLoads(
  server: BenchServer,
  model: BenchModel,
  system: SystemKey,
  threads: number,
  pairs = 3,
): Promise<PrewarmTrace> {
  const plain: number[] = [];
  const prewarmed: number[] = [];
  const starts: number[] = [];
  const browser = await launchBrowser();
  try {
    const url = systemUrl(server.origin, system, threads);
    // A first load fills the HTTP and code caches: every timed load below is a warm one.
    const first = await openSystemPage(browser, url);
    await first.load(loadRequest(model));
    await first.close();
    for (let pair = 0; pair < pairs; pair++) {
      const page = await openSystemPage(browser, url);
      plain.push((await page.load(loadRequest(model))).ms);
      await page.close();
      const warmed = await openSystemPage(browser, `${url}&prewarm=1`);
      await warmed.page.waitForSelector('html[data-prewarmed="true"]', { state: 'attached', timeout: 120_000 });
      starts.push(Date.now() - warmed.navigatedAt);
      prewarmed.push((await warmed.load(loadRequest(model))).ms);
      await warmed.close();
    }
  } finally {
    await browser.close();
  }
  return {
    model: model.key,
    system,
    plainMs: Math.round(median(plain)),
    prewarmedMs: Math.round(median(prewarmed)),
    runtimeStartMs: Math.round(median(starts)),
    pairs,
  };
}

function parseSummary(spans: readonly Span[], name: string): Record<string, number> | undefined {
  const span = spans.find((s) => s.name === name);
  return span?.detail ? (JSON.parse(span.detail) as Record<string, number>) : undefined;
}

async function tracedTimers(
  browser: BenchBrowser,
  server: BenchServer,
  model: BenchModel,
  system: SystemKey,
  texts: readonly string[],
  threads: number,
): Promise<TimerTrace> {
  const page = await openSystemPage(browser, systemUrl(server.origin, system, threads, true));
  try {
    await page.load(loadRequest(model));
    await page.run({ texts: texts.slice(0, 8), batch: 1, keep: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await page.takeSpans();
    const result = await page.run({ texts, batch: 1, keep: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const spans = await page.takeSpans();
    const pageTimers = parseSummary(spans, 'setTimeout(0) lateness (page)');
    const workerTimers = parseSummary(spans, 'setTimeout(0) lateness (workers)');
    return {
      model: model.key,
      system,
      calls: result.calls,
      perCallMs: result.ms / result.calls,
      ...(pageTimers ? { page: pageTimers } : {}),
      ...(workerTimers ? { workers: workerTimers } : {}),
    };
  } finally {
    await page.close();
  }
}

interface CdpProfile {
  readonly nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  readonly samples: number[];
  readonly startTime: number;
  readonly endTime: number;
}

function category(frame: { functionName: string; url: string }): string {
  if (frame.functionName === '(idle)') return 'idle (waiting: timers, worker messages)';
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  if (frame.functionName === '(program)') return 'browser native (program)';
  if (frame.url.startsWith('wasm://') || /^(\$|wasm-function)/.test(frame.functionName)) return 'ORT wasm (kernels)';
  if (/ort[.-]/.test(frame.url)) return 'ORT JS';
  if (frame.url.includes('/assets/')) return 'bertweb + page JS';
  return frame.url ? 'other JS' : 'native / builtins';
}

function aggregate(profile: CdpProfile): { categories: ProfileEntry[]; top: ProfileEntry[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const perSample = profile.samples.length > 0 ? totalMs / profile.samples.length : 0;
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const cat = category(frame);
    categories.set(cat, (categories.get(cat) ?? 0) + perSample);
    if (cat === 'bertweb + page JS' || cat === 'ORT JS' || cat === 'native / builtins' || cat === 'other JS') {
      const file =
        frame.url
          .split('/')
          .pop()
          ?.replace(/-[\w-]{8}\.js$/, '.js') ?? '';
      const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
      functions.set(key, (functions.get(key) ?? 0) + perSample);
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  return { categories: sorted(categories), top: sorted(functions).slice(0, 15), totalMs };
}

async function profiled(
  browser: BenchBrowser,
  server: BenchServer,
  model: BenchModel,
  system: SystemKey,
  texts: readonly string[],
  threads: number,
): Promise<ProfileTrace> {
  const page: SystemPage = await openSystemPage(browser, systemUrl(server.origin, system, threads));
  try {
    await page.load(loadRequest(model));
    await page.run({ texts: texts.slice(0, 16), batch: 1, keep: 0 });
    const cdp = await browser.context.newCDPSession(page.page as Page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    const result = await page.run({ texts, batch: 1, keep: 0 });
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CdpProfile };
    await cdp.detach();
    const { categories, top, totalMs } = aggregate(profile);
    return {
      model: model.key,
      system,
      calls: result.calls,
      perCallMs: result.ms / result.calls,
      totalMs: Math.round(totalMs),
      categories,
      top,
    };
  } finally {
    await page.close();
  }
}

/**
 * Runs every diagnosis measurement.
 *
 * @example
 * ```ts
 * const diagnosis = await diagnose(server, [models['ner-q8'], models['tiny-q8']], questions, factRu, 2);
 * ```
 */
export async function diagnose(
  server: BenchServer,
  models: readonly BenchModel[],
  texts: { readonly embed: readonly string[]; readonly tag: readonly string[] },
  threads: number,
): Promise<DiagnosisResult> {
  const probeBrowser = await launchBrowser();
  let probe: Record<string, number>;
  try {
    const page = await probeBrowser.context.newPage();
    await page.goto(`${server.origin}/probe.html`);
    await page.waitForSelector('html[data-bench-ready="true"]', { state: 'attached' });
    probe = await withTimeout(
      page.evaluate(() =>
        (window as unknown as { probe: { run(mb: number): Promise<Record<string, number>> } }).probe.run(108),
      ),
      300_000,
      'probe',
    );
  } finally {
    await probeBrowser.close();
  }
  console.error('  diagnose: probe done');

  const loads: LoadTrace[] = [];
  for (const model of models) {
    for (const system of ['bertweb', 'bertweb-worker', 'ort'] as const) {
      loads.push(...(await tracedLoads(server, model, system, threads)));
    }
  }
  console.error('  diagnose: traced loads done');

  const prewarm: PrewarmTrace[] = [];
  for (const model of models) {
    for (const system of ['ort', 'ort-wasm'] as const)
      prewarm.push(await prewarmedLoads(server, model, system, threads));
  }
  console.error('  diagnose: prewarmed loads done');

  const timers: TimerTrace[] = [];
  const profiles: ProfileTrace[] = [];
  const browser = await launchBrowser();
  try {
    for (const model of models) {
      const input = (model.task === 'embed' ? texts.embed : texts.tag).slice(0, 64);
      for (const system of ['bertweb', 'bertweb-worker'] as const) {
        timers.push(await tracedTimers(browser, server, model, system, input, threads));
      }
      for (const system of ['bertweb', 'ort'] as const) {
        profiles.push(await profiled(browser, server, model, system, input, threads));
      }
    }
  } finally {
    await browser.close();
  }
  console.error('  diagnose: timers and profiles done');
  return { probe, loads, prewarm, timers, profiles };
}
