/**
 * The head skeleton: what every head (tagger, reader, embedder, classifier, ranker) does the same way,
 * written once. A head supplies its option names, how its settings follow from the model, how a text
 * becomes encodings and how outputs become results; {@link defineHead} and {@link ModelHead} do the rest:
 * - a source or an already loaded model (a borrowed model is never disposed by the head);
 * - option validation before anything loads (unknown keys, types, ranges);
 * - chunked inference with one policy ({@link HEAD_DEFAULTS}): at most `maxInputsPerCall` encodings and
 *   `maxTokensPerCall` tokens go to `model.infer` per call, so memory stays bounded for any input and an
 *   abort is honoured between calls;
 * - one rule per failure: an output the model did not return, or of the wrong shape, is `MODEL_INVALID`;
 *   a non-finite value in an output is `RUNTIME`; calls after `dispose()` are `DISPOSED`;
 * - liveness, `dispose()` and the `backend` report.
 */
import { BertwebError, isBertwebError, throwIfAborted } from '../errors.js';
import { HEAD_SETTINGS_FILE, type ModelTask } from '../layout.js';
import { checkLoadOptions, LOAD_OPTION_KEYS } from '../runtime/load-options.js';
import { isLoadedModel } from '../runtime/loaded-model.js';
import { type ExtraRead, loadModelWith, readModelExtra } from '../runtime/model.js';
import type { BackendReport, LoadedModel, LoadModelOptions, ModelInfo, TensorOutput } from '../runtime/types.js';
import type { ModelFiles, ModelSource, ProgressCallback } from '../sources/types.js';
import type { Encoding } from '../tokenizer/types.js';
import * as check from './validate.js';

/**
 * What every head has, in-thread and through a worker.
 *
 * @example
 * ```ts
 * const head: Head = await createTagger('/models/ner-ru-tiny/');
 * console.log(head.backend.backend, head.info.task);
 * await head.dispose();
 * ```
 */
export interface Head {
  /** What config.json says about the model. */
  readonly info: ModelInfo;
  /** Backend, dtype and file in use, and why they were chosen. */
  readonly backend: BackendReport;
  /** Frees the model when the head loaded it (a borrowed model stays usable); later calls reject with `DISPOSED`. */
  dispose(): Promise<void>;
}

/**
 * Options every head method accepts.
 *
 * @example
 * ```ts
 * await tagger.tag(texts, { signal: AbortSignal.timeout(10_000), onProgress: (e) => bar(e.loaded / e.total) });
 * ```
 */
export interface CallOptions {
  /** Cancels the call: it rejects with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called after each inference call with `{ status: 'progress', file: <what is counted>, loaded, total }`. */
  readonly onProgress?: ProgressCallback;
}

/**
 * Options every head factory accepts: model loading plus the inference chunking.
 *
 * @example
 * ```ts
 * const tagger = await createTagger(source, { backend: 'wasm', maxInputsPerCall: 64 });
 * ```
 */
export interface HeadOptions extends LoadModelOptions {
  /** Most encodings (texts, windows) per `model.infer` call. Default {@link HEAD_DEFAULTS}.maxInputsPerCall. */
  readonly maxInputsPerCall?: number;
  /** Most tokens per `model.infer` call (at least one encoding always goes). Default {@link HEAD_DEFAULTS}.maxTokensPerCall. */
  readonly maxTokensPerCall?: number;
}

/**
 * The chunking every head uses. 256 encodings: the batcher sorts one call's encodings by length, so
 * larger calls pad less (1,000 factRuEval sentences: 86% padding in calls of 64 windows, 21% in calls of
 * 256). 16,384 tokens: bounds what a call holds (for an embedder, 16k tokens x 768 floats = 48 MB of
 * hidden states) however long the input.
 *
 * @example
 * ```ts
 * HEAD_DEFAULTS.maxTokensPerCall; // 16384
 * ```
 */
