/**
 * A local HTTP server for model files that can misbehave on purpose: 4xx/5xx, stalls, truncated
 * bodies, connection resets, wrong sha256 ETags, latency and throttling. It speaks enough HTTP for the
 * download code (HEAD, Range/If-Range, ETag, CORS) and records every request, so tests can count them.
 * Node only (it imports `node:http`); never import it from browser code.
 *
 * @example
 * ```ts
 * const server = await startModelServer({
 *   files: { 'm/config.json': '{"model_type":"bert"}' },
 *   faults: [{ path: 'm/config.json', kind: 'status', status: 500, times: 2 }],
 * });
 * const files = resolveSource(server.url + 'm/', { retryDelayMs: 5, cache: false });
 * await files.json('config.json'); // succeeds on the third attempt
 * console.log(server.count({ path: 'm/config.json' })); // 3
 * await server.close();
 * ```
 */

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/** A deliberate misbehaviour for matching requests. */
export interface ServerFault {
  /** Request path without the leading `/` (`m/onnx/model.onnx`), or a RegExp tested on it; default: all. */
  readonly path?: string | RegExp;
  /** HTTP method to match (default: any; note that `exists()` sends HEAD). */
  readonly method?: string;
  /** Apply to the first `times` matching requests only (default: every one). */
  readonly times?: number;
  /**
   * - `status`: answer `status` (default 500) with an empty body;
   * - `stall`: send headers and `afterBytes` bytes, then nothing until the client gives up;
   * - `truncate`: announce the full Content-Length, send `afterBytes` bytes, then close the connection;
   * - `reset`: close the connection without any response;
   * - `etag`: serve normally but announce `etag` as the sha256 (`ETag` and `X-Linked-Etag`).
   */
  readonly kind: 'status' | 'stall' | 'truncate' | 'reset' | 'etag';
  readonly status?: number;
  /** For `stall` and `truncate`: bytes sent before misbehaving (default: half the body). */
  readonly afterBytes?: number;
  /** For `etag`: the value announced (quoted unless it already has quotes, e.g. `W/"..."`). */
  readonly etag?: string;
  /** For `status`: extra response headers (e.g. `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link startModelServer}. Give `root`, `files`, or both (`files` wins on conflicts). */
export interface ModelServerOptions {
  /** A folder served as is (`<root>/m/config.json` at `/m/config.json`). */
  readonly root?: string;
  /** In-memory files by request path without the leading `/`. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Delay before each response starts. */
  readonly latencyMs?: number;
  /** Body bandwidth limit in bytes per second (default unlimited). */
  readonly throttleBytesPerSec?: number;
  readonly faults?: readonly ServerFault[];
  /** Announce each file's sha256 as `ETag` and `X-Linked-Etag`, like the hub does for LFS files (default false). */
  readonly sha256Etag?: boolean;
  /** Honour `Range` requests (default true). */
  readonly acceptRanges?: boolean;
  /** Add CORS and CORP headers so pages on other origins (also cross-origin isolated ones) can fetch (default true). */
  readonly cors?: boolean;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
}

/** One request as the server saw it. */
export interface RequestRecord {
  readonly method: string;
  /** Path without the leading `/`, percent-decoded. */
  readonly path: string;
  readonly range?: string;
  /** Status sent (0 when the connection was reset before any response). */
  status: number;
  readonly time: number;
}

/** A running {@link startModelServer} instance. */
export interface ModelServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RequestRecord[];
  /** Number of recorded requests matching the filter. */
  count(filter?: { readonly path?: string | RegExp; readonly method?: string }): number;
  /** Replaces the faults (and their `times` counters). */
  setFaults(faults: readonly ServerFault[]): void;
  /** Adds or replaces an in-memory file. */
  setFile(path: string, content: string | Uint8Array): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Stops the server and drops open connections (stalled ones included). */
  close(): Promise<void>;
}

