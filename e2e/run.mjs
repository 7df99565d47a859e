// `pnpm test:e2e`: builds the demo, starts `vite` (dev) and `vite preview` on free ports, runs the
// Playwright specs against both on WASM and WebGPU (4 projects), stops the servers, and exits with
// Playwright's status. Extra arguments go to Playwright (e.g. `pnpm test:e2e --project dev-wasm -g NER`).
// E2E_TARGETS=dev or =preview runs one target only (and skips the build for dev).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, createServer, preview } from 'vite';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(repoRoot, 'vite.config.ts');
const artifacts = join(repoRoot, 'e2e', 'artifacts');
const targets = (process.env.E2E_TARGETS ?? 'dev,preview').split(',').map((t) => t.trim());
const host = '127.0.0.1';

/** A free TCP port on 127.0.0.1 (Vite's own fallback would pick a port we do not know in advance). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

/** JS / wasm / CSS / HTML byte totals of the build (raw and gzip), written to artifacts/bundle-sizes.json. */
function reportBundle(outDir) {
  const groups = {};
  const files = [];
  for (const file of walk(outDir)) {
    const rel = relative(outDir, file);
    if (rel.startsWith('models/')) continue;
    const ext = rel.endsWith('.wasm') ? 'wasm' : rel.match(/\.(m?js)$/) ? 'js' : rel.split('.').pop();
    const bytes = statSync(file).size;
    const gzip = gzipSync(readFileSync(file)).length;
    groups[ext] ??= { files: 0, bytes: 0, gzip: 0 };
    groups[ext].files++;
    groups[ext].bytes += bytes;
    groups[ext].gzip += gzip;
    files.push({ file: rel, bytes, gzip });
  }
  files.sort((a, b) => b.bytes - a.bytes);
  writeFileSync(join(artifacts, 'bundle-sizes.json'), `${JSON.stringify({ groups, files }, null, 2)}\n`);
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log('\nbundle (demo/dist, models excluded):');
  for (const [ext, g] of Object.entries(groups)) {
    console.log(
      `  ${ext.padEnd(12)} ${String(g.files).padStart(3)} files  ${kb(g.bytes).padStart(12)}  gzip ${kb(g.gzip)}`,
    );
  }
}

function runPlaywright(env) {
  const require = createRequire(import.meta.url);
  const cli = join(require.resolve('@playwright/test/package.json'), '..', 'cli.js');
  const args = [cli, 'test', '-c', join(repoRoot, 'e2e', 'playwright.config.ts'), ...process.argv.slice(2)];
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    const forward = (signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  mkdirSync(artifacts, { recursive: true });
  const started = Date.now();
  const servers = [];
  const env = { E2E_TARGETS: targets.join(',') };
  let status = 1;
  try {
    if (targets.includes('preview')) {
      const t0 = Date.now();
      await build({ configFile, logLevel: 'warn' });
      console.log(`e2e: vite build took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      reportBundle(join(repoRoot, 'demo', 'dist'));
      const port = await freePort();
      const server = await preview({ configFile, logLevel: 'warn', preview: { host, port, strictPort: true } });
      servers.push(() => server.close());
      env.E2E_PREVIEW_URL = `http://${host}:${port}/`;
    }
    if (targets.includes('dev')) {
      // `build()` set NODE_ENV=production for this process; the dev server must not inherit it
      // (import.meta.env.PROD would be true in dev and the app would register a service worker).
      process.env.NODE_ENV = 'development';
      const port = await freePort();
      const server = await createServer({
        configFile,
        logLevel: 'warn',
        server: { host, port, strictPort: true, hmr: false, watch: null },
      });
      await server.listen();
      servers.push(() => server.close());
      env.E2E_DEV_URL = `http://${host}:${port}/`;
    }
    console.log(
      `e2e: servers ${Object.entries(env)
        .filter(([k]) => k.endsWith('_URL'))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    status = await runPlaywright(env);
  } catch (error) {
    console.error('e2e: harness failed:', error);
    status = 1;
  } finally {
    for (const stop of servers) await stop().catch((error) => console.error('e2e: stopping a server:', error));
  }
  console.log(`e2e: finished in ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${status}`);
  process.exit(status);
}

await main();