export const HEAD_DEFAULTS: { readonly maxInputsPerCall: number; readonly maxTokensPerCall: number } = {
  maxInputsPerCall: 256,
  maxTokensPerCall: 16_384,
};

/** The option keys of {@link HeadOptions} (loading included). */
export const HEAD_OPTION_KEYS: readonly string[] = [...LOAD_OPTION_KEYS, 'maxInputsPerCall', 'maxTokensPerCall'];

/** The option keys of {@link CallOptions}. */
export const CALL_OPTION_KEYS: readonly string[] = ['signal', 'onProgress'];

/**
 * What a head is built from (made by {@link defineHead}, passed to the {@link ModelHead} constructor).
 *
 * @example
 * ```ts
 * class MyHead extends ModelHead { constructor(context: HeadContext) { super(context); } }
 * ```
 */
export interface HeadContext {
  readonly model: LoadedModel;
  /** True when the head loaded the model itself (and so disposes it). */
  readonly owned: boolean;
  /** Name used in messages: `'tagger'`, `'reader'`, ... */
  readonly kind: string;
  readonly maxInputsPerCall: number;
  readonly maxTokensPerCall: number;
}

/**
 * Expected outputs of a call: output name -> its dims for one job (without the batch axis).
 *
 * @example
 * ```ts
 * const shapes: OutputShapes<Job> = { logits: (job) => [job.encoding.ids.length, numLabels] };
 * ```
 */
export type OutputShapes<J> = Readonly<Record<string, (job: J) => readonly number[]>>;

/** How a head turns its jobs into inference calls (see {@link ModelHead.runJobs}). */
export interface JobRun<J> {
  /** The encoding of a job. */
  readonly encoding: (job: J) => Encoding;
  /** The outputs to fetch and their shapes. */
  readonly outputs: OutputShapes<J>;
  /** Receives each job's checked outputs, in job order. */
  readonly consume: (job: J, outputs: Readonly<Record<string, TensorOutput>>, index: number) => void;
  /** What progress events count (`file` of the event), e.g. `'windows'`. */
  readonly unit: string;
}

/**
 * Base class of every head: liveness, `dispose()`, the backend report, validated call options and
 * chunked inference. Subclasses add their methods and keep the model private.
 *
 * @example
 * ```ts
 * class Echo extends ModelHead {
 *   async ids(texts: readonly string[], options?: CallOptions | null) {
 *     const { signal } = this.begin(options, CALL_OPTION_KEYS);
 *     return check.strings(texts, 'texts').map((t) => this.model.tokenizer.encode(t).ids);
 *   }
 * }
 * ```
 */
export abstract class ModelHead implements Head {
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  readonly #model: LoadedModel;
  readonly #owned: boolean;
  readonly #kind: string;
  readonly #maxInputsPerCall: number;
  readonly #maxTokensPerCall: number;
  #disposed = false;

  /**
   * `properties` become the head's own data properties (its settings: labels, maxLength, ...): what a
   * worker snapshots for the remote proxy.
   */
  protected constructor(context: HeadContext, properties: object = {}) {
    Object.assign(this, properties);
    this.#model = context.model;
    this.#owned = context.owned;
    this.#kind = context.kind;
    this.#maxInputsPerCall = context.maxInputsPerCall;
    this.#maxTokensPerCall = context.maxTokensPerCall;
    this.info = context.model.info;
    this.backend = context.model.backend;
  }

  /** The model this head runs. */
  protected get model(): LoadedModel {
    return this.#model;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#owned) await this.#model.dispose();
  }

  /**
   * Starts a call: `DISPOSED` after `dispose()`, validated options (`null` / `undefined` are the
   * defaults; unknown keys, a non-signal `signal` and a non-function `onProgress` are `INPUT_INVALID`),
   * `ABORTED` when the signal has fired already.
   */
  protected begin<O extends CallOptions>(options: O | null | undefined, known: readonly string[]): O {
    this.assertAlive();
    const opts = check.options(options, 'options', known);
    check.abortSignal(opts.signal, 'signal');
    check.callback(opts.onProgress, 'onProgress');
    throwIfAborted(opts.signal);
    return opts;
  }

