/**
 * The behaviour every head shares, as one Vitest suite each head's tests run on its own fixture:
 * option validation before anything loads or runs, null options, holes, abort, dispose, the output
 * rules (missing / misshapen -> MODEL_INVALID, non-finite -> RUNTIME) and the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertwebError } from '../../errors.js';
import { loadModel } from '../../runtime/model.js';
import type { LoadedModel, TensorOutput } from '../../runtime/types.js';
import type { ModelSource } from '../../sources/types.js';
import { connect } from '../../worker/connect.js';
import { serve } from '../../worker/serve.js';
import type { Head } from '../head.js';

/** How the suite drives one head. */
export interface HeadBehaviour<H extends Head> {
  /** Task name, e.g. `'tagger'`. */
  readonly name: string;
  /** A fixture model folder the head runs on. */
  readonly fixture: string;
  readonly create: (source: ModelSource | LoadedModel, options?: object | null) => Promise<H>;
  /**
   * A valid call on `count` inputs (texts, questions, ...), `options` passed as its options argument.
   * The suite compares results of two calls with `toEqual`.
   */
  readonly call: (head: H, count: number, options?: unknown) => Promise<unknown>;
  /** A call whose array argument is `items` (holes, non-strings...). */
  readonly callWith: (head: H, items: unknown[]) => Promise<unknown>;
  /** An output the head reads, to break in the model. */
  readonly output: string;
  /** A head option that is valid on the fixture, to check it survives the worker. */
  readonly validOption?: Readonly<Record<string, unknown>>;
}

type Infer = LoadedModel['infer'];

/** The model with `infer` observed, and optionally its outputs altered. */
function wrap(
  model: LoadedModel,
  onInfer: () => void,
  alter?: (outputs: Record<string, TensorOutput>[]) => Record<string, TensorOutput>[],
): LoadedModel {
  const infer: Infer = async (encodings, options) => {
    onInfer();
    const outputs = await model.infer(encodings, options);
    return alter ? alter(outputs) : outputs;
  };
  return Object.assign(Object.create(model) as LoadedModel, { infer, dispose: async () => {} });
}

const invalid = (pattern: RegExp) =>
  expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringMatching(pattern) });

/**
 * Runs the shared behaviour suite for one head.
 *
 * @example
 * ```ts
 * describeHeadBehaviour({ name: 'tagger', fixture: BERT, create: createTagger,
 *   call: (t, n, o) => t.tag(Array(n).fill('Anna'), o as TagOptions), callWith: (t, items) => t.tag(items as string[]),
 *   output: 'logits' });
 * ```
 */
