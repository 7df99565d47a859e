/**
 * A local HTTP server for model files that misbehaves on purpose (a fault-injecting model server):
 * 4xx/5xx and 429 with `Retry-After`, connections dropped before any response, stalls before the
 * headers and mid-body, truncated bodies, a `Content-Length` that announces fewer or more bytes than
 * are sent, flipped bytes (with the true sha256 announced or none), `HEAD` and `GET` that disagree,
 * wrong sha256 ETags, latency and throttling. It speaks enough HTTP for the download code (HEAD,
 * Range/If-Range, ETag, CORS), records every request (with the bytes sent and whether the body was
 * sent whole), and tells when no response is in flight, so tests can count requests and check that a
 * client really stopped. Node only (it imports `node:http`); never import it from browser code.
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

/**
 * A deliberate misbehaviour for matching requests. "HEAD lies" are `status` faults limited by
 * `method`: `{ method: 'HEAD', status: 200 }` on a missing file (HEAD says yes, GET 404s),
 * `{ method: 'HEAD', status: 404 }` on a present one (HEAD says no, GET serves it), or
 * `{ method: 'GET', status: 404 }` (HEAD says yes, GET 404s).
 *
 * @example
 * ```ts
 * const faults: ServerFault[] = [
 *   { path: 'm/vocab.txt', kind: 'flip', offset: 0, times: 1 },
 *   { path: /\.onnx$/, kind: 'status', status: 429, headers: { 'retry-after': '0' }, times: 2 },
 * ];
 * ```
 */
export interface ServerFault {
  /** Request path without the leading `/` (`m/onnx/model.onnx`), or a RegExp tested on it; default: all. */
  readonly path?: string | RegExp;
  /** HTTP method to match (default: any; note that `exists()` sends HEAD). */
  readonly method?: string;
  /** Apply to the first `times` matching requests only (default: every one). */
  readonly times?: number;
  /**
   * - `status`: answer `status` (default 500) with an empty body (and `headers`, e.g. `Retry-After`);
   * - `reset`: close the connection without any response (a dropped connection);
   * - `hang`: accept the request and never answer (a stall before the headers);
   * - `stall`: send headers and `afterBytes` bytes, then nothing until the client gives up;
   * - `truncate`: announce the full Content-Length, send `afterBytes` bytes, then close the connection;
   * - `length`: announce `Content-Length` = size + `lengthDelta`, send the whole body, close the
   *   connection (fewer announced: the client sees a shorter, "complete" body; more: a truncated one);
   * - `flip`: serve the file with `count` bytes from `offset` XORed with `mask`, announcing the sha256 of
   *   the true file only where the server announces sha256s at all (`sha256Etag`);
   * - `etag`: serve normally but announce `etag` as the sha256 (`ETag` and `X-Linked-Etag`).
   */
  readonly kind: 'status' | 'reset' | 'hang' | 'stall' | 'truncate' | 'length' | 'flip' | 'etag';
  readonly status?: number;
  /** For `stall` and `truncate`: bytes sent before misbehaving (default: half the body). */
  readonly afterBytes?: number;
  /** For `length`: announced minus actual size (non-zero; default -1). */
  readonly lengthDelta?: number;
  /** For `flip`: the first byte flipped, in file offsets (default: the middle of the file). */
  readonly offset?: number;
  /** For `flip`: how many consecutive bytes (default 1). */
  readonly count?: number;
  /** For `flip`: the XOR mask (default 0xff). */
  readonly mask?: number;
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
  /** Body bytes written so far. */
  bytesSent: number;
  /** True once the response ended normally with its whole body (false while in flight, or cut off). */
  completed: boolean;
  /** True once the connection of this response closed (client gone, or response done). */
  closed: boolean;
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
  /** Responses in flight (started and not closed yet). */
  inFlight(): number;
  /**
   * Resolves once no response is in flight (every client finished or went away); rejects after
   * `timeoutMs` (default 5000) naming the requests still open.
   */
  idle(timeoutMs?: number): Promise<void>;
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

  const open = new Set<RequestRecord>();
  const idleWaiters = new Set<() => void>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodePath(req.url ?? '/');
    const range = req.headers.range;
    const record: RequestRecord = {
      method,
      path,
      status: 0,
      time: Date.now(),
      bytesSent: 0,
      completed: false,
      closed: false,
      ...(range ? { range } : {}),
    };
    requests.push(record);
    open.add(record);
    res.on('close', () => {
      record.status = res.headersSent ? res.statusCode : 0;
      record.completed = res.writableFinished && !cutOff;
      record.closed = true;
      open.delete(record);
      if (open.size === 0) for (const wake of [...idleWaiters]) wake();
    });
    /** Set when this response is broken off on purpose (truncate, length): never "completed". */
    let cutOff = false;

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
    if (fault?.kind === 'hang') return; // never answer; close() or the client ends it
    if (fault?.kind === 'status') {
      res.writeHead(fault.status ?? 500, { 'content-length': '0', ...fault.headers }).end();
      return;
    }