  /** `DISPOSED` once the head was disposed. */
  protected assertAlive(): void {
    if (this.#disposed) throw new BertwebError('DISPOSED', `this ${this.#kind} was disposed`);
  }

  /**
   * Runs jobs through the model in calls of bounded size, checking every output ({@link OutputShapes}),
   * honouring the signal between calls and reporting progress after each call.
   */
  protected async runJobs<J>(jobs: readonly J[], run: JobRun<J>, call: CallOptions): Promise<void> {
    const names = Object.keys(run.outputs);
    const calls = planCalls(
      jobs.map((job) => run.encoding(job).ids.length),
      this.#maxInputsPerCall,
      this.#maxTokensPerCall,
    );
    for (const [from, to] of calls) {
      throwIfAborted(call.signal);
      const chunk = jobs.slice(from, to);
      const results = await this.#model.infer(
        chunk.map((job) => run.encoding(job)),
        { outputs: names, ...(call.signal ? { signal: call.signal } : {}) },
      );
      this.assertAlive();
      if (results.length !== chunk.length) {
        throw new BertwebError(
          'MODEL_INVALID',
          `the model returned ${results.length} results for ${chunk.length} inputs`,
        );
      }
      chunk.forEach((job, k) => {
        run.consume(job, checkOutputs(results[k] ?? {}, run.outputs, job), from + k);
      });
      call.onProgress?.({ status: 'progress', file: run.unit, loaded: to, total: jobs.length });
    }
  }
}

/**
 * A head factory, as {@link defineHead} makes it: a source or a loaded model, and options (`null` = defaults).
 *
 * @example
 * ```ts
 * export const createTagger: HeadFactory<TaggerOptions, Tagger> = defineHead({ ... });
 * ```
 */
export type HeadFactory<O, H> = (source: ModelSource | LoadedModel, options?: O | null) => Promise<H>;

/** `MODEL_INVALID` for a model of a task the head refuses, or without an output it reads. */
function checkModelFits(
  model: LoadedModel,
  definition: Pick<HeadDefinition<HeadOptions, unknown, unknown>, 'kind' | 'outputs' | 'refuses'>,
): void {
  const { task } = model.info;
  if (definition.refuses?.includes(task)) {
    throw new BertwebError('MODEL_INVALID', `this is a ${task} model: a ${definition.kind} cannot run it`, { task });
  }
  const missing = definition.outputs.filter((name) => !model.outputNames.includes(name));
  if (missing.length > 0) {
    throw new BertwebError(
      'MODEL_INVALID',
      `a ${definition.kind} needs the ${definition.outputs.join(' and ')} output(s); the model has ${model.outputNames.join(', ')}`,
      { missing, outputs: [...model.outputNames] },
    );
  }
}

/** A model's `head_settings.json` (see `HEAD_SETTINGS_FILE`). */
interface RecordedSettings {
  readonly head: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The folder's `head_settings.json`, checked for shape; `undefined` when there is none. */
async function readRecordedSettings(files: ModelFiles, signal: AbortSignal): Promise<RecordedSettings | undefined> {
  if (!(await files.exists(HEAD_SETTINGS_FILE, { signal }))) return undefined;
  const value = await files.json<unknown>(HEAD_SETTINGS_FILE, { signal });
  const record = value as { head?: unknown; options?: unknown } | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.head !== 'string' ||
    typeof record.options !== 'object' ||
    record.options === null ||
    Array.isArray(record.options)
  ) {
    throw new BertwebError('MODEL_INVALID', `${HEAD_SETTINGS_FILE} must be {"head": "<name>", "options": {...}}`, {
      file: HEAD_SETTINGS_FILE,
    });
  }
  return { head: record.head, options: record.options as Record<string, unknown> };
}

