/** Human-readable numbers for the UI. */

/** Bytes with binary prefixes: `1.5 MB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Milliseconds as `850 ms` or `2.4 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A score in [0, 1] as `0.973`. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '?';
  // Tiny probabilities (e.g. p(start) * p(end) over a long context) stay readable.
  return score !== 0 && Math.abs(score) < 0.001 ? score.toExponential(1) : score.toFixed(3);
}

/** Megabytes (10^6, as the catalog states them) as `≈178 MB`. */
export function formatApproxMB(mb: number): string {
  return mb >= 1000 ? `≈${(mb / 1000).toFixed(1)} GB` : `≈${mb} MB`;
}
