/**
 * Tokenizer benchmark: bertweb's WordPiece vs @huggingface/tokenizers vs Transformers.js
 * AutoTokenizer on every SQuAD v1.1 dev context (same process, same machine, interleaved runs),
 * plus vocabulary load times and memory (30k real vocabulary, synthetic 120k and 500k).
 *
 *   node --conditions=source --import tsx bench/tokenizer.bench.ts [--runs N] [--json-only]
 *
 * Prints a JSON summary, then a Markdown table. Reads ../shared/data in place; exits 0 with a
 * message when it is absent. No network: Transformers.js loads the all-MiniLM-L6-v2 files from a
 * temporary local folder with remote models disabled.
 */

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { tokenizerFromJson, tokenizerFromVocab } from '../packages/core/src/tokenizer/index.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const jsonOnly = args.includes('--json-only');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Stats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly firstRunMs: number;
}

function stats(times: number[], first: number): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    medianMs: median,
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
    firstRunMs: first,
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A synthetic vocab.txt of `size` unique tokens (Latin, Cyrillic, CJK, `##` pieces) with BERT specials. */
function syntheticVocab(size: number): string {
  const random = rng(size);
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz',
    'абвгдежзийклмнопрстуфхцчшщыэюя',
    '的一是不了人我在有他这中大来上国个到说们',
  ];
  const seen = new Set<string>(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const lines = [...seen];
  while (lines.length < size) {
    const alphabet = alphabets[Math.floor(random() * alphabets.length)] as string;
    const length = 1 + Math.floor(random() * 10);
    let token = random() < 0.3 ? '##' : '';
    for (let i = 0; i < length; i++) token += alphabet[Math.floor(random() * alphabet.length)];
    if (seen.has(token)) continue;
    seen.add(token);
    lines.push(token);
  }
  return `${lines.join('\n')}\n`;
}