/**
 * The options a head runs with: what the model's `head_settings.json` records for this head, then the
 * caller's explicit options over them. Recorded options are checked like explicit ones; a bad one is the
 * model's fault (`MODEL_INVALID`, naming the file).
 */
function withRecordedDefaults<O extends HeadOptions>(
  options: O,
  recorded: RecordedSettings | undefined,
  definition: Pick<HeadDefinition<O, unknown, unknown, unknown>, 'kind' | 'options' | 'check'>,
): O {
  if (!recorded || recorded.head !== definition.kind) return options;
  let defaults: O;
  try {
    defaults = check.options(recorded.options as O, HEAD_SETTINGS_FILE, definition.options);
    definition.check?.(defaults);
  } catch (error) {
    if (!isBertwebError(error, 'INPUT_INVALID')) throw error;
    throw new BertwebError('MODEL_INVALID', `${HEAD_SETTINGS_FILE}: ${error.message}`, {
      ...error.details,
      file: HEAD_SETTINGS_FILE,
    });
  }
  const explicit = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const merged = { ...defaults, ...explicit } as O;
  definition.check?.(merged);
  return merged;
}

/** The keys of `value` that are in `keys` (the loading options out of a head's options). */
function pick<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (key in value) picked[key] = (value as Record<string, unknown>)[key];
  return picked as Partial<T>;
}

/**
 * Names of {@link ModelHead}'s protected helpers: runtime methods a worker must not expose as head
 * methods (`serve` skips them).
 */
export const HEAD_INTERNALS: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(ModelHead.prototype).filter((name) => name !== 'dispose' && name !== 'constructor'),
);

/**
 * Cuts a list of encodings (given by their token counts) into calls of at most `maxInputs` encodings and
 * `maxTokens` tokens, in order; an encoding longer than `maxTokens` goes alone.
 *
 * @example
 * ```ts
 * planCalls([10, 10, 10], 2, 100); // [[0, 2], [2, 3]]
 * ```
 */
export function planCalls(lengths: readonly number[], maxInputs: number, maxTokens: number): [number, number][] {
  const calls: [number, number][] = [];
  let from = 0;
  while (from < lengths.length) {
    let to = from + 1;
    let tokens = lengths[from] as number;
    while (to < lengths.length && to - from < maxInputs && tokens + (lengths[to] as number) <= maxTokens) {
      tokens += lengths[to] as number;
      to++;
    }
    calls.push([from, to]);
    from = to;
  }
  return calls;
}

/** The one rule for outputs: missing or misshapen is `MODEL_INVALID`, non-finite is `RUNTIME`. */
function checkOutputs<J>(
  record: Readonly<Record<string, TensorOutput>>,
  shapes: OutputShapes<J>,
  job: J,
): Readonly<Record<string, TensorOutput>> {
  for (const [name, shapeOf] of Object.entries(shapes)) {
    const output = record[name];
    if (!output) throw new BertwebError('MODEL_INVALID', `the model returned no ${name} output`, { output: name });
    const expected = shapeOf(job);
    const size = expected.reduce((a, b) => a * b, 1);
    if (
      output.dims.length !== expected.length ||
      output.dims.some((d, i) => d !== expected[i]) ||
      output.data.length !== size
    ) {
      throw new BertwebError(
        'MODEL_INVALID',
        `the model's ${name} has shape [${output.dims.join(', ')}], expected [${expected.join(', ')}]`,
        { output: name, dims: [...output.dims], expected: [...expected] },
      );
    }
    const data = output.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i] as number)) {
        throw new BertwebError('RUNTIME', `the model produced ${data[i]} in ${name} (at value ${i})`, {
          output: name,
          index: i,
        });
      }
    }
  }
  return record;
}

