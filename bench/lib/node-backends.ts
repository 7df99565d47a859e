/**
 * What the Node benchmarks share to compare bertweb's backends with their peers: the two call shapes
 * (`single`: one input per call, `wide`: the whole list in one call), raw-ORT runs on bertweb's own
 * encodings and batches, the WASM child processes (one per thread count), rows and per-run ratios.
 */
import type { Encoding } from '@bertweb/core';
import { type ChildSystems, forkSystems, perRunRatio } from './child-systems.js';
import { median, type System } from './measure.js';

/**
 * Seconds per run of every function, after one warm-up call each, in interleaved rounds with a rotating
 * start (as `interleaved()` in measure.ts), plus an untimed pause after every run: onnxruntime's CPU
 * thread pools spin for a while after their work (its default), and a system whose pool still spins
 * would slow the next one, in this process or a child (on a 2-core machine, 2 WASM threads ran slower than
 * 1 in a child right after a native run, and 1.5-1.9x faster than 1 on their own).
 */
export async function interleavedSettled(
  runs: readonly (() => Promise<unknown>)[],
  rounds: number,
  pauseMs = 100,
): Promise<number[][]> {
  const settle = () => new Promise((resolve) => setTimeout(resolve, pauseMs));
  for (const run of runs) {
    await run();
    await settle();
  }
  const seconds: number[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const i = (k + r) % runs.length;
      const started = performance.now();
      await (runs[i] as () => Promise<unknown>)();
      (seconds[i] as number[]).push((performance.now() - started) / 1000);
      await settle();
    }
  }
  return seconds;
}

/** `single`: one input per call (how a page or a request handler calls); `wide`: every input in one call. */
export type Mode = 'single' | 'wide';

/** The batches a mode runs: one encoding per run (`single`), or length-sorted batches of `size` (`wide`). */
export function batchesOf(encodings: readonly Encoding[], mode: Mode, size: number): Encoding[][] {
  if (mode === 'single') return encodings.map((e) => [e]);
  const sorted = [...encodings].sort((a, b) => a.ids.length - b.ids.length);
  const batches: Encoding[][] = [];
  for (let i = 0; i < sorted.length; i += size) batches.push(sorted.slice(i, i + size));
  return batches;
}

/** The part of an ORT module (web or node) a raw run needs. */
export interface OrtLike {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}
/** The part of an ORT session a raw run needs. */
export interface SessionLike {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims?: readonly number[] }>>;
  readonly inputNames: readonly string[];
}

/**
 * Inference on pre-tokenized batches, padded to each batch's longest (no tokenization, no result objects):
 * the ceiling a library on that runtime can reach. `onOutputs` sees each batch's outputs (e.g. pooling).
 */
export async function rawInference(
  ort: OrtLike,
  session: SessionLike,
  batches: readonly (readonly Encoding[])[],
  onOutputs?: (outputs: Record<string, { data: unknown }>, batch: readonly Encoding[], length: number) => void,
): Promise<void> {
  const withTypes = session.inputNames.includes('token_type_ids');
  for (const batch of batches) {
    const len = Math.max(...batch.map((e) => e.ids.length));
    const ids = new BigInt64Array(batch.length * len);
    const mask = new BigInt64Array(batch.length * len);
    const types = withTypes ? new BigInt64Array(batch.length * len) : undefined;
    batch.forEach((e, r) => {
      e.ids.forEach((id, t) => {
        ids[r * len + t] = BigInt(id);
        mask[r * len + t] = 1n;
        if (types) types[r * len + t] = BigInt(e.typeIds[t] ?? 0);
      });
    });
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', ids, [batch.length, len]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, len]),
    };
    if (types) feeds.token_type_ids = new ort.Tensor('int64', types, [batch.length, len]);
    const outputs = await session.run(feeds);
    onOutputs?.(outputs, batch, len);
  }
}

/**
 * Forks one child per WASM thread count (the bench script itself with `--child wasm --threads N` and the
 * given arguments), one after another, and waits until each serves its systems.
 */
export async function forkWasmChildren(
  script: string,
  threadCounts: readonly number[],
  args: readonly string[],
): Promise<ChildSystems[]> {
  const children: ChildSystems[] = [];
  for (const threads of threadCounts) {
    children.push(await forkSystems(script, [...args, '--child', 'wasm', '--threads', String(threads)]));
  }
  return children;
}

