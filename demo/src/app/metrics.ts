/** Load time, first-run time, per-call latency and throughput of the loaded model. */
import { h, replace } from './dom.js';
import { formatMs } from './format.js';

/** One measured call. */
export interface CallMeasure {
  readonly ms: number;
  /** Texts (or pairs) processed by the call. */
  readonly items: number;
  /** Characters of input, for a size-independent rate. */
  readonly chars: number;
}

/** The metrics line of a tab. */
export class Metrics {
  readonly element: HTMLElement;
  #loadMs: number | undefined;
  #firstResultMs: number | undefined;
  #calls: CallMeasure[] = [];

  constructor() {
    this.element = h('dl', { class: 'metrics', 'aria-label': 'Timings' });
  }

  /** A new model: forget previous calls. */
  loaded(ms: number): void {
    this.#loadMs = ms;
    this.#calls = [];
    this.#render();
  }

  clear(): void {
    this.#loadMs = undefined;
    this.#firstResultMs = undefined;
    this.#calls = [];
    this.#render();
  }

  /** The page's first result, in ms since navigation (see first-result.ts). */
  firstResult(ms: number): void {
    this.#firstResultMs = ms;
    this.#render();
  }

  record(call: CallMeasure): void {
    this.#calls.push(call);
    this.#render();
  }

  #render(): void {
    const items: [string, string, string][] = [];
    if (this.#loadMs !== undefined) items.push(['load', 'Load', formatMs(this.#loadMs)]);
    const [first] = this.#calls;
    const last = this.#calls[this.#calls.length - 1];
    if (first) items.push(['first-run', 'First run', formatMs(first.ms)]);
    if (this.#firstResultMs !== undefined) {
      items.push(['first-result', 'First result since page load', formatMs(this.#firstResultMs)]);
    }
    if (last) {
      items.push(['latency', 'Last call', formatMs(last.ms)]);
      const perSecond = (n: number) => (last.ms > 0 ? (n * 1000) / last.ms : 0);
      items.push([
        'throughput',
        'Throughput',
        `${perSecond(last.items).toFixed(1)} texts/s · ${Math.round(perSecond(last.chars)).toLocaleString('en')} chars/s`,
      ]);
      if (this.#calls.length > 1) {
        const sorted = this.#calls.map((c) => c.ms).sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
        items.push(['median', `Median of ${sorted.length}`, formatMs(median)]);
      }
    }
    replace(
      this.element,
      ...items.map(([key, label, value]) => h('div', {}, h('dt', {}, label), h('dd', { 'data-metric': key }, value))),
    );
    this.element.hidden = items.length === 0;
  }
}