/**
 * How one head is made from a model (see {@link defineHead}).
 *
 * @example
 * ```ts
 * const definition: HeadDefinition<MyOptions, MySettings, MyHead> = {
 *   kind: 'echo',
 *   options: ['prefix'],
 *   settle: (model, options) => ({ prefix: options.prefix ?? '' }),
 *   create: (context, settings) => new MyHead(context, settings),
 * };
 * ```
 */
export interface HeadDefinition<O extends HeadOptions, S, H, R = undefined> {
  /** Name in messages and the worker: `'tagger'`. */
  readonly kind: string;
  /** The head's own option keys (loading and chunking keys are added). */
  readonly options: readonly string[];
  /** Graph outputs the head reads: a model without one of them is `MODEL_INVALID`. */
  readonly outputs: readonly string[];
  /** Tasks of models the head cannot run (a tagger cannot run a question-answering model): `MODEL_INVALID`. */
  readonly refuses?: readonly ModelTask[];
  /** Type checks of the head's options that need no model, run before anything loads. */
  readonly check?: (options: O) => void;
  /**
   * The head's own files (`crf.json`, `1_Pooling/config.json`, ...), read as part of the model's load:
   * concurrently with the weights, under the same cancellation, and repaired like the model's files (a
   * `MODEL_INVALID` thrown here discards the unverified copies it read and reads them once more). Parse
   * and validate inside it. Its result goes to `settle`.
   */
  readonly read?: (options: O) => ExtraRead<R>;
  /** The head's settings from the model, the options and what `read` returned (labels, limits, CRF, pooling...). */
  readonly settle: (model: LoadedModel, options: O, read: R) => Promise<S> | S;
  /** Builds the head. */
  readonly create: (context: HeadContext, settings: S) => H;
}

/**
 * Makes a head factory: `(source | loadedModel, options?) => Promise<head>`. Options are validated
 * before anything loads; a model the factory loaded is disposed again when settling fails.
 *
 * @example
 * ```ts
 * export const createEcho = defineHead(definition);
 * const echo = await createEcho('models/fixtures/bert-base', { prefix: '> ' });
 * ```
 */
export function defineHead<O extends HeadOptions, S, H, R = undefined>(
  definition: HeadDefinition<O, S, H, R>,
): HeadFactory<O, H> {
  const known = [...HEAD_OPTION_KEYS, ...definition.options];
  return async (source, options) => {
    const opts = check.options(options, 'options', known);
    const loadOptions = pick(opts, LOAD_OPTION_KEYS);
    checkLoadOptions(loadOptions);
    const maxInputsPerCall = check.int(opts.maxInputsPerCall, 'maxInputsPerCall', 1) ?? HEAD_DEFAULTS.maxInputsPerCall;
    const maxTokensPerCall = check.int(opts.maxTokensPerCall, 'maxTokensPerCall', 1) ?? HEAD_DEFAULTS.maxTokensPerCall;
    definition.check?.(opts);
    throwIfAborted(opts.signal);
    const headRead = definition.read?.(opts);
    const extra: ExtraRead<{ readonly head: R; readonly recorded: RecordedSettings | undefined }> = async (ctx) => {
      const [head, recorded] = await Promise.all([
        headRead ? headRead(ctx) : (undefined as R),
        readRecordedSettings(ctx.files, ctx.signal),
      ]);
      return { head, recorded };
    };
    const owned = !isLoadedModel(source);
    const { model, extra: read } = isLoadedModel(source)
      ? { model: source, extra: await readModelExtra(source, extra, opts.signal) }
      : await loadModelWith(source, loadOptions, extra, definition.kind);
    try {
      checkModelFits(model, definition);
      const merged = withRecordedDefaults(opts, read.recorded, definition);
      const settings = await definition.settle(model, merged, read.head);
      throwIfAborted(opts.signal);
      return definition.create({ model, owned, kind: definition.kind, maxInputsPerCall, maxTokensPerCall }, settings);
    } catch (error) {
      if (owned) await model.dispose();
      throw error;
    }
  };
}