    const file = await lookup(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
      return;
    }
    const sha = createHash('sha256').update(file).digest('hex');
    const body = fault?.kind === 'flip' ? flipped(file, fault) : file;
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
    const lengthDelta = fault?.kind === 'length' ? fault.lengthDelta || -1 : 0;
    headers['content-length'] = String(Math.max(0, payload.length + lengthDelta));
    if (lengthDelta !== 0) headers.connection = 'close';
    res.writeHead(status, headers);
    if (method === 'HEAD') {
      res.end();
      return;
    }
    if (lengthDelta !== 0) {
      // Bypass Node's body accounting: the socket gets the whole body whatever the header said.
      cutOff = true;
      res.flushHeaders();
      await sendRaw(res, payload, record);
      res.socket?.end();
      return;
    }
    const limit =
      fault?.kind === 'stall' || fault?.kind === 'truncate'
        ? Math.min(payload.length, fault.afterBytes ?? Math.floor(payload.length / 2))
        : payload.length;
    const sent = await sendBody(res, payload.subarray(0, limit), options.throttleBytesPerSec, record);
    if (!sent) return;
    if (fault?.kind === 'truncate') {
      cutOff = true;
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
    inFlight() {
      return open.size;
    },
    idle(timeoutMs = 5_000) {
      if (open.size === 0) return Promise.resolve();
      return new Promise<void>((resolveIdle, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          idleWaiters.delete(wake);
          resolveIdle();
        };
        const timer = setTimeout(() => {
          idleWaiters.delete(wake);
          const names = [...open].map((r) => `${r.method} ${r.path}`).join(', ');
          reject(new Error(`model server still busy after ${timeoutMs} ms: ${names}`));
        }, timeoutMs);
        idleWaiters.add(wake);
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

/** Writes `bytes`, throttled if asked; false when the client went away first. */
async function sendBody(
  res: ServerResponse,
  bytes: Uint8Array,
  bytesPerSec: number | undefined,
  record: RequestRecord,
): Promise<boolean> {
  if (!bytesPerSec || bytesPerSec <= 0) {
    if (bytes.length > 0) await write(res, bytes);
    if (!res.destroyed) record.bytesSent += bytes.length;
    return !res.destroyed;
  }
  // Small slices at a steady pace: ~20 writes per second.
  const slice = Math.max(1, Math.min(64 * 1024, Math.floor(bytesPerSec / 20)));
  for (let offset = 0; offset < bytes.length; offset += slice) {
    if (res.destroyed) return false;
    const chunk = bytes.subarray(offset, offset + slice);
    await write(res, chunk);
    if (!res.destroyed) record.bytesSent += chunk.length;
    await delay((chunk.length / bytesPerSec) * 1000);
  }
  return !res.destroyed;
}

/** Writes `bytes` straight to the socket (after the headers were flushed), bypassing Content-Length. */
function sendRaw(res: ServerResponse, bytes: Uint8Array, record: RequestRecord): Promise<void> {
  return new Promise<void>((resolveWrite) => {
    const socket = res.socket;
    if (!socket || socket.destroyed) return resolveWrite();
    socket.write(bytes, () => {
      record.bytesSent += bytes.length;
      resolveWrite();
    });
  });
}

/** `file` with the bytes a `flip` fault names XORed (a copy; the file itself is untouched). */
function flipped(file: Uint8Array, fault: ServerFault): Uint8Array {
  // A copy: `slice()` of a Node Buffer (what readFileSync gives) is a view, so it flipped the stored file
  // itself (a HEAD flipped it and the next GET served the original).
  const copy = new Uint8Array(file);
  if (copy.length === 0) return copy;
  const first = Math.min(Math.max(0, fault.offset ?? Math.floor(copy.length / 2)), copy.length - 1);
  const last = Math.min(copy.length, first + Math.max(1, fault.count ?? 1));
  const mask = (fault.mask ?? 0xff) & 0xff || 0xff;
  for (let i = first; i < last; i++) copy[i] = (copy[i] as number) ^ mask;
  return copy;
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
