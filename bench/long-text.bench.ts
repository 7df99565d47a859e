/**
 * Long-text benchmark (issue 15): how long `tagger.tag([text])` takes on one long Russian text with the
 * embedded demo model (models/ner-ru-tiny, q8, 3 x 128 BERT, 512-token windows with 128 overlap), and
 * whether the time is linear in the text's length. The texts are prefixes of 12.5k, 25k, 50k, 100k and
 * 200k characters of the factRuEval-2016 documents (devset, then testset, each sorted by name) joined
 * with blank lines, read in place from ../shared/data. Per backend (--backends, default wasm,native) and
 * size: one warm-up call, then --runs (default 3) timed calls; the median gives seconds and chars/s.
 * --threads (default 1, what a page without cross-origin isolation gets on WASM; also steadier than 2
 * on a shared 2-core machine) sets both backends' CPU threads.
 * `tagger.encode` (word split, WordPiece, windows; no inference) is timed too (median of 9 runs), so a
 * super-linear part would show in either column.
 *
 * Linearity: seconds per 1,000 characters at each size, the ratio of the largest to the smallest of
 * them, and the exponent b of a least-squares fit time = a * length^b over the five sizes (1 is linear,
 * 2 quadratic). The verdict is "linear" when b is within 0.85-1.15 and no size costs more than 1.5x per
 * character than another.
 *
 *   node --conditions=source --import tsx bench/long-text.bench.ts [--runs 3] [--backends wasm,native]
 *        [--threads 1] [--sizes 12500,25000,50000,100000,200000]
 *
 * Prints a `## ` heading, a JSON summary and Markdown tables (for `pnpm bench long-text`). Exits 0 with a
 * message when the corpus is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTagger, type Tagger } from '@bertweb/tagging';
import { median } from './lib/measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const modelDir = path.join(root, 'models', 'ner-ru-tiny');
const factRu = path.join(root, '..', 'shared', 'data', 'factRuEval-2016');

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,native' },
    sizes: { type: 'string', default: '12500,25000,50000,100000,200000' },
    threads: { type: 'string', default: '1' },
  },
});
const RUNS = Math.max(1, Number(flags.runs) || 3);
const BACKENDS = (flags.backends ?? '').split(',').filter(Boolean) as ('wasm' | 'native')[];
/** Timed runs of `tagger.encode` (cheap: tens of milliseconds at 200k characters). */
const ENCODE_RUNS = 9;
/** CPU threads of both backends (WASM's count is fixed for the process once its WebAssembly starts). */
const THREADS = Math.max(1, Number(flags.threads) || 1);
const SIZES = (flags.sizes ?? '')
  .split(',')
  .filter(Boolean)
  .map(Number)
  .sort((a, b) => a - b);

/** The corpus as one text: every document of devset, then testset, sorted by name, blank-line separated. */
function corpus(): string {
  const parts: string[] = [];
  for (const split of ['devset', 'testset']) {
    const dir = path.join(factRu, split);
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort())
      parts.push(readFileSync(path.join(dir, name), 'utf8').trim());
  }
  return parts.join('\n\n');
}

/** The first `length` UTF-16 units of `text`, never cutting a surrogate pair. */
function prefix(text: string, length: number): string {
  if (text.length < length) throw new Error(`the corpus has ${text.length} characters, fewer than ${length}`);
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

async function timed(run: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  await run(); // warm-up
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await run();
    seconds.push((performance.now() - started) / 1000);
  }
  return seconds;
}

interface Row {
  readonly backend: string;
  readonly chars: number;
  readonly words: number;
  readonly windows: number;
  readonly tokens: number;
  readonly entities: number;
  readonly tagSeconds: number[];
  readonly tagMedian: number;
  readonly charsPerSecond: number;
  readonly msPer1kChars: number;
  /** Median ms of `tagger.encode([text])`. */
  readonly encodeMs: number;
}

