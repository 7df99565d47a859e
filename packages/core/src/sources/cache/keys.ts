/** Cache key matching shared by every {@link ModelCache} implementation. */

/**
 * Whether cache key `url` is selected by `urlOrPrefix`: an exact URL, or every URL under a prefix
 * when the argument ends in `/` (e.g. `https://huggingface.co/owner/model/resolve/main/`).
 */
export function matchesKey(url: string, urlOrPrefix: string): boolean {
  return urlOrPrefix.endsWith('/') ? url.startsWith(urlOrPrefix) : url === urlOrPrefix;
}

/** Whether an error is a storage-quota failure (DOMException `QuotaExceededError`, ENOSPC, EDQUOT). */
export function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || code === 22 || code === 'ENOSPC' || code === 'EDQUOT';
}
