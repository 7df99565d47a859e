/**
 * When the page showed its first result: marked once per page load as a `performance.mark` named
 * {@link FIRST_RESULT_MARK} and as `<html data-first-result-ms>` (ms since navigation start), so the
 * browser benchmark (bench/browser) and anyone with DevTools can read navigation-to-first-result.
 */

/**
 * Name of the performance mark.
 *
 * @example
 * ```ts
 * performance.getEntriesByName(FIRST_RESULT_MARK)[0]?.startTime;
 * ```
 */
export const FIRST_RESULT_MARK = 'bertweb:first-result';

let firstAt: number | undefined;

/**
 * Records the first result (later calls change nothing) and returns its time in ms since navigation.
 *
 * @example
 * ```ts
 * card.show(...rendered);
 * metrics.firstResult(markFirstResult());
 * ```
 */
export function markFirstResult(): number {
  if (firstAt === undefined) {
    firstAt = performance.now();
    performance.mark(FIRST_RESULT_MARK);
    document.documentElement.dataset.firstResultMs = String(Math.round(firstAt));
  }
  return firstAt;
}
