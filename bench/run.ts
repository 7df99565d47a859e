/**
 * `pnpm bench [names...]`: runs the benchmarks one after another (never in parallel: they measure the
 * machine) and writes bench/RESULTS.md with the machine, the versions and each benchmark's own report
 * (its Markdown tables and JSON summary). Extra `--flag value` arguments are passed to every benchmark.
 * With names, only those sections change: each is kept between `<!-- bench:NAME -->` markers and
 * replaced in place (or appended), and the rest of RESULTS.md stays as it is. A report whose first
 * line is a `## ` heading keeps it; others get `## NAME`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const sections: { name: string; text: string }[] = [];
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
  const report = run.stdout.trim();
  const [first = '', ...rest] = report.split('\n');
  const [heading, body] = first.startsWith('## ') ? [first, rest.join('\n').trim()] : [`## ${name}`, report];
  const failure = run.status === 0 ? '' : `\n\`\`\`\n${run.stderr.slice(-4000)}\n\`\`\`\n`;
  sections.push({ name, text: `${heading}\n\n_${status}_\n\n${body}\n${failure}` });
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmark results

Written by \`pnpm bench\` on ${new Date().toISOString()}.

- Machine: ${type()} ${process.arch}, ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}; onnxruntime-web ${version('onnxruntime-web')}, onnxruntime-node ${version('onnxruntime-node')},
  @huggingface/transformers ${version('@huggingface/transformers')}, @huggingface/tokenizers ${version('@huggingface/tokenizers')}
- Each benchmark compares bertweb with its peers in the same run; medians and spreads are over the runs it states.
`;
const resultsFile = `${benchDir}RESULTS.md`;
const marked = (name: string, text: string) => `<!-- bench:${name} -->\n${text.trim()}\n<!-- /bench:${name} -->`;
if (names.length > 0 && existsSync(resultsFile)) {
  // Only the named benchmarks ran: splice their sections into the existing file.
  let text = readFileSync(resultsFile, 'utf8');
  for (const { name, text: section } of sections) {
    const start = `<!-- bench:${name} -->`;
    const end = `<!-- /bench:${name} -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end, from);
    text =
      from >= 0 && to > from
        ? `${text.slice(0, from)}${marked(name, section)}${text.slice(to + end.length)}`
        : `${text.trimEnd()}\n\n${marked(name, section)}\n`;
  }
  writeFileSync(resultsFile, text);
} else {
  writeFileSync(resultsFile, `${header}\n${sections.map((s) => marked(s.name, s.text)).join('\n\n')}\n`);
}
console.error(`bench: wrote ${benchDir}RESULTS.md`);