export function describeHeadBehaviour<H extends Head>(spec: HeadBehaviour<H>): void {
  describe(`${spec.name}: shared head behaviour`, () => {
    let model: LoadedModel;
    let head: H;
    let infers = 0;
    let observed: LoadedModel;
    beforeAll(async () => {
      model = await loadModel(spec.fixture, { backend: 'wasm' });
      observed = wrap(model, () => infers++);
      head = await spec.create(observed);
    });
    afterAll(async () => {
      await head.dispose();
      await model.dispose();
    });

    it('checks factory options before loading anything: null is the defaults, unknown or wrong ones are INPUT_INVALID', async () => {
      let fetches = 0;
      const fetch = (async () => {
        fetches++;
        return new Response('nope', { status: 404 });
      }) as typeof globalThis.fetch;
      const source = 'owner/never-downloaded';
      await expect(spec.create(source, { fetch, cache: false, frobnicate: 1 })).rejects.toEqual(invalid(/frobnicate/));
      await expect(spec.create(source, { fetch, cache: false, backend: 'gpu' })).rejects.toEqual(invalid(/backend/));
      await expect(spec.create(source, { fetch, cache: false, maxInputsPerCall: 0 })).rejects.toEqual(
        invalid(/maxInputsPerCall/),
      );
      await expect(spec.create(source, { fetch, cache: false, signal: {} })).rejects.toEqual(invalid(/signal/));
      await expect(spec.create(source, { fetch, cache: false, onProgress: 'x' })).rejects.toEqual(
        invalid(/onProgress/),
      );
      await expect(spec.create(source, 'options' as unknown as object)).rejects.toEqual(invalid(/options/));
      expect(fetches).toBe(0);
      await expect(spec.create(source, { fetch, cache: false, signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      expect(fetches).toBe(0);
      const withNull = await spec.create(observed, null);
      expect(await spec.call(withNull, 2, null)).toEqual(await spec.call(head, 2));
      await withNull.dispose();
    });

    it('checks call options before running: unknown keys, bad signals and callbacks are INPUT_INVALID', async () => {
      const before = infers;
      await expect(spec.call(head, 1, { frobnicate: true })).rejects.toEqual(invalid(/frobnicate/));
      await expect(spec.call(head, 1, { signal: {} })).rejects.toEqual(invalid(/signal/));
      await expect(spec.call(head, 1, { onProgress: 42 })).rejects.toEqual(invalid(/onProgress/));
      await expect(spec.call(head, 1, 'fast')).rejects.toEqual(invalid(/options/));
      expect(infers).toBe(before);
    });

    it('rejects arrays with holes and non-string items as INPUT_INVALID, without running', async () => {
      const before = infers;
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
      await expect(spec.callWith(head, [, 'a'])).rejects.toEqual(invalid(/\[0\]/));
      await expect(spec.callWith(head, ['a', 3])).rejects.toEqual(invalid(/\[1\]/));
      await expect(spec.callWith(head, 'a' as unknown as unknown[])).rejects.toEqual(invalid(/array/));
      expect(infers).toBe(before);
    });

    it('aborts with ABORTED, before a call and between its inference calls', async () => {
      const before = infers;
      await expect(spec.call(head, 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(infers).toBe(before);
      const small = await spec.create(observed, { maxInputsPerCall: 1 });
      const controller = new AbortController();
      const run = spec.call(small, 6, { signal: controller.signal, onProgress: () => controller.abort() });
      await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
      await small.dispose();
    });

    it('is DISPOSED after dispose() and leaves a borrowed model alone; an owned model is freed', async () => {
      const borrowed = await spec.create(observed);
      await borrowed.dispose();
      await borrowed.dispose();
      await expect(spec.call(borrowed, 1)).rejects.toMatchObject({ code: 'DISPOSED' });
      expect(model.disposed).toBe(false);
      const owned = await spec.create(spec.fixture, { backend: 'wasm' });
      await owned.dispose();
      await expect(spec.call(owned, 1)).rejects.toMatchObject({ code: 'DISPOSED' });
    });

    it('reports a missing or misshapen output as MODEL_INVALID and a non-finite one as RUNTIME', async () => {
      const alterWith = (change: (o: TensorOutput | undefined) => TensorOutput | undefined) =>
        wrap(
          model,
          () => {},
          (outputs) =>
            outputs.map((record) => {
              const { [spec.output]: target, ...rest } = record;
              const changed = change(target);
              return changed ? { ...rest, [spec.output]: changed } : rest;
            }),
        );
      // Heads that probe the model at creation fail there already; the others at the first call.
      const createAndCall = async (broken: LoadedModel) => spec.call(await spec.create(broken), 1);
      await expect(createAndCall(alterWith(() => undefined))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
      const misshapen = alterWith((o) => (o ? { data: o.data.subarray(1), dims: [o.data.length - 1] } : o));
      await expect(createAndCall(misshapen)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
      const nan = await spec.create(
        alterWith((o) => (o ? { data: o.data.map((v, i) => (i === 0 ? Number.NaN : v)), dims: o.dims } : o)),
      );
      await expect(spec.call(nan, 1)).rejects.toMatchObject({ code: 'RUNTIME' });
    });

    it('behaves the same through a worker: results, data properties, error codes', async () => {
      const channel = new MessageChannel();
      serve({ [spec.name]: spec.create }, channel.port1);
      const client = connect<Record<string, HeadBehaviour<H>['create']>>(channel.port2);
      try {
        const options = { backend: 'wasm', ...(spec.validOption ?? {}) };
        const remote = (await client.create(spec.name, spec.fixture, options)) as unknown as H;
        const local = await spec.create(spec.fixture, options);
        const data = (h: object) =>
          Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v !== 'function' && v !== undefined));
        expect(data(remote)).toEqual(data(local));
        expect(await spec.call(remote, 3)).toEqual(await spec.call(local, 3));
        const error = (await spec.call(remote, 1, { frobnicate: 1 }).catch((e: unknown) => e)) as BertwebError;
        expect(error).toMatchObject({ name: 'BertwebError', code: 'INPUT_INVALID' });
        await expect(client.create(spec.name, spec.fixture, { frobnicate: 1 })).rejects.toMatchObject({
          code: 'INPUT_INVALID',
        });
        await remote.dispose();
        await expect(spec.call(remote, 1)).rejects.toMatchObject({ code: 'DISPOSED' });
        await local.dispose();
      } finally {
        client.terminate();
        channel.port1.close();
        channel.port2.close();
      }
    });
  });
}
