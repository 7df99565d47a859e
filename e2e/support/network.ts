/**
 * Every request of a browser context (pages and their workers) with how it ended: a response status, or
 * the failure (offline, `net::ERR_INTERNET_DISCONNECTED`). The offline specs check with it that a load
 * from the cache sends nothing that reaches a server for model files, and read back what was tried.
 */
import type { BrowserContext } from '@playwright/test';

/** One request and its outcome. */
export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  /** HTTP status once a response arrived. */
  status?: number;
  /** The error text when the request failed without a response. */
  failure?: string;
}

/** The requests of a browser context, in the order they were sent. */
export class NetworkLog {
  readonly requests: LoggedRequest[] = [];

  /**
   * Starts logging the context's requests.
   *
   * @example
   * ```ts
   * const log = new NetworkLog(context);
   * const mark = log.mark();
   * log.since(mark).filter((r) => r.url.startsWith(hub));
   * ```
   */
  constructor(context: BrowserContext) {
    const byRequest = new WeakMap<object, LoggedRequest>();
    context.on('request', (request) => {
      const entry: LoggedRequest = { method: request.method(), url: request.url() };
      byRequest.set(request, entry);
      this.requests.push(entry);
    });
    context.on('response', (response) => {
      const entry = byRequest.get(response.request());
      if (entry) entry.status = response.status();
    });
    context.on('requestfailed', (request) => {
      const entry = byRequest.get(request);
      if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
    });
  }

  /** A position in the log, for {@link since}. */
  mark(): number {
    return this.requests.length;
  }

  /** The requests sent after `mark`. */
  since(mark: number): LoggedRequest[] {
    return this.requests.slice(mark);
  }
}

/**
 * `HEAD <url> (net::ERR_INTERNET_DISCONNECTED)` per line, for messages.
 *
 * @example
 * ```ts
 * expect(gets, `no GET offline:\n  ${describeRequests(gets)}`).toEqual([]);
 * ```
 */
export function describeRequests(requests: readonly LoggedRequest[]): string {
  return requests.map((r) => `${r.method} ${r.url} (${r.status ?? r.failure ?? 'pending'})`).join('\n  ');
}
