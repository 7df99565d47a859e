/**
 * `pnpm bench [names...]`: runs the benchmarks one after another (never in parallel: they measure the
 * machine) and writes bench/RESULTS.md with the machine, the versions and each benchmark's own report
 * (its Markdown tables and JSON summary). Extra `--flag value` arguments are passed to every benchmark.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const names = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const passThrough = args.filter((a) => !names.includes(a));
const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const selected = names.length > 0 ? all.filter((n) => names.includes(n)) : all;

function version(pkg: string): string {
  try {
    const resolved = fileURLToPath(import.meta.resolve(`${pkg}/package.json`));
    return JSON.parse(readFileSync(resolved, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const sections: string[] = [];
for (const name of selected) {
  const started = Date.now();
  console.error(`bench: ${name} ...`);
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', `${benchDir}${name}.bench.ts`, ...passThrough],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const status = run.status === 0 ? `ok, ${seconds} s` : `FAILED (exit ${run.status}), ${seconds} s`;
  console.error(`bench: ${name} ${status}`);
  sections.push(
    `## ${name}\n\n_${status}_\n\n${run.stdout.trim()}\n${run.status === 0 ? '' : `\n\`\`\`\n${run.stderr.slice(-4000)}\n\`\`\`\n`}`,
  );
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmark results

Written by \`pnpm bench\` on ${new Date().toISOString()}.

- Machine: ${type()} ${process.arch}, ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}; onnxruntime-web ${version('onnxruntime-web')}, onnxruntime-node ${version('onnxruntime-node')},
  @huggingface/transformers ${version('@huggingface/transformers')}, @huggingface/tokenizers ${version('@huggingface/tokenizers')}
- Each benchmark compares bertweb with its peers in the same run; medians and spreads are over the runs it states.
`;
writeFileSync(`${benchDir}RESULTS.md`, `${header}\n${sections.join('\n')}\n`);
console.error(`bench: wrote ${benchDir}RESULTS.md`);
