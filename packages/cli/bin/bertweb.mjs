#!/usr/bin/env node
// Entry of the `bertweb` command. A published install (this file lives under node_modules) runs the
// compiled dist/. A checkout runs the TypeScript sources through tsx with the `source` export
// condition, even after a build, so an edited checkout never runs stale code; tsx is a dev
// dependency, present in a checkout only. BERTWEB_FROM_SOURCE=1 / =0 forces either way.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = realpathSync(fileURLToPath(import.meta.url));
const installed = here.split(sep).includes('node_modules');
const forced = process.env.BERTWEB_FROM_SOURCE;
const fromSource = forced === '1' || (forced !== '0' && !installed);

if (!fromSource) {
  const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  if (!existsSync(dist)) {
    console.error(JSON.stringify({ error: { code: 'INTERNAL', message: `${dist} is missing: build @bertweb/cli` } }));
    process.exit(1);
  }
  await import(pathToFileURL(dist).href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    console.error(
      JSON.stringify({ error: { code: 'INTERNAL', message: 'running from a checkout needs tsx: pnpm install' } }),
    );
    process.exit(1);
  }
  const result = spawnSync(process.execPath, ['--conditions=source', '--import', tsx, main, ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: process.cwd(),
    env: process.env,
  });
  process.exit(result.status ?? 1);
}
