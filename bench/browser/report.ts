/** Markdown for bench/RESULTS.md from the browser benchmark's results. */
import type { DemoResult } from './demo-first-result.js';
import type { DiagnosisResult } from './diagnose.js';
import type { LoadTimeResult, RequestSummary } from './load-time.js';
import type { Spread } from './stats.js';
import { SYSTEM_LABELS, type SystemKey } from './systems.js';
import type { ThroughputResult } from './throughput.js';
import type { WebGpuRow } from './webgpu.js';

/**
 * Everything one run produced.
 *
 * @example
 * ```ts
 * writeFileSync('results.json', JSON.stringify(results satisfies BrowserBenchResults));
 * ```
 */
export interface BrowserBenchResults {
  readonly environment: Record<string, string | number | boolean>;
  readonly command: string;
  readonly throughput: ThroughputResult[];
  readonly loads: LoadTimeResult[];
  readonly demo: DemoResult[];
  readonly webgpu: { model: string; texts: number; rows: WebGpuRow[] } | undefined;
  readonly diagnosis: DiagnosisResult | undefined;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const ratio = (s: Spread | undefined) => (s ? `${fixed(s.median, 2)}x (${fixed(s.min, 2)}–${fixed(s.max, 2)})` : '');
const rate = (s: Spread) => `${fixed(s.median, 1)} (${fixed(s.min, 1)}–${fixed(s.max, 1)})`;
const ms = (s: Spread) => `${fixed(s.median, 0)} (${fixed(s.min, 0)}–${fixed(s.max, 0)})`;
const label = (system: SystemKey) => SYSTEM_LABELS[system];

function throughputSection(results: readonly ThroughputResult[]): string {
  if (results.length === 0) return '';
  const lines: string[] = [
    '### Throughput (WASM)',
    '',
    'texts/s and the ratios are wall time. "renderer CPU ms per text" is the CPU time of the renderer process (page,',
    'its workers, ORT threads) per text: other processes barely change it, and time spent waiting (timers, worker',
    'messages) does not count in it. Ratios are medians of per-round ratios (same round, same machine load).',
    '',
  ];
  for (const result of results) {
    const unit = result.model.task === 'embed' ? 'texts/s' : 'sentences/s';
    const check = result.model.task === 'embed' ? 'max abs diff vs raw ORT batch 1' : 'found';
    lines.push(
      `**${result.model.label}** (${result.model.task === 'embed' ? 'embed, mean pooling' : 'tag'}; ${result.texts} texts, ${result.rounds} interleaved rounds; threads per system: ${Object.entries(
        result.threads,
      )
        .map(([s, t]) => `${s} ${t}`)
        .join(', ')}; dedicated workers per page: ${Object.entries(result.pageWorkers)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')})`,
      '',
      `| system | batch | ${unit}, median (min–max) | ÷ raw ORT, per run | ÷ Transformers.js, per run | renderer CPU ms per text | ${check} |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of result.rows) {
      const checkText = result.model.task === 'embed' ? row.check.toExponential(1) : String(row.check);
      lines.push(
        `| ${label(row.system)} | ${row.batch} | ${rate(row.textsPerSecond)} | ${ratio(row.vsRaw)} | ${ratio(row.vsTransformers)} | ${fixed(row.cpuMsPerText.median, 2)} | ${checkText} |`,
      );
    }
    for (const [system, error] of Object.entries(result.failed)) lines.push('', `${system} failed: ${error}`);
    lines.push('');
  }
  return lines.join('\n');
}

function requests(summary: RequestSummary): string {
  const parts = [`${summary.requests} req`];
  if (summary.heads) parts.push(`${summary.heads} HEAD`);
  if (summary.notFound) parts.push(`${summary.notFound}×404`);
  if (summary.notModified) parts.push(`${summary.notModified}×304`);
  parts.push(`${(summary.bytes / 1e6).toFixed(1)} MB`);
  return parts.join(', ');
}

function loadSection(results: readonly LoadTimeResult[]): string {
  if (results.length === 0) return '';
  const lines: string[] = [
    '### Load time: create → ready (WASM)',
    '',
    'Cold: a fresh browser profile (empty HTTP cache, Cache API and code cache). Warm: a second tab of the',
    'same browser right after. "create": the call of `createEmbedder` / `createTagger` / `client.create` /',
    '`pipeline()`; raw ORT: its fetches + `InferenceSession.create`. Requests: what the server saw during the load (last round).',
    '',
  ];
  for (const result of results) {
    lines.push(
      `**${result.model.label}** (${(result.model.onnxBytes / 1e6).toFixed(1)} MB ONNX; ${result.rounds} round(s), a browser each)`,
      '',
      '| system | cold ms, median (min–max) | ÷ raw ORT | warm ms, median (min–max) | ÷ raw ORT | cold requests | warm requests |',
      '| --- | ---: | ---: | ---: | ---: | --- | --- |',
    );
    for (const row of result.rows) {
      lines.push(
        `| ${label(row.system)} | ${ms(row.cold)} | ${ratio(row.coldVsRaw)} | ${ms(row.warm)} | ${ratio(row.warmVsRaw)} | ${requests(row.coldRequests)} | ${requests(row.warmRequests)} |`,
      );
    }
    for (const row of result.rows.filter((r) => r.errors.length > 0)) {
      lines.push('', `${label(row.system)} failed: ${row.errors.join('; ')}`);
    }
    const probes = result.rows
      .filter((r) => r.warmRequests.probes.length > 0)
      .map((r) => `${r.system}: ${r.warmRequests.probes.join(', ')}`);
    if (probes.length > 0) lines.push('', `Warm-load probes (HEAD or 404): ${probes.join('; ')}.`);
    lines.push('');
  }
  return lines.join('\n');
}

function demoSection(results: readonly DemoResult[]): string {
  if (results.length === 0) return '';
  const lines = [
    '### Demo: navigation → first entities (production build, embedded NER model)',
    '',
    '`vite build` of the demo (vite.config.ts), served cross-origin isolated; the bench clicks "Find entities" as soon as',
    'the NER tab is ready and reads `<html data-first-result-ms>` (demo/src/app/first-result.ts). Cold: fresh profile;',
    'warm: a new tab of the same browser once its service worker is active. Goals: warm ≤ 500 ms, cold ≤ 2000 ms.',
    '',
    '| URL | visit | first result ms, median (min–max) | app ready ms | model load ms (app) | first tag() ms | backend | SW controlled |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2
      ? (s[s.length >> 1] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  };
  for (const result of results) {
    for (const [visit, spreadOf, visits] of [
      ['cold', result.coldFirstResult, result.cold],
      ['warm', result.warmFirstResult, result.warm],
    ] as const) {
      lines.push(
        `| ${result.variant} | ${visit} | ${ms(spreadOf)} | ${fixed(med(visits.map((v) => v.appReadyMs)), 0)} | ${fixed(med(visits.map((v) => v.loadMs)), 0)} | ${fixed(med(visits.map((v) => v.firstRunMs)), 0)} | ${[...new Set(visits.map((v) => v.backend))].join('/')} | ${[...new Set(visits.map((v) => String(v.controlled)))].join('/')} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

function webgpuSection(webgpu: BrowserBenchResults['webgpu']): string {
  if (!webgpu) return '';
  const lines = [
    `### WebGPU (SwiftShader): correctness only, not speed`,
    '',
    `${webgpu.model}, ${webgpu.texts} SQuAD questions, one call per text and one call for all; vectors against raw ORT on WASM (fp32).`,
    'SwiftShader is a CPU emulation of a GPU: the times below say nothing about WebGPU speed.',
    '',
    '| system | ran on | max abs diff, batch 1 | max abs diff, batched | load ms (not speed) | run ms (not speed) | error |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of webgpu.rows) {
    lines.push(
      `| ${label(row.system)} | ${row.ranOn ?? ''} | ${row.maxDiffBatch1?.toExponential(1) ?? ''} | ${row.maxDiffBatched?.toExponential(1) ?? ''} | ${row.loadMs ?? ''} | ${row.runMs ?? ''} | ${row.error ?? ''} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

function diagnosisSection(diagnosis: DiagnosisResult | undefined, throughput: readonly ThroughputResult[]): string {
  if (!diagnosis) return '';
  const lines = ['### Diagnosis measurements', '', '**Platform probe** (probe.html, no library):', ''];
  lines.push('| measurement | value |', '| --- | ---: |');
  for (const [name, value] of Object.entries(diagnosis.probe)) lines.push(`| ${name} | ${fixed(value, 3)} |`);
  lines.push('', '**Batch 1: per-call cost and zero-delay timer lateness** (traced pass of 64 texts)', '');
  lines.push(
    '| model | system | ms per call | setTimeout(0) timers fired | mean lateness ms | timers ≥ 3.5 ms late |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const t of diagnosis.timers) {
    const s = t.system === 'bertweb-worker' ? t.workers : t.page;
    lines.push(
      `| ${t.model} | ${label(t.system)} | ${fixed(t.perCallMs, 2)} | ${s?.count ?? 0} | ${fixed(s?.meanMs ?? 0, 2)} | ${s?.over3_5ms ?? 0} |`,
    );
  }
  const gaps = throughput.map((result) => {
    const per = (system: SystemKey) => {
      const row = result.rows.find((r) => r.system === system && r.batch === 1);
      return row ? 1000 / row.textsPerSecond.median : Number.NaN;
    };
    return `${result.model.key}: bertweb ${fixed(per('bertweb'), 2)} ms, worker ${fixed(per('bertweb-worker'), 2)} ms, raw ORT ${fixed(per('ort'), 2)} ms, Transformers.js ${fixed(per('transformers'), 2)} ms`;
  });
  if (gaps.length > 0) lines.push('', `Per-call time at batch 1 in the throughput runs (median): ${gaps.join('; ')}.`);
  lines.push('', '**Main-thread CPU profiles of one batch-1 pass** (CDP Profiler, 100 µs sampling)', '');
  for (const p of diagnosis.profiles) {
    lines.push(
      `- ${p.model}, ${label(p.system)}: ${p.calls} calls, ${fixed(p.perCallMs, 2)} ms/call; ${p.categories
        .map((c) => `${c.name} ${fixed(c.ms, 0)} ms`)
        .join(', ')}. Top JS: ${p.top
        .slice(0, 8)
        .map((f) => `${f.name} ${fixed(f.ms, 1)}`)
        .join('; ')}`,
    );
  }
  lines.push(
    '',
    '**Starting ORT ahead of the load** (raw ORT; `?prewarm=1` creates a 70-byte Identity session at page start, the load',
    'starts once it is up; warm caches, medians of alternating pairs)',
    '',
    '| model | system | load ms, runtime not started | load ms, runtime started ahead | runtime start ms (page open → up) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...diagnosis.prewarm.map(
      (p) => `| ${p.model} | ${label(p.system)} | ${p.plainMs} | ${p.prewarmedMs} | ${p.runtimeStartMs} |`,
    ),
  );
  lines.push(
    '',
    '**Traced loads** (page and worker calls of fetch / Cache API / digest / WebAssembly, ms after "create";',
    'cache traffic of small JSON files left out; every span is in bench/.tmp/browser/results.json)',
    '',
  );
  const noise = /caches\.(has|open)|cache\.(match|put) \S+\.json|arrayBuffer \(\d{1,6} bytes\)/;
  for (const load of diagnosis.loads.filter((l) => l.system !== 'bertweb-worker')) {
    const entries = load.timeline.filter((e) => !noise.test(e.what) || /HEAD|404/.test(e.what));
    lines.push(
      `<details><summary>${load.model} ${label(load.system)}, ${load.phase}: ${load.ms} ms</summary>`,
      '',
      '| at ms | took ms | what |',
      '| ---: | ---: | --- |',
      ...entries.slice(0, 30).map((e) => `| ${Math.round(e.at)} | ${e.ms} | ${e.what.replace(/\|/g, '/')} |`),
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

/**
 * The "Browser (Chromium)" section.
 *
 * @example
 * ```ts
 * process.stdout.write(renderReport(results));
 * ```
 */
export function renderReport(results: BrowserBenchResults): string {
  const env = results.environment;
  const header = [
    '## Browser (Chromium)',
    '',
    `\`${results.command}\` (bench/browser.bench.ts, bench/browser/). 1-minute load average ${env.loadBefore} before the run,`,
    `${env.loadAfter} after (the bench's own browsers and server included). ${
      Number(env.loadBefore) > 1.5
        ? '**Preliminary**: other jobs shared the machine; read the ratios, not the absolute numbers.'
        : 'No other jobs ran; on 2 cores, read the ratios before the absolute numbers.'
    }`,
    '',
    `- Chromium ${env.chromium} (Debian, headless, e2e launch flags, fresh user-data-dir per browser), ${env.machine}`,
    `- Pages cross-origin isolated (COOP same-origin + COEP require-corp): crossOriginIsolated=${env.crossOriginIsolated}, navigator.hardwareConcurrency=${env.hardwareConcurrency};`,
    `  every system gets ${env.threads} WASM thread(s) (bertweb's default here: min(4, cores)); the tables show what each reported.`,
    `- bertweb (workspace sources), onnxruntime-web ${env.ortWeb} (bertweb's ORT and the raw rows), Transformers.js ${env.transformers} with its own onnxruntime-web ${env.tjsOrt}`,
    `- Inputs: the first ${env.texts} SQuAD v1.1 dev questions (embed), the first ${env.texts} factRuEval-2016 test sentences (tag); the same ONNX files for every system`,
    '- Rounds are interleaved (every system and batch once per round, rotating order); ratios are medians of per-round ratios.',
    '',
  ].join('\n');
  return [
    header,
    throughputSection(results.throughput),
    loadSection(results.loads),
    demoSection(results.demo),
    webgpuSection(results.webgpu),
    diagnosisSection(results.diagnosis, results.throughput),
  ]
    .filter(Boolean)
    .join('\n');
}
