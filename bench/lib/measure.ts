/** Timing helpers shared by the benchmarks. */
import os from 'node:os';

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** One system under test: a name for the table, an optional note, one full run of the workload. */
export interface System {
  readonly name: string;
  readonly note?: string;
  readonly run: () => Promise<unknown>;
}

/**
 * Seconds per run of every function, after one warm-up call each. Runs are interleaved with a rotating
 * start (A B C, B C A, ...), so that load from other processes on a shared machine falls on all alike.
 */
export async function interleaved(runs: readonly (() => Promise<unknown>)[], rounds: number): Promise<number[][]> {
  for (const run of runs) await run();
  const seconds: number[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const i = (k + r) % runs.length;
      const started = performance.now();
      await (runs[i] as () => Promise<unknown>)();
      (seconds[i] as number[]).push((performance.now() - started) / 1000);
    }
  }
  return seconds;
}

/** Machine and library versions for a results table. */
export function environment(onnxruntimeWeb: string | undefined, transformersJs: string) {
  return {
    node: process.version,
    onnxruntimeWeb: onnxruntimeWeb ?? 'unknown',
    transformersJs,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
  };
}