function memoryMb(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

/** Median load time and retained memory of building a tokenizer from vocab text. */
function measureVocabLoad(name: string, vocabText: string, repeats: number) {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    tokenizerFromVocab(vocabText);
    times.push(performance.now() - t0);
    const cpu = process.cpuUsage(c0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  gc();
  gc();
  const before = memoryMb();
  const t0 = performance.now();
  const kept = tokenizerFromVocab(vocabText);
  const once = performance.now() - t0;
  gc();
  gc();
  const after = memoryMb();
  const entries = kept.vocabSize;
  // Baselines: the least any JS tokenizer does (a Map of the lines), and @huggingface/tokenizers
  // building a WordPiece tokenizer over the same vocabulary (tokenizer.json already parsed).
  const lines = vocabText.split('\n').slice(0, -1);
  const mapTimes: number[] = [];
  const hfTimes: number[] = [];
  const hfJson = {
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: null,
    added_tokens: [],
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(lines.map((t, i) => [t, i])),
    },
  };
  for (let i = 0; i < repeats; i++) {
    let t0 = performance.now();
    const map = new Map<string, number>();
    for (let k = 0; k < lines.length; k++) map.set(lines[k] as string, k);
    mapTimes.push(performance.now() - t0);
    t0 = performance.now();
    new HfTokenizer(hfJson, {});
    hfTimes.push(performance.now() - t0);
  }
  return {
    name,
    entries,
    loadMs: stats(times, once),
    loadCpuMs: stats(cpuTimes, 0),
    baselineMapMs: round(stats(mapTimes, 0).medianMs),
    hfTokenizersConstructMs: round(stats(hfTimes, 0).medianMs),
    retainedMb: round(after - before, 1),
    rssMb: round(process.memoryUsage().rss / 1e6, 0),
    vocabTextMb: round((vocabText.length * 2) / 1e6, 1),
  };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(dataDir, 'squad/dev-v1.1.json'))) {
    console.log(`bench/tokenizer: ${dataDir} is absent (SQuAD and tokenizer files needed); nothing measured.`);
    return;
  }
  const modelDir = path.join(dataDir, 'tokenizers/all-MiniLM-L6-v2');
  const tokenizerJsonText = readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8');
  const tokenizerJson = JSON.parse(tokenizerJsonText);
  const tokenizerConfig = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
  const squad = JSON.parse(readFileSync(path.join(dataDir, 'squad/dev-v1.1.json'), 'utf8')) as {
    data: { paragraphs: { context: string }[] }[];
  };
  const contexts = squad.data.flatMap((a) => a.paragraphs.map((p) => p.context));
  const totalChars = contexts.reduce((n, c) => n + c.length, 0);

  // The three tokenizers, all from the same all-MiniLM-L6-v2 files; no truncation or padding.
  const bertweb = tokenizerFromJson(tokenizerJson, tokenizerConfig, {
    useSavedTruncation: false,
    useSavedPadding: false,
  });
  const hf = new HfTokenizer(tokenizerJson, tokenizerConfig);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bertweb-bench-'));
  mkdirSync(path.join(tmp, 'all-MiniLM-L6-v2'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'special_tokens_map.json']) {
    copyFileSync(path.join(modelDir, file), path.join(tmp, 'all-MiniLM-L6-v2', file));
  }
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${tmp}/`;
  const transformers = await AutoTokenizer.from_pretrained('all-MiniLM-L6-v2');

  const candidates: { name: string; offsets: boolean; run: () => number }[] = [
    {
      name: 'bertweb WordPieceTokenizer.encode',
      offsets: true,
      run: () => {
        let tokens = 0;
        for (const c of contexts) {
          const e = bertweb.encode(c);
          tokens += e.ids.length;
          if (e.offsets.length !== e.ids.length) throw new Error('offsets missing');
        }
        return tokens;
      },
    },
    {
      name: '@huggingface/tokenizers Tokenizer.encode',
      offsets: false,
      run: () => {
        let tokens = 0;
        for (const c of contexts) tokens += hf.encode(c).ids.length;
        return tokens;
      },
    },
    {
      name: 'Transformers.js AutoTokenizer.encode',
      offsets: false,
      run: () => {
        let tokens = 0;
        for (const c of contexts) tokens += transformers.encode(c).length;
        return tokens;
      },
    },
  ];

  // Interleaved rounds so machine load drifts hit every candidate alike; the first round is the
  // cold run (JIT warm-up included), reported separately and left out of the median.
  const times = candidates.map(() => [] as number[]);
  // CPU time too: on a shared machine, wall time also counts other processes' turns on the CPU.
  const cpuTimes = candidates.map(() => [] as number[]);
  const first: number[] = [];
  const tokenCounts: number[] = [];
  for (let round_ = 0; round_ <= runs; round_++) {
    candidates.forEach((candidate, i) => {
      gc();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const tokens = candidate.run();
      const dt = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      if (round_ === 0) {
        first[i] = dt;
        tokenCounts[i] = tokens;
      } else {
        times[i]?.push(dt);
        cpuTimes[i]?.push((cpu.user + cpu.system) / 1000);
      }
    });
  }
  const throughput = candidates.map((candidate, i) => {
    const s = stats(times[i] as number[], first[i] as number);
    const c = stats(cpuTimes[i] as number[], 0);
    const tokens = tokenCounts[i] as number;
    return {
      name: candidate.name,
      offsets: candidate.offsets,
      tokens,
      ms: { median: round(s.medianMs), min: round(s.minMs), max: round(s.maxMs), firstRun: round(s.firstRunMs) },
      cpuMs: { median: round(c.medianMs), min: round(c.minMs), max: round(c.maxMs) },
      charsPerCpuSec: round(totalChars / (c.medianMs / 1000), 0),
      charsPerSec: round(totalChars / (s.medianMs / 1000), 0),
      tokensPerSec: round(tokens / (s.medianMs / 1000), 0),
      charsPerSecRange: [round(totalChars / (s.maxMs / 1000), 0), round(totalChars / (s.minMs / 1000), 0)],
    };
  });
  const ours = throughput[0] as (typeof throughput)[number];
  const fastestOther = Math.max(...throughput.slice(1).map((t) => t.charsPerSec));
  const fastestOtherCpu = Math.max(...throughput.slice(1).map((t) => t.charsPerCpuSec));
  rmSync(tmp, { recursive: true, force: true });

  // Vocabulary loading.
  const realVocabText = readFileSync(path.join(dataDir, 'tokenizers/bert-base-uncased/vocab.txt'), 'utf8');
  const jsonLoad: number[] = [];
  for (let i = 0; i < 5; i++) {
    const parsed = JSON.parse(tokenizerJsonText);
    const t0 = performance.now();
    tokenizerFromJson(parsed, tokenizerConfig);
    jsonLoad.push(performance.now() - t0);
  }
  const vocabLoads = [
    measureVocabLoad('bert-base-uncased vocab.txt (real)', realVocabText, 5),
    measureVocabLoad('synthetic vocab.txt 120k (RuBERT size)', syntheticVocab(120_000), 5),
    measureVocabLoad('synthetic vocab.txt 500k (LaBSE size)', syntheticVocab(500_000), 3),
  ];

  const summary = {
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      loadavg: os.loadavg().map((x) => round(x, 2)),
    },
    corpus: { name: 'SQuAD v1.1 dev contexts', texts: contexts.length, chars: totalChars },
    runs,
    throughput,
    speedupVsFastestOther: round(ours.charsPerSec / fastestOther, 2),
    speedupVsFastestOtherCpuTime: round(ours.charsPerCpuSec / fastestOtherCpu, 2),
    tokenizerJsonLoadMs: stats(jsonLoad, jsonLoad[0] as number),
    vocabLoads,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (jsonOnly) return;
  const mchar = (x: number) => (x / 1e6).toFixed(2);
  const lines = [
    '',
    `SQuAD v1.1 dev contexts: ${contexts.length} texts, ${totalChars} chars; median of ${runs} runs after one cold run; Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)}.`,
    '',
    '| tokenizer | offsets | median ms | min–max ms | cold ms | M chars/s | M tokens/s | CPU ms (median) | M chars/CPU s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...throughput.map(
      (t) =>
        `| ${t.name} | ${t.offsets ? 'yes' : 'no (not supported)'} | ${t.ms.median} | ${t.ms.min}–${t.ms.max} | ${t.ms.firstRun} | ${mchar(t.charsPerSec)} | ${mchar(t.tokensPerSec)} | ${t.cpuMs.median} | ${mchar(t.charsPerCpuSec)} |`,
    ),
    '',
    `bertweb vs the faster of the others: ${summary.speedupVsFastestOther}x (wall), ${summary.speedupVsFastestOtherCpuTime}x (CPU time)`,
    '',
    '| vocabulary | entries | load median ms (min–max) | load CPU ms (median) | retained MB | baseline: Map of the lines, ms | @huggingface/tokenizers constructor, ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| all-MiniLM-L6-v2 tokenizer.json (parse excluded) | 30522 | ${round(summary.tokenizerJsonLoadMs.medianMs)} (${round(summary.tokenizerJsonLoadMs.minMs)}–${round(summary.tokenizerJsonLoadMs.maxMs)}) | – | – | – | – |`,
    ...vocabLoads.map(
      (v) =>
        `| ${v.name} | ${v.entries} | ${round(v.loadMs.medianMs)} (${round(v.loadMs.minMs)}–${round(v.loadMs.maxMs)}) | ${round(v.loadCpuMs.medianMs)} | ${v.retainedMb} | ${v.baselineMapMs} | ${v.hfTokenizersConstructMs} |`,
    ),
  ];
  console.log(lines.join('\n'));
}

await main();