/** The arguments of this process without the flags named (and their values), to pass on to a child. */
export function argsWithout(argv: readonly string[], drop: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (drop.includes(arg)) {
      if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Child systems are named `mode|name`: those of `mode`, with the prefix dropped. */
export function childSystemsOf(children: readonly ChildSystems[], mode: Mode): System[] {
  return children.flatMap((c) =>
    c.systems.filter((s) => s.name.startsWith(`${mode}|`)).map((s) => ({ ...s, name: s.name.slice(mode.length + 1) })),
  );
}

/** One table row: seconds per run and the rate of `units` per second. */
export interface Row {
  readonly group: string;
  readonly mode: Mode;
  readonly system: string;
  readonly seconds: number[];
  readonly perSecond: { median: number; min: number; max: number };
  readonly note?: string;
}

/** A row from the interleaved seconds of one system. */
export function makeRow(group: string, mode: Mode, system: System, seconds: readonly number[], units: number): Row {
  const rates = seconds.map((s) => units / s);
  return {
    group,
    mode,
    system: system.name,
    seconds: seconds.map((s) => Math.round(s * 10_000) / 10_000),
    perSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    ...(system.note ? { note: system.note } : {}),
  };
}

/** A ratio column: the median per-run ratio of `ours` over `theirs` (system name prefixes). */
export interface RatioSpec {
  readonly label: string;
  readonly ours: string;
  readonly theirs: string;
}

/** The ratio columns the Node benches report, for WASM thread counts `threads`. */
export function standardRatios(
  native: string,
  tjsNode: string,
  rawNode: string,
  wasm: (t: number) => string,
  rawWeb: (t: number) => string,
  threads: readonly number[],
): RatioSpec[] {
  const specs: RatioSpec[] = [
    { label: 'native vs Transformers.js node (goal >= 1)', ours: native, theirs: tjsNode },
    { label: 'native vs raw onnxruntime-node (goal >= 0.9)', ours: native, theirs: rawNode },
  ];
  for (const t of threads) {
    specs.push({ label: `WASM ${t} vs raw onnxruntime-web ${t}`, ours: wasm(t), theirs: rawWeb(t) });
    specs.push({ label: `native vs WASM ${t}`, ours: native, theirs: wasm(t) });
  }
  if (threads.includes(1) && threads.includes(2))
    specs.push({ label: 'WASM 2 threads vs 1', ours: wasm(2), theirs: wasm(1) });
  return specs;
}

/** Per group and mode, each ratio of `specs` (null where a system did not run). */
export function ratiosOf(
  rows: readonly Row[],
  specs: readonly RatioSpec[],
): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const { group, mode } of rows) {
    const key = `${group}/${mode}`;
    if (out[key]) continue;
    const find = (prefix: string) =>
      rows.find((r) => r.group === group && r.mode === mode && r.system.startsWith(prefix));
    out[key] = Object.fromEntries(
      specs.map((spec) => {
        const [ours, theirs] = [find(spec.ours), find(spec.theirs)];
        return [spec.label, ours && theirs ? Number(perRunRatio(ours.seconds, theirs.seconds).toFixed(3)) : null];
      }),
    );
  }
  return out;
}

/** The Markdown tables: every row, then the ratios. */
export function markdownTables(
  rows: readonly Row[],
  ratios: Record<string, Record<string, number | null>>,
  unit: string,
  digits = 1,
): string {
  const lines = [
    `| model/dtype | mode | system | ${unit}/s (median) | min–max | note |`,
    '| --- | --- | --- | ---: | --- | --- |',
  ];
  for (const r of rows) {
    const s = r.perSecond;
    lines.push(
      `| ${r.group} | ${r.mode} | ${r.system} | ${s.median.toFixed(digits)} | ${s.min.toFixed(digits)}–${s.max.toFixed(digits)} | ${r.note ?? ''} |`,
    );
  }
  const columns = [...new Set(Object.values(ratios).flatMap((g) => Object.keys(g)))];
  lines.push('', `| model/dtype/mode | ${columns.join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} |`);
  for (const [key, g] of Object.entries(ratios)) {
    lines.push(`| ${key} | ${columns.map((c) => g[c]?.toFixed(2) ?? '-').join(' | ')} |`);
  }
  return lines.join('\n');
}
