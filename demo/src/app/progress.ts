/**
 * Per-file download progress: a bar, bytes, speed, and whether the file came from the cache; and, when a
 * checkpoint without ONNX files is converted at load time (`convert` events), a conversion stage.
 */
import { DTYPE_FILES, type ProgressEvent } from '@bertweb/core';
import { h, replace } from './dom.js';
import { formatBytes, formatMs } from './format.js';

/** `onnx/model_quantized.onnx` -> `q8`: which dtype a conversion writes, from the ONNX file it names. */
const DTYPE_OF_FILE = new Map(Object.entries(DTYPE_FILES).map(([dtype, file]) => [file, dtype]));

/** The conversion stage of a load: one bar for the whole conversion (its events carry a fraction). */
interface ConvertRow {
  readonly item: HTMLLIElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLSpanElement;
  readonly started: number;
  dtype: string | undefined;
  fraction: number;
  done: boolean;
}

interface FileRow {
  readonly item: HTMLLIElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLSpanElement;
  started: number;
  loaded: number;
  total: number;
  done: boolean;
}

/** The progress list of one model load. */
export class DownloadProgress {
  readonly element: HTMLElement;
  readonly #list: HTMLUListElement;
  readonly #summary: HTMLParagraphElement;
  readonly #rows = new Map<string, FileRow>();
  #convert: ConvertRow | undefined;
  /** Events seen in this load (tests and the summary read it). */
  events = 0;
  /** After `finish`: late events (a cancelled load's worker may still report) are ignored. */
  #closed = false;

  constructor() {
    this.#list = h('ul', { class: 'files' });
    this.#summary = h('p', { class: 'progress-summary', 'aria-live': 'polite' });
    this.element = h('div', { class: 'progress', hidden: true }, this.#summary, this.#list);
  }

  /** Clears the list for a new load. */
  reset(): void {
    this.#rows.clear();
    this.#convert = undefined;
    this.events = 0;
    this.#closed = false;
    replace(this.#list);
    this.#summary.textContent = '';
    this.element.hidden = true;
  }

  /** Shows the outcome line (`ready`, `cancelled`, ...). */
  finish(message: string): void {
    this.#closed = true;
    this.#summary.textContent = message;
    this.element.dataset.state = 'finished';
  }

  /** Handles one event from the worker. */
  onEvent(event: ProgressEvent): void {
    if (this.#closed) return;
    this.events++;
    this.element.hidden = false;
    this.element.dataset.state = 'loading';
    if (event.status === 'ready') return;
    if (event.status === 'convert') {
      this.#onConvert(event);
      return;
    }
    const row = this.#row(event.file);
    row.loaded = Math.max(row.loaded, event.loaded);
    if (event.total > 0) row.total = event.total;
    if (event.status === 'done') row.done = true;
    if (row.total > 0) {
      row.bar.max = row.total;
      row.bar.value = Math.min(row.loaded, row.total);
    } else if (row.done) {
      row.bar.max = 1;
      row.bar.value = 1;
    } else {
      row.bar.removeAttribute('value'); // indeterminate
    }
    const seconds = (performance.now() - row.started) / 1000;
    const speed = !event.cached && seconds > 0.05 && row.loaded > 0 ? ` · ${formatBytes(row.loaded / seconds)}/s` : '';
    const size = row.total > 0 ? `${formatBytes(row.loaded)} / ${formatBytes(row.total)}` : formatBytes(row.loaded);
    row.text.textContent = `${size}${speed}${event.cached ? ' · from cache' : ''}${row.done ? ' · done' : ''}`;
    row.item.dataset.status = row.done ? 'done' : event.status;
    if (event.cached) row.item.dataset.cached = 'true';
    this.#summarize();
  }

  /** Converting (fraction 0..1): `Converting to q8… 40%`, then `Converted to q8 in 1.2 s`. */
  #onConvert(event: ProgressEvent): void {
    const row = this.#convertRow();
    row.dtype ??= DTYPE_OF_FILE.get(event.file);
    const fraction = Math.max(row.fraction, Math.min(1, Math.max(0, event.fraction ?? 0)));
    row.fraction = fraction;
    row.bar.value = fraction;
    row.item.dataset.fraction = fraction.toFixed(3);
    const target = row.dtype ? ` to ${row.dtype}` : '';
    if (fraction >= 1 && !row.done) {
      row.done = true;
      const ms = performance.now() - row.started;
      row.item.dataset.status = 'done';
      row.item.dataset.ms = ms.toFixed(0);
      row.text.textContent = `Converted${target} in ${formatMs(ms)}`;
    } else if (!row.done) {
      row.text.textContent = `Converting${target}… ${Math.floor(fraction * 100)}%`;
    }
    if (row.dtype) row.item.dataset.dtype = row.dtype;
    this.#summarize();
  }

  #summarize(): void {
    const convert = this.#convert;
    if (convert && !convert.done) {
      this.#summary.textContent = convert.text.textContent ?? '';
      return;
    }
    const files = [...this.#rows.values()];
    const finished = files.filter((r) => r.done).length;
    this.#summary.textContent = `Loading: ${finished} of ${files.length} files${convert ? ' · converted' : ''}`;
  }

  #convertRow(): ConvertRow {
    if (!this.#convert) {
      const bar = h('progress', { max: 1, value: 0, 'aria-label': 'conversion to ONNX' });
      const text = h('span', { class: 'bytes' });
      const item = h(
        'li',
        { class: 'convert', 'data-stage': 'convert', 'data-status': 'convert' },
        h('code', { title: 'PyTorch / safetensors checkpoint converted to ONNX in this page' }, 'conversion to ONNX'),
        bar,
        text,
      );
      this.#list.append(item);
      this.#convert = { item, bar, text, started: performance.now(), dtype: undefined, fraction: 0, done: false };
    }
    return this.#convert;
  }

  #row(file: string): FileRow {
    let row = this.#rows.get(file);
    if (!row) {
      const bar = h('progress', { 'aria-label': `download of ${file}` });
      const text = h('span', { class: 'bytes' });
      const item = h('li', { 'data-file': file }, h('code', {}, file), bar, text);
      this.#list.append(item);
      row = { item, bar, text, started: performance.now(), loaded: 0, total: 0, done: false };
      this.#rows.set(file, row);
    }
    return row;
  }
}
