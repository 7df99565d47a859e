/** Errors as the user sees them: the code, the message, and what to do about it. */
import { isBertwebError } from '@bertweb/core';
import { h } from './dom.js';

/** What to try next, per error code. */
const HINTS: Readonly<Record<string, string>> = {
  MODEL_NOT_FOUND:
    'A model file is missing. Check the hub id or URL. Hub models without an onnx/ folder must be converted first (see Models & cache).',
  MODEL_INVALID: 'The model files are damaged or not a supported BERT-family ONNX export.',
  TOKENIZER_MISMATCH: 'The tokenizer files do not belong to this model.',
  INPUT_INVALID: 'Check the input text and options.',
  ABORTED: 'Cancelled. Nothing half-downloaded was kept.',
  DISPOSED: 'The model was unloaded; load it again.',
  NETWORK: 'The download failed. Offline? Models that were loaded before still work from the cache.',
  QUOTA: 'Not enough storage. Delete cached models under Models & cache, or request persistent storage.',
  INTEGRITY: 'The downloaded file did not match its checksum; nothing was cached. Try again.',
  WORKER_CRASHED: 'The model worker crashed (often: out of memory). The next action starts a fresh worker.',
  BACKEND_UNAVAILABLE: 'This backend is not available here: choose Auto or WASM.',
  UNSUPPORTED: 'This browser lacks a feature this needs.',
  RUNTIME: 'The model failed while running.',
  INTERNAL: 'A bug in bertweb: please report it with the message below.',
};

/** A normalized error: always a code (`UNKNOWN` for foreign errors). */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly hint: string | undefined;
}

/** Reads code and message from anything thrown. */
export function errorInfo(error: unknown): ErrorInfo {
  if (isBertwebError(error)) return { code: error.code, message: error.message, hint: HINTS[error.code] };
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? String((error as { code: string }).code) : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message, hint: HINTS[code] };
}

/** The alert box shown in a tab: `<div role="alert" data-code="MODEL_NOT_FOUND">`. */
export function errorView(error: unknown, context: string): HTMLElement {
  const info = errorInfo(error);
  return h(
    'div',
    { class: `error${info.code === 'ABORTED' ? ' error-soft' : ''}`, role: 'alert', 'data-code': info.code },
    h('p', {}, h('strong', { class: 'code' }, info.code), ` ${context}: ${info.message}`),
    info.hint ? h('p', { class: 'hint' }, info.hint) : null,
  );
}
