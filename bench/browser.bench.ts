/**
 * Browser benchmark (bench/browser/): bertweb in Debian Chromium, in the page and through its Web Worker,
 * against Transformers.js and raw onnxruntime-web on the same ONNX files, WASM with threads on
 * (cross-origin isolated pages), driven by playwright-core:
 *   - throughput: embed (mean pooling, DistilRuBERT-tiny shape fp32 / q8, SQuAD questions) and tag
 *     (the embedded ner-ru-tiny, factRuEval sentences) at batch 1 and at a wide batch, interleaved rounds;
 *   - load time, create -> ready, cold (fresh profile) and warm (second tab), with the requests made;
 *   - the demo's production build: navigation -> first entities, cold and warm;
 *   - WebGPU on SwiftShader: correctness only;
 *   - diagnosis: platform probe, traced loads, timer lateness and CPU profiles at batch 1.
 *
 *   pnpm bench browser [--quick] [--parts throughput,load,demo,webgpu,diagnose] [--models tiny-fp32,tiny-q8,ner-q8]
 *     [--texts 256] [--rounds 3] [--load-rounds 3] [--demo-rounds 3] [--threads N] [--wide 32]
 *   node --conditions=source --import tsx bench/browser.bench.ts --quick     (a smoke run, ~6 minutes)
 *
 * `pnpm bench browser` rewrites the "Browser (Chromium)" section of bench/RESULTS.md (a full run takes
 * 20-35 minutes on 2 cores); run smoke tests directly, as above, so that the section keeps full figures.
 *
 * Prints the Markdown section on stdout (bench/run.ts puts it into RESULTS.md) and writes every figure to
 * bench/.tmp/browser/results.json. Needs /usr/bin/chromium (or CHROMIUM_PATH), /usr/bin/python3 with torch
 * (model generation, once), ../shared/data (SQuAD, factRuEval, bert-base-uncased vocab).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { factRuSentences, squadQuestions } from './browser/data.js';
import { buildDemo, type DemoResult, measureDemo } from './browser/demo-first-result.js';
import { type DiagnosisResult, diagnose } from './browser/diagnose.js';
import { launchBrowser, openSystemPage } from './browser/driver.js';
import { type LoadTimeResult, measureLoadTimes } from './browser/load-time.js';
import { type BenchModel, MODEL_KEYS, type ModelKey, prepareModels } from './browser/models.js';
import type { PageInfo } from './browser/protocol.js';
import { type BrowserBenchResults, renderReport } from './browser/report.js';
import { startServer } from './browser/server.js';
import { SYSTEM_KEYS, type SystemKey, systemUrl } from './browser/systems.js';
import { measureThroughput, type ThroughputResult } from './browser/throughput.js';
import { checkWebGpu, type WebGpuRow } from './browser/webgpu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '.tmp', 'browser');
const PARTS = ['throughput', 'load', 'demo', 'webgpu', 'diagnose'] as const;
type Part = (typeof PARTS)[number];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    parts: { type: 'string' },
    models: { type: 'string' },
    texts: { type: 'string' },
    rounds: { type: 'string' },
    'load-rounds': { type: 'string' },
    'demo-rounds': { type: 'string' },
    threads: { type: 'string' },
    wide: { type: 'string', default: '32' },
  },
  allowPositionals: true,
});
const quick = flags.quick === true;
const list = <T extends string>(value: string | undefined, fallback: readonly T[], known: readonly T[]): T[] => {
  const items = (value?.split(',').filter(Boolean) as T[] | undefined) ?? [...fallback];
  const unknown = items.filter((i) => !known.includes(i));
  if (unknown.length > 0) throw new Error(`unknown value(s) ${unknown.join(', ')}: use ${known.join(', ')}`);
  return items;
};
const parts = list<Part>(flags.parts, quick ? ['throughput', 'load', 'demo', 'diagnose'] : PARTS, PARTS);
const modelKeys = list<ModelKey>(flags.models, quick ? ['tiny-q8', 'ner-q8'] : MODEL_KEYS, MODEL_KEYS);
const TEXTS = Number(flags.texts ?? (quick ? 32 : 256));
const ROUNDS = Number(flags.rounds ?? (quick ? 1 : 3));
const LOAD_ROUNDS = Number(flags['load-rounds'] ?? (quick ? 1 : 3));
const DEMO_ROUNDS = Number(flags['demo-rounds'] ?? (quick ? 1 : 3));
const WIDE = Number(flags.wide);
const THREADS = Number(flags.threads ?? Math.max(1, Math.min(4, os.cpus().length)));
const THROUGHPUT_SYSTEMS: readonly SystemKey[] = ['bertweb', 'bertweb-worker', 'transformers', 'ort'];

/** The folder of an installed package, found from its entry point (many packages do not export package.json). */
function packageDir(pkg: string, from: string): string {
  let dir = path.dirname(createRequire(path.join(from, 'package.json')).resolve(pkg));
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === pkg) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`no package.json of ${pkg} above its entry point`);
}

