#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Entry of the `bertweb` command. A published install runs the compiled dist/; a checkout
// (no build) runs the TypeScript sources through tsx with the `source` export condition, so
// `pnpm exec bertweb` works right after `pnpm install`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (existsSync(dist) && !process.env.BERTWEB_FROM_SOURCE) {
  await import(pathToFileURL(dist).href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const result = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', main, ...process.argv.slice(2)],
    { stdio: 'inherit', cwd: process.cwd(), env: process.env },
  );
  process.exit(result.status ?? 1);
}
