/**
 * The benchmark's static file server: cross-origin isolated (COOP same-origin + COEP require-corp, so
 * pages get SharedArrayBuffer and WASM threads), validators on every file (weak ETag from size and
 * mtime, Last-Modified, 304 on a match), HEAD, real 404s, and a log of every request with its start and
 * end time (epoch ms, the clock `performance.timeOrigin + performance.now()` uses in the page), so the
 * benchmark can tell which requests a load made and when.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * One folder served under a URL prefix.
 *
 * @example
 * ```ts
 * const mount: Mount = { prefix: '/assets/', dir: 'bench/.tmp/browser/pages/assets', caching: 'immutable' };
 * ```
 */
export interface Mount {
  /** URL prefix, starting and ending with `/` (e.g. `/m/`). */
  readonly prefix: string;
  readonly dir: string;
  /**
   * `revalidate` (default): `Cache-Control: no-cache`, the browser asks again and gets 304 while the
   * file is unchanged. `immutable`: a year, for content-hashed build assets.
   */
  readonly caching?: 'revalidate' | 'immutable';
  /** Served for `prefix` itself (default `index.html`). */
  readonly index?: string;
}

/**
 * One request as the server saw it.
 *
 * @example
 * ```ts
 * const onnx = server.log.filter((r: RequestRecord) => r.path.endsWith('.onnx'));
 * ```
 */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  /** Epoch ms when the request arrived and when its response ended. */
  readonly start: number;
  end: number;
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * const server: BenchServer = await startServer(mounts);
 * const during = server.requestsSince(loaded.start);
 * ```
 */
export interface BenchServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Every request so far, in arrival order. */
  readonly log: readonly RequestRecord[];
  /** Requests that arrived at or after `since` (epoch ms). */
  requestsSince(since: number): RequestRecord[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Starts a server on 127.0.0.1 (a free port) for the given mounts; the longest matching prefix wins.
 *
 * @example
 * ```ts
 * const server = await startServer([{ prefix: '/', dir: 'bench/.tmp/browser/pages' }]);
 * console.log(`${server.origin}/bertweb.html`);
 * await server.close();
 * ```
 */
export async function startServer(mounts: readonly Mount[]): Promise<BenchServer> {
  for (const mount of mounts) {
    if (!mount.prefix.startsWith('/') || !mount.prefix.endsWith('/')) {
      throw new Error(`mount prefix must start and end with /: ${mount.prefix}`);
    }
  }
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const log: RequestRecord[] = [];
  const server = createServer((req, res) => handle(req, res, sorted, log));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    requestsSince: (since) => log.filter((r) => r.start >= since),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, mounts: readonly Mount[], log: RequestRecord[]): void {
  const method = (req.method ?? 'GET').toUpperCase();
  const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
  const record: RequestRecord = { method, path: urlPath, status: 0, bytes: 0, start: Date.now(), end: 0 };
  log.push(record);
  const finish = (status: number, bytes: number) => {
    (record as { status: number }).status = status;
    (record as { bytes: number }).bytes = bytes;
  };
  res.on('close', () => {
    record.end = Date.now();
  });
  for (const [name, value] of Object.entries(ISOLATION)) res.setHeader(name, value);
  if (method !== 'GET' && method !== 'HEAD') {
    finish(405, 0);
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const file = resolveFile(urlPath, mounts);
  if (!file) {
    finish(404, 9);
    res
      .writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' })
      .end(method === 'HEAD' ? '' : 'not found');
    return;
  }
  const { full, mount } = file;
  const stat = statSync(full);
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(full)] ?? 'application/octet-stream',
    etag,
    'last-modified': stat.mtime.toUTCString(),
    'cache-control': mount.caching === 'immutable' ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (req.headers['if-none-match'] === etag) {
    finish(304, 0);
    res.writeHead(304, headers).end();
    return;
  }
  headers['content-length'] = String(stat.size);
  res.writeHead(200, headers);
  if (method === 'HEAD') {
    finish(200, 0);
    res.end();
    return;
  }
  finish(200, stat.size);
  createReadStream(full).pipe(res);
}

function resolveFile(urlPath: string, mounts: readonly Mount[]): { full: string; mount: Mount } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  for (const mount of mounts) {
    if (!decoded.startsWith(mount.prefix) && `${decoded}/` !== mount.prefix) continue;
    const rest = decoded.slice(mount.prefix.length) || (mount.index ?? 'index.html');
    const root = path.resolve(mount.dir);
    const full = path.resolve(root, rest);
    if (full !== root && !full.startsWith(root + path.sep)) return undefined;
    if (!existsSync(full) || !statSync(full).isFile()) return undefined;
    return { full, mount };
  }
  return undefined;
}