interface ActiveFault {
  readonly fault: ServerFault;
  used: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

/**
 * Starts the server on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const server = await startModelServer({ root: 'models/fixtures', throttleBytesPerSec: 1e6 });
 * try { ... } finally { await server.close(); }
 * ```
 */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const files = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(options.files ?? {})) files.set(stripSlash(path), toBytes(content));
  const root = options.root === undefined ? undefined : resolve(options.root);
  const requests: RequestRecord[] = [];
  let faults: ActiveFault[] = (options.faults ?? []).map((fault) => ({ fault, used: 0 }));

  async function lookup(path: string): Promise<Uint8Array | undefined> {
    const inMemory = files.get(path);
    if (inMemory) return inMemory;
    if (root === undefined) return undefined;
    const full = resolve(root, path);
    if (full !== root && !full.startsWith(root + sep)) return undefined;
    try {
      if (!(await stat(full)).isFile()) return undefined;
      return new Uint8Array(await readFile(full));
    } catch {
      return undefined;
    }
  }

  function takeFault(method: string, path: string): ServerFault | undefined {
    for (const active of faults) {
      const { fault } = active;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      if (fault.path !== undefined && !(typeof fault.path === 'string' ? fault.path === path : fault.path.test(path))) {
        continue;
      }
      if (fault.times !== undefined && active.used >= fault.times) continue;
      active.used++;
      return fault;
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodePath(req.url ?? '/');
    const range = req.headers.range;
    const record: RequestRecord = { method, path, status: 0, time: Date.now(), ...(range ? { range } : {}) };
    requests.push(record);
    res.on('close', () => {
      record.status = res.headersSent ? res.statusCode : 0;
    });

    if (options.cors !== false) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'range, if-range');
      res.setHeader(
        'access-control-expose-headers',
        'etag, x-linked-etag, content-length, content-range, accept-ranges',
      );
      res.setHeader('cross-origin-resource-policy', 'cross-origin');
    }
    if (method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (options.latencyMs) await delay(options.latencyMs);

    const fault = takeFault(method, path);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status ?? 500, { 'content-length': '0', ...fault.headers }).end();
      return;
    }

    const body = await lookup(path);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
      return;
    }
    const sha = createHash('sha256').update(body).digest('hex');
    const etag =
      fault?.kind === 'etag' ? quoteEtag(fault.etag ?? '') : options.sha256Etag ? `"${sha}"` : `"${sha.slice(0, 40)}"`;
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      etag,
    };
    if (options.sha256Etag || fault?.kind === 'etag') headers['x-linked-etag'] = etag;
    const acceptRanges = options.acceptRanges !== false;
    if (acceptRanges) headers['accept-ranges'] = 'bytes';

    let start = 0;
    let end = body.length;
    let status = 200;
    const ifRange = req.headers['if-range'];
    if (acceptRanges && typeof range === 'string' && (ifRange === undefined || ifRange === etag)) {
      const match = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
      if (match) {
        const from = Number(match[1]);
        const to = match[2] ? Math.min(Number(match[2]) + 1, body.length) : body.length;
        if (from >= body.length || from >= to) {
          res.writeHead(416, { 'content-range': `bytes */${body.length}`, 'content-length': '0' }).end();
          return;
        }
        start = from;
        end = to;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end - 1}/${body.length}`;
      }
    }
    const payload = body.subarray(start, end);
    headers['content-length'] = String(payload.length);
    res.writeHead(status, headers);
    if (method === 'HEAD') {
      res.end();
      return;
    }
    const limit =
      fault?.kind === 'stall' || fault?.kind === 'truncate'
        ? Math.min(payload.length, fault.afterBytes ?? Math.floor(payload.length / 2))
        : payload.length;
    const sent = await sendBody(res, payload.subarray(0, limit), options.throttleBytesPerSec);
    if (!sent) return;
    if (fault?.kind === 'truncate') {
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'stall') return; // keep the connection open and silent; the client must give up
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}/`,
    port,
    requests,
    count(filter = {}) {
      return requests.filter(
        (r) =>
          (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
          (filter.path === undefined ||
            (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))),
      ).length;
    },
    setFaults(next) {
      faults = next.map((fault) => ({ fault, used: 0 }));
    },
    setFile(path, content) {
      files.set(stripSlash(path), toBytes(content));
    },
    clearRequests() {
      requests.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

/** Writes `bytes`, throttled if asked; false when the client went away first. */
async function sendBody(res: ServerResponse, bytes: Uint8Array, bytesPerSec: number | undefined): Promise<boolean> {
  if (!bytesPerSec || bytesPerSec <= 0) {
    if (bytes.length > 0) await write(res, bytes);
    return !res.destroyed;
  }
  // Small slices at a steady pace: ~20 writes per second.
  const slice = Math.max(1, Math.min(64 * 1024, Math.floor(bytesPerSec / 20)));
  for (let offset = 0; offset < bytes.length; offset += slice) {
    if (res.destroyed) return false;
    const chunk = bytes.subarray(offset, offset + slice);
    await write(res, chunk);
    await delay((chunk.length / bytesPerSec) * 1000);
  }
  return !res.destroyed;
}

function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise<void>((resolveWrite) => {
    if (res.destroyed) return resolveWrite();
    const flushed = res.write(chunk, () => resolveWrite());
    if (!flushed) res.once('close', () => resolveWrite());
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

function decodePath(url: string): string {
  const pathname = url.split('?')[0] ?? '';
  try {
    return stripSlash(decodeURIComponent(pathname));
  } catch {
    return stripSlash(pathname);
  }
}

function stripSlash(path: string): string {
  return path.replace(/^\/+/, '');
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function quoteEtag(value: string): string {
  return value.includes('"') ? value : `"${value}"`;
}
