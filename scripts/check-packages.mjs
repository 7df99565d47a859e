// Last step of `pnpm check:packages` (after `pnpm build` and publint): what each package would publish.
// Every package ships its built ESM + .d.ts and a README, and none ships tests, test utilities or test
// fixtures; the CLI ships its bin without a runtime dependency on tsx; the worker entry is marked as
// having side effects (it calls serve() on import). Exits 1 with the list of problems.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));
const problems = [];
for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir }));
  const files = packed.files.map((f) => f.path);
  const say = (message) => problems.push(`${manifest.name}: ${message}`);
  for (const required of ['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
    if (!files.includes(required)) say(`does not ship ${required}`);
  }
  const forbidden = files.filter((f) => /\.test\.ts$|(^|\/)test-utils\/|(^|\/)__fixtures__\//.test(f));
  if (forbidden.length > 0) say(`ships test code or fixtures: ${forbidden.slice(0, 5).join(', ')}`);
  if (manifest.dependencies?.tsx) say('has tsx as a runtime dependency');
  if (manifest.bin) {
    for (const bin of Object.values(manifest.bin)) {
      if (!files.includes(bin.replace(/^\.\//, ''))) say(`does not ship its bin ${bin}`);
    }
  }
  if (manifest.exports?.['./worker']) {
    const effects = Array.isArray(manifest.sideEffects) ? manifest.sideEffects : [];
    for (const entry of ['./src/worker.ts', './dist/worker.js']) {
      if (!effects.includes(entry)) say(`sideEffects must list ${entry} (the worker entry calls serve())`);
    }
  }
  console.log(`${manifest.name}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed`);
}
if (problems.length > 0) {
  console.error(`\npackage problems:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('packages: every package ships dist + README, no tests or fixtures');
