/**
 * Peak JavaScript memory of a page and its workers while something runs, sampled through the Chrome
 * DevTools Protocol (`Runtime.getHeapUsage` on every page and worker target of the page's browser
 * context). The model worker converts and runs the model, so its figure is the one that matters; the
 * page's is printed beside it. `backing` counts ArrayBuffer backing stores, where tensor bytes live.
 *
 * Workers are reached with non-flattened `Target.attachToTarget` sessions (Playwright's CDP sessions
 * cannot address child sessions), so sampling adds no instrumentation to the app.
 */
import type { CDPSession, Page } from '@playwright/test';

interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
  readonly browserContextId?: string;
}

interface HeapUsage {
  readonly usedSize: number;
  readonly totalSize: number;
  readonly backingStorageSize?: number;
}

/** Peak of one target over the sampling. */
export interface TargetPeak {
  readonly type: string;
  readonly url: string;
  /** Largest `usedSize` (V8 heap in use), bytes. */
  readonly used: number;
  /** Largest `usedSize + backingStorageSize` (heap plus ArrayBuffers), bytes. */
  readonly usedWithBuffers: number;
}

/** One sample of one target. */
export interface HeapSample {
  /** `Date.now()` when the sample came back. */
  readonly time: number;
  readonly targetId: string;
  readonly used: number;
  readonly usedWithBuffers: number;
}

/** What {@link HeapSampler.stop} returns. */
export interface HeapPeaks {
  readonly samples: number;
  readonly targets: readonly (TargetPeak & { readonly targetId: string })[];
  /** Largest sum over all targets of heap plus ArrayBuffers at one sample, bytes. */
  readonly total: number;
  /** Every sample, for peaks over a time window ({@link peakBetween}). */
  readonly series: readonly HeapSample[];
}

/**
 * The peak of one target between two `Date.now()` times (e.g. the conversion stage), `undefined` when
 * no sample fell inside.
 *
 * @example
 * ```ts
 * peakBetween(peaks, worker.targetId, start, end); // { used, usedWithBuffers, samples }
 * ```
 */
export function peakBetween(
  peaks: HeapPeaks,
  targetId: string,
  from: number,
  to: number,
): { readonly used: number; readonly usedWithBuffers: number; readonly samples: number } | undefined {
  const inside = peaks.series.filter((s) => s.targetId === targetId && s.time >= from && s.time <= to);
  if (inside.length === 0) return undefined;
  return {
    used: Math.max(...inside.map((s) => s.used)),
    usedWithBuffers: Math.max(...inside.map((s) => s.usedWithBuffers)),
    samples: inside.length,
  };
}

/** Samples heap usage every `intervalMs` until {@link stop}. */
export class HeapSampler {
  readonly #cdp: CDPSession;
  readonly #contextId: string;
  readonly #sessions = new Map<string, { sessionId: string; info: TargetInfo }>();
  readonly #peaks = new Map<string, { type: string; url: string; used: number; usedWithBuffers: number }>();
  readonly #series: HeapSample[] = [];
  readonly #pending = new Map<string, (value: unknown) => void>();
  #nextId = 1;
  #samples = 0;
  #total = 0;
  #running = true;
  #loop: Promise<void> = Promise.resolve();

  private constructor(cdp: CDPSession, contextId: string) {
    this.#cdp = cdp;
    this.#contextId = contextId;
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      const { sessionId, message } = event as { sessionId: string; message: string };
      const parsed = JSON.parse(message) as { id?: number; result?: unknown; error?: unknown };
      if (parsed.id === undefined) return;
      const key = `${sessionId}:${parsed.id}`;
      this.#pending.get(key)?.(parsed.error ? undefined : parsed.result);
      this.#pending.delete(key);
    });
  }

  /** Starts sampling the page's browser context. */
  static async start(page: Page, intervalMs = 20): Promise<HeapSampler> {
    const browser = page.context().browser();
    if (!browser) throw new Error('HeapSampler needs a launched browser');
    const cdp = await browser.newBrowserCDPSession();
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    const self = targetInfos.find((t) => t.type === 'page' && t.url === page.url());
    if (!self?.browserContextId) throw new Error(`no CDP page target for ${page.url()}`);
    const sampler = new HeapSampler(cdp, self.browserContextId);
    await sampler.#sample();
    sampler.#loop = (async () => {
      while (sampler.#running) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        await sampler.#sample().catch(() => undefined);
      }
    })();
    return sampler;
  }

  /** Stops sampling and returns the peaks. */
  async stop(): Promise<HeapPeaks> {
    this.#running = false;
    await this.#loop;
    await this.#sample().catch(() => undefined);
    await this.#cdp.detach().catch(() => undefined);
    return {
      samples: this.#samples,
      targets: [...this.#peaks.entries()]
        .map(([targetId, peak]) => ({ targetId, ...peak }))
        .sort((a, b) => b.usedWithBuffers - a.usedWithBuffers),
      total: this.#total,
      series: this.#series,
    };
  }

  async #sample(): Promise<void> {
    const { targetInfos } = (await this.#cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    const mine = targetInfos.filter(
      (t) => (t.type === 'page' || t.type === 'worker') && t.browserContextId === this.#contextId,
    );
    for (const info of mine) {
      if (this.#sessions.has(info.targetId)) continue;
      const attached = (await this.#cdp
        .send('Target.attachToTarget', { targetId: info.targetId, flatten: false })
        .catch(() => undefined)) as { sessionId: string } | undefined;
      if (attached) this.#sessions.set(info.targetId, { sessionId: attached.sessionId, info });
    }
    const live = new Set(mine.map((t) => t.targetId));
    const usages = await Promise.all(
      [...this.#sessions.entries()]
        .filter(([id]) => live.has(id))
        .map(async ([id, { sessionId, info }]) => ({ id, info, usage: await this.#heapUsage(sessionId) })),
    );
    let sum = 0;
    const time = Date.now();
    for (const { id, info, usage } of usages) {
      if (!usage) continue;
      const withBuffers = usage.usedSize + (usage.backingStorageSize ?? 0);
      this.#series.push({ time, targetId: id, used: usage.usedSize, usedWithBuffers: withBuffers });
      sum += withBuffers;
      const peak = this.#peaks.get(id) ?? { type: info.type, url: info.url, used: 0, usedWithBuffers: 0 };
      peak.used = Math.max(peak.used, usage.usedSize);
      peak.usedWithBuffers = Math.max(peak.usedWithBuffers, withBuffers);
      this.#peaks.set(id, peak);
    }
    this.#total = Math.max(this.#total, sum);
    this.#samples++;
  }

  /** `Runtime.getHeapUsage` through a non-flattened session; `undefined` if the target went away. */
  async #heapUsage(sessionId: string): Promise<HeapUsage | undefined> {
    const id = this.#nextId++;
    const key = `${sessionId}:${id}`;
    const result = new Promise<unknown>((resolve) => {
      this.#pending.set(key, resolve);
      setTimeout(() => {
        this.#pending.delete(key);
        resolve(undefined);
      }, 2000);
    });
    await this.#cdp
      .send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }),
      })
      .catch(() => undefined);
    return (await result) as HeapUsage | undefined;
  }
}

/** `12.3 MB` (10^6 bytes). */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
