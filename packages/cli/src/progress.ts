/** Download progress as JSON lines on stderr (diagnostics: stdout carries only results). */
import type { ProgressCallback } from '@bertweb/core';
import type { CommandIO } from './io.js';

/** Files at least this large report their progress in steps; smaller ones only when done. */
const STEPPED_BYTES = 1 << 20;
/** Steps of a download of unknown size. */
const UNKNOWN_SIZE_STEP = 64 << 20;

/**
 * A progress callback writing `{"progress": {"status", "file", "loaded", "total"}}` lines on stderr: one
 * `done` line per file (with `"cached": true` when it came from the cache) and, for files of 1 MiB or
 * more, a `progress` line at every tenth of the file (every 64 MiB when its size is unknown).
 *
 * @example
 * ```ts
 * const files = resolveSource('DeepPavlov/rubert-base-cased', { onProgress: stderrProgress(io) });
 * // stderr: {"progress":{"status":"progress","file":"pytorch_model.bin","loaded":71145679,"total":711456796}}
 * ```
 */
export function stderrProgress(io: CommandIO): ProgressCallback {
  const step = new Map<string, number>();
  return (event) => {
    const { status, file, loaded, total } = event;
    const line = () =>
      io.err(JSON.stringify({ progress: { status, file, loaded, total, ...(event.cached ? { cached: true } : {}) } }));
    if (status === 'done') {
      step.delete(file);
      line();
      return;
    }
    if (status !== 'progress' || (total > 0 && total < STEPPED_BYTES)) return;
    const reached = total > 0 ? Math.floor((loaded * 10) / total) : Math.floor(loaded / UNKNOWN_SIZE_STEP);
    if (reached <= (step.get(file) ?? -1)) return;
    step.set(file, reached);
    line();
  };
}