function version(pkg: string, from: string): string {
  try {
    return JSON.parse(readFileSync(path.join(packageDir(pkg, from), 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** The folder of the onnxruntime-web build Transformers.js depends on (served under /ort-tjs/). */
function transformersOrtDist(): string {
  return path.join(packageDir('onnxruntime-web', packageDir('@huggingface/transformers', here)), 'dist');
}

async function buildPages(): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: path.join(here, 'browser', 'vite.config.ts'), logLevel: 'warn' });
  return path.join(out, 'pages');
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = os.loadavg()[0]?.toFixed(1) ?? '?';
  mkdirSync(out, { recursive: true });
  console.error('browser bench: models ...');
  const { folders, models } = await prepareModels();
  console.error('browser bench: building the pages ...');
  const pages = await buildPages();
  const server = await startServer([
    { prefix: '/', dir: pages },
    { prefix: '/assets/', dir: path.join(pages, 'assets'), caching: 'immutable' },
    { prefix: '/ort-tjs/', dir: transformersOrtDist() },
    ...Object.entries(folders).map(([name, dir]) => ({ prefix: `/m/${name}/`, dir })),
  ]);
  const questions = squadQuestions(TEXTS);
  const sentences = factRuSentences(TEXTS);
  const textsFor = (model: BenchModel) => (model.task === 'embed' ? questions : sentences);
  const selected = modelKeys.map((key) => models[key]);

  const throughput: ThroughputResult[] = [];
  const loads: LoadTimeResult[] = [];
  let demo: DemoResult[] = [];
  let webgpu: BrowserBenchResults['webgpu'];
  let diagnosis: DiagnosisResult | undefined;
  let info: PageInfo | undefined;
  let chromium = 'unknown';
  let tjsOrt = version('onnxruntime-web', packageDir('@huggingface/transformers', here));
  try {
    {
      const browser = await launchBrowser();
      chromium = browser.version;
      const page = await openSystemPage(browser, systemUrl(server.origin, 'transformers', THREADS));
      info = await page.info();
      tjsOrt = info.versions.ort ?? tjsOrt;
      await browser.close();
      if (!info.crossOriginIsolated) throw new Error('the bench pages are not cross-origin isolated: no WASM threads');
    }
    if (parts.includes('throughput')) {
      for (const model of selected) {
        console.error(`browser bench: throughput ${model.key} ...`);
        const browser = await launchBrowser();
        try {
          throughput.push(
            await measureThroughput(browser, model, textsFor(model), {
              origin: server.origin,
              threads: THREADS,
              systems: THROUGHPUT_SYSTEMS,
              batches: [1, WIDE],
              rounds: ROUNDS,
              keep: 16,
            }),
          );
        } finally {
          await browser.close();
        }
      }
    }
    if (parts.includes('load')) {
      for (const model of selected) {
        console.error(`browser bench: load time ${model.key} ...`);
        loads.push(await measureLoadTimes(server, model, SYSTEM_KEYS, { threads: THREADS, rounds: LOAD_ROUNDS }));
      }
    }
    if (parts.includes('webgpu')) {
      console.error('browser bench: WebGPU (SwiftShader) correctness ...');
      const browser = await launchBrowser();
      try {
        const texts = questions.slice(0, 8);
        const rows: WebGpuRow[] = await checkWebGpu(
          browser,
          server.origin,
          models['tiny-fp32'],
          texts,
          ['bertweb', 'transformers', 'ort'],
          THREADS,
        );
        webgpu = { model: models['tiny-fp32'].label, texts: texts.length, rows };
      } finally {
        await browser.close();
      }
    }
    if (parts.includes('diagnose')) {
      console.error('browser bench: diagnosis ...');
      const traced = quick ? [models['ner-q8']] : [models['ner-q8'], models['tiny-q8']];
      diagnosis = await diagnose(server, traced, { embed: questions, tag: sentences }, THREADS);
    }
  } finally {
    await server.close();
  }
  if (parts.includes('demo')) {
    console.error('browser bench: building the demo ...');
    await buildDemo();
    demo = await measureDemo(quick ? [''] : ['', '?backend=wasm'], DEMO_ROUNDS);
  }

  const cpu = os.cpus();
  const results: BrowserBenchResults = {
    environment: {
      chromium,
      machine: `${os.type()} ${os.arch()}, ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
      crossOriginIsolated: info?.crossOriginIsolated ?? false,
      hardwareConcurrency: info?.hardwareConcurrency ?? 0,
      threads: THREADS,
      ortWeb: version('onnxruntime-web', here),
      transformers: info?.versions.transformers ?? version('@huggingface/transformers', here),
      tjsOrt,
      texts: TEXTS,
      loadBefore,
      loadAfter: os.loadavg()[0]?.toFixed(1) ?? '?',
      minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    },
    command: `pnpm bench browser${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    throughput,
    loads,
    demo,
    webgpu,
    diagnosis,
  };
  writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderReport(results)}\n`);
  console.error(
    `browser bench: done in ${results.environment.minutes} min; figures in ${path.join(out, 'results.json')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