/** Least-squares exponent b of seconds = a * chars^b. */
function exponent(rows: readonly Row[], seconds: (r: Row) => number): number {
  const xs = rows.map((r) => Math.log(r.chars));
  const ys = rows.map((r) => Math.log(seconds(r)));
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * ((ys[i] as number) - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

function linearity(rows: readonly Row[], seconds: (r: Row) => number) {
  const perChar = rows.map((r) => seconds(r) / r.chars);
  const spread = Math.max(...perChar) / Math.min(...perChar);
  const b = exponent(rows, seconds);
  return {
    exponent: Number(b.toFixed(3)),
    perCharSpread: Number(spread.toFixed(3)),
    verdict: b >= 0.85 && b <= 1.15 && spread <= 1.5 ? 'linear' : 'NOT linear',
  };
}

async function measure(backend: 'wasm' | 'native', texts: readonly string[]): Promise<Row[]> {
  const tagger: Tagger = await createTagger(modelDir, { backend, numThreads: THREADS });
  const rows: Row[] = [];
  try {
    for (const text of texts) {
      const [encoding] = await tagger.encode([text]);
      const windows = encoding?.windows ?? [];
      let entities = 0;
      const tagSeconds = await timed(async () => {
        entities = ((await tagger.tag([text]))[0] ?? []).length;
      });
      // Milliseconds: more runs, so that timer and GC noise does not decide the small sizes.
      const encodeSeconds = await timed(() => tagger.encode([text]), ENCODE_RUNS);
      const tagMedian = median(tagSeconds);
      rows.push({
        backend: `${backend} (${tagger.backend.dtype}, ${backend === 'wasm' ? `${tagger.backend.wasm.threads} thread(s)` : `${tagger.backend.native.threads ?? '?'} thread(s)`})`,
        chars: text.length,
        words: encoding?.words.length ?? 0,
        windows: windows.length,
        tokens: windows.reduce((n, w) => n + w.ids.length, 0),
        entities,
        tagSeconds: tagSeconds.map((s) => Number(s.toFixed(3))),
        tagMedian: Number(tagMedian.toFixed(3)),
        charsPerSecond: Math.round(text.length / tagMedian),
        msPer1kChars: Number(((tagMedian / text.length) * 1e6).toFixed(1)),
        encodeMs: Number((median(encodeSeconds) * 1000).toFixed(1)),
      });
      console.error(
        `long-text: ${backend} ${text.length} chars: ${tagMedian.toFixed(2)} s (${rows.at(-1)?.charsPerSecond} chars/s)`,
      );
    }
  } finally {
    await tagger.dispose();
  }
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(factRu)) {
    console.log(`## Long texts\n\nfactRuEval-2016 not found at ${factRu}: skipped.`);
    return;
  }
  const text = corpus();
  const texts = SIZES.map((n) => prefix(text, n));
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const loadBefore = load();
  const results: {
    backend: string;
    rows: Row[];
    tag: ReturnType<typeof linearity>;
    encode: ReturnType<typeof linearity>;
  }[] = [];
  for (const backend of BACKENDS) {
    const rows = await measure(backend, texts);
    results.push({
      backend: rows[0]?.backend ?? backend,
      rows,
      tag: linearity(rows, (r) => r.tagMedian),
      encode: linearity(rows, (r) => Math.max(r.encodeMs, 0.1)),
    });
  }
  const summary = {
    bench: 'long-text',
    model:
      'models/ner-ru-tiny (embedded demo model: BERT 3 x 128, 4 heads, vocab 3,000, q8; windows of 512 subtokens, overlap 128)',
    data: `prefixes of factRuEval-2016 devset + testset .txt documents (sorted, blank-line separated; ${text.length} chars in all)`,
    runs: RUNS,
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`,
    load: { before: loadBefore, after: load() },
    preliminary: 'timed on a shared 2-core machine while other work ran: absolute figures are pessimistic',
    // The rows are in the tables below.
    linearity: Object.fromEntries(results.map((r) => [r.backend, { tag: r.tag, encode: r.encode }])),
  };
  console.log('## Long texts (one text per call, embedded NER model; issue 15)');
  console.log(`\n\`\`\`json\n${JSON.stringify(summary, null, 2)}\n\`\`\``);
  for (const r of results) {
    console.log(`\n### ${r.backend}\n`);
    console.log(
      '| chars | words | windows | tokens | entities | tag s (median of runs) | runs s | chars/s | ms / 1k chars | encode ms (median) |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
    for (const row of r.rows) {
      console.log(
        `| ${row.chars} | ${row.words} | ${row.windows} | ${row.tokens} | ${row.entities} | ${row.tagMedian} | ${row.tagSeconds.join(', ')} | ${row.charsPerSecond} | ${row.msPer1kChars} | ${row.encodeMs} |`,
      );
    }
    const last = r.rows.at(-1);
    const share = last ? ((last.encodeMs / 1000 / last.tagMedian) * 100).toFixed(1) : '?';
    console.log(
      `\nLinearity, tag: exponent ${r.tag.exponent} (1 = linear), per-character time spread ${r.tag.perCharSpread}x: **${r.tag.verdict}**; ` +
        `encode alone (${share}% of the tag time at ${last?.chars} chars): exponent ${r.encode.exponent}, spread ${r.encode.perCharSpread}x: ${r.encode.verdict}.`,
    );
  }
  console.log(
    `\n${summary.machine}; load average ${loadBefore} before, ${summary.load.after} after. ${summary.preliminary}.`,
  );
}

await main();
