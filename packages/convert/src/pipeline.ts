/**
 * The conversion pipeline shared by Node ({@link ./node.ts}) and the browser ({@link ./convert-files.ts}):
 * checkpoint + base model -> config.json, tokenizer files, crf.json and the ONNX variants, written through
 * an {@link OutputSink}.
 */
import {
  architectureName,
  BertwebError,
  DTYPE_FILES,
  DTYPES,
  type Dtype,
  type ModelTask,
  SENTENCE_TRANSFORMERS_FILES,
  TOKENIZER_FILES,
  throwIfAborted,
} from './core.js';
import { readAll } from './io/byte-source.js';
import type { BaseModelFiles } from './io/file-set.js';
import { MAX_JSON_BYTES, parseJsonObject } from './io/json.js';
import type { Checkpoint } from './model/checkpoint.js';
import { configFamily, configTask, type EncoderConfig, parseEncoderConfig, parseTask } from './model/config.js';
import { sentenceTransformersFiles } from './model/sentence-modules.js';
import { readFloat32, type TensorRef } from './model/tensor.js';
import { mapWeights } from './model/weights.js';
import { buildBertGraph, Q8_MODES, type Q8Mode } from './onnx/bert-graph.js';
import type { Chunk } from './onnx/proto.js';

/**
 * Files copied into the output as they are (from the checkpoint, else from the base model): the tokenizer
 * and the sentence-transformers pooling setup.
 */
export const COPIED_FILES: readonly string[] = [...TOKENIZER_FILES, ...SENTENCE_TRANSFORMERS_FILES];

/**
 * Progress of a conversion: `read` once the checkpoint is opened and checked (nothing written yet),
 * `write` after each tensor payload, `done` at the end.
 *
 * @example
 * ```ts
 * onProgress: (e) => bar.set(e.fraction) // 0 at 'read', 1 at 'done'
 * ```
 */
export interface ConvertProgress {
  readonly stage: 'read' | 'write' | 'done';
  /** Share of all output bytes written so far, 0..1 (tensor payloads are most of it). */
  readonly fraction: number;
  /** Output file being written. */
  readonly file?: string;
  /** Bytes written of that file, and its size. */
  readonly loaded?: number;
  readonly total?: number;
}

/** Options common to every entry point. */
export interface ConvertOptions {
  /** Variants to write; default all four. */
  readonly dtypes?: readonly Dtype[];
  /** `auto` (default) or a task / alias (`ner`, `qa`, `classify`, `base`). */
  readonly task?: ModelTask | 'auto' | string;
  /**
   * Tensors that are neither used nor known to be safe to drop (pretraining heads, buffers) mean the
   * graph would compute something other than the checkpoint: `MODEL_INVALID` by default; with this flag,
   * a warning.
   */
  readonly allowExtraTensors?: boolean;
  /**
   * q8 matmul style; default `per-row` (each token's activations quantized on their own, so results do not
   * depend on the batch or padding). `dynamic` is the older per-tensor graph.
   */
  readonly q8Mode?: Q8Mode;
  /** q4 MatMulNBits accuracy_level; default 4. */
  readonly q4AccuracyLevel?: number;
  /** Quantize the word embeddings in q8/q4 (default true: they are most of a multilingual model). */
  readonly quantizeEmbeddings?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ConvertProgress) => void;
}

/**
 * Where output files go: a temp folder in Node, memory (bytes or Blobs) in the browser, or the caller's
 * own store (a cache being filled). `write` receives each file as chunks whose lazy payloads (one tensor
 * each) are produced only when the sink asks for them, in order: pass them to `writeChunks` and write
 * each piece out before the next is made, and no more than one tensor is in memory at a time.
 *
 * @example
 * ```ts
 * const sink: OutputSink = {
 *   async write(name, chunks, size) {
 *     await writeChunks(chunks, (bytes) => store.append(name, bytes));
 *   },
 * };
 * ```
 */
export interface OutputSink {
  /** Writes one file of `size` bytes from chunks (lazy tensor payloads are produced one at a time). */
  write(name: string, chunks: readonly Chunk[], size: number): Promise<void>;
}

/** What a conversion produced. */
export interface ConvertSummary {
  readonly family: EncoderConfig['family'];
  readonly task: ModelTask;
  readonly encoder: EncoderConfig;
  /** id -> label for classification heads. */
  readonly labels?: readonly string[];
  /** Output files with sizes in bytes. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** Checkpoint tensors not used on purpose (pretraining heads, buffers, optimizer state is never listed). */
  readonly ignoredTensors: readonly string[];
  readonly warnings: readonly string[];
}

const TEXT = new TextEncoder();

function json(value: unknown): Uint8Array {
  return TEXT.encode(`${JSON.stringify(value, null, 2)}\n`);
}

async function readConfig(base: BaseModelFiles | undefined): Promise<Record<string, unknown> | undefined> {
  if (!base || !(await base.exists('config.json'))) return undefined;
  const bytes = await base.bytes('config.json');
  if (bytes.byteLength > MAX_JSON_BYTES) throw new BertwebError('MODEL_INVALID', `${base.id}/config.json is too large`);
  return parseJsonObject(new TextDecoder().decode(bytes), `${base.id}/config.json`);
}

function labelsFromConfig(config: Record<string, unknown>, count: number): string[] | undefined {
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object') return undefined;
  const entries = Object.entries(id2label as Record<string, unknown>);
  if (entries.length !== count) return undefined;
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = (id2label as Record<string, unknown>)[String(i)];
    if (typeof label !== 'string') return undefined;
    labels.push(label);
  }
  return labels;
}

async function crfJson(crf: { transitions: TensorRef; start: TensorRef; end: TensorRef }): Promise<Uint8Array> {
  const transitions = await readFloat32(crf.transitions);
  const n = crf.start.shape[0] as number;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(transitions.subarray(i * n, (i + 1) * n)));
  return json({
    transitions: rows,
    start: Array.from(await readFloat32(crf.start)),
    end: Array.from(await readFloat32(crf.end)),
  });
}

/**
 * Converts an opened checkpoint. `base` supplies config.json and tokenizer files the checkpoint lacks.
 *
 * @example
 * ```ts
 * const summary = await convertCheckpoint(await openCheckpoint(files), undefined, sink, { dtypes: ['fp32'] });
 * ```
 */
export async function convertCheckpoint(
  checkpoint: Checkpoint,
  base: BaseModelFiles | undefined,
  sink: OutputSink,
  options: ConvertOptions = {},
): Promise<ConvertSummary> {
  const warnings: string[] = [];
  const dtypes = [...new Set(options.dtypes ?? DTYPES)];
  if (dtypes.length === 0) throw new BertwebError('INPUT_INVALID', 'no dtype to write');
  for (const d of dtypes) {
    if (!(d in DTYPE_FILES)) throw new BertwebError('INPUT_INVALID', `unknown dtype ${d}; use fp32, fp16, q8, q4`);
  }
  const task = parseTask(options.task ?? 'auto');
  if (options.q8Mode !== undefined && !Q8_MODES.includes(options.q8Mode)) {
    throw new BertwebError(
      'INPUT_INVALID',
      `unknown q8Mode ${JSON.stringify(String(options.q8Mode).slice(0, 40))}; use ${Q8_MODES.join(', ')}`,
    );
  }

  // config.json: the checkpoint's own, else the base model's. Never inferred from shapes.
  const ownConfig = checkpoint.config;
  const config = ownConfig ?? (await readConfig(base));
  if (!config) {
    throw new BertwebError(
      'MODEL_INVALID',
      `${checkpoint.files.id} has no config.json; pass --base with the base model (folder, URL or hub id) it was fine-tuned from`,
    );
  }
  const baseEncoder = parseEncoderConfig(config);
  configFamily(config);

  let tensors: ReadonlyMap<string, TensorRef> = checkpoint.tensors;
  if (checkpoint.crfTensors) {
    const merged = new Map(tensors);
    for (const [name, ref] of checkpoint.crfTensors) {
      if (merged.has(name)) throw new BertwebError('MODEL_INVALID', `CRF tensor ${name} clashes with a model tensor`);
      merged.set(name, ref);
    }
    tensors = merged;
  }

  const labelTask: ModelTask | undefined =
    checkpoint.labelFile?.kind === 'tag'
      ? 'token-classification'
      : checkpoint.labelFile?.kind === 'classes'
        ? 'sequence-classification'
        : undefined;
  const mapped = mapWeights(
    tensors,
    baseEncoder,
    {
      ...(task !== 'auto' ? { explicit: task } : {}),
      ...(ownConfig && configTask(ownConfig) ? { fromConfig: configTask(ownConfig) } : {}),
      ...(labelTask ? { fromLabelFile: labelTask } : {}),
    },
    { configFromBase: !ownConfig },
  );
  const encoder = mapped.encoder;
  if (mapped.addedTokens > 0) {
    warnings.push(
      `the word embeddings have ${encoder.vocabSize} rows, ${mapped.addedTokens} more than the base config's vocab_size ` +
        `${baseEncoder.vocabSize} (tokens added while fine-tuning); config.json says vocab_size ${encoder.vocabSize}`,
    );
  }
  if (mapped.unexpected.length > 0) {
    const list = `${mapped.unexpected.slice(0, 8).join(', ')}${mapped.unexpected.length > 8 ? ', ...' : ''}`;
    if (!options.allowExtraTensors) {
      throw new BertwebError(
        'MODEL_INVALID',
        `the checkpoint has ${mapped.unexpected.length} tensor(s) a ${encoder.family} ${mapped.task} graph does not use: ${list}. ` +
          'The converted model would not compute what the checkpoint does; check --task, or pass --allow-extra-tensors to drop them',
        { unexpected: mapped.unexpected },
      );
    }
    warnings.push(`dropped ${mapped.unexpected.length} unused tensor(s): ${list}`);
  }

  // Labels: DeepPavlov dict, else the checkpoint's config, else the base config if it fits, else LABEL_i.
  let labels: string[] | undefined;
  if (mapped.numLabels > 0) {
    if (checkpoint.labelFile) {
      // One logit and two classes: DeepPavlov's is_binary classifier (sigmoid of the logit; classes.dict
      // names the negative and the positive class). id2label keeps both names for the one-logit head.
      const binary =
        checkpoint.labelFile.kind === 'classes' &&
        mapped.task === 'sequence-classification' &&
        mapped.numLabels === 1 &&
        checkpoint.labelFile.labels.length === 2;
      if (checkpoint.labelFile.labels.length !== mapped.numLabels && !binary) {
        throw new BertwebError(
          'MODEL_INVALID',
          `${checkpoint.labelFile.kind}.dict lists ${checkpoint.labelFile.labels.length} labels but the classifier has ${mapped.numLabels} outputs`,
        );
      }
      labels = [...checkpoint.labelFile.labels];
    } else {
      labels = labelsFromConfig(config, mapped.numLabels);
      if (!labels) {
        if (ownConfig?.id2label) {
          throw new BertwebError(
            'MODEL_INVALID',
            `config.json id2label does not match the classifier's ${mapped.numLabels} outputs`,
          );
        }
        labels = Array.from({ length: mapped.numLabels }, (_, i) => `LABEL_${i}`);
        warnings.push(`no label names found; wrote LABEL_0..LABEL_${mapped.numLabels - 1}`);
      }
    }
  }

  const outConfig: Record<string, unknown> = {
    ...config,
    architectures: [architectureName(encoder.family, mapped.task)],
  };
  if (!outConfig.model_type) outConfig.model_type = encoder.family;
  if (mapped.addedTokens > 0) outConfig.vocab_size = encoder.vocabSize;
  if (labels) {
    outConfig.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    outConfig.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  } else {
    delete outConfig.id2label;
    delete outConfig.label2id;
  }

  // Collect the small files first so a missing tokenizer fails before any big write.
  const small = new Map<string, Uint8Array>();
  small.set('config.json', json(outConfig));
  const checkpointNames = new Set(checkpoint.files.names());
  for (const name of COPIED_FILES) {
    if (checkpointNames.has(name)) small.set(name, await readAll(await checkpoint.files.open(name)));
    else if (base && (await base.exists(name))) small.set(name, await base.bytes(name));
  }
  if (!small.has('tokenizer.json') && !small.has('vocab.txt')) {
    throw new BertwebError(
      'MODEL_INVALID',
      `no tokenizer (tokenizer.json or vocab.txt) in ${checkpoint.files.id}${base ? ` or ${base.id}` : ''}; pass --base with the base model`,
    );
  }
  if (mapped.weights.crf) small.set('crf.json', await crfJson(mapped.weights.crf));
  for (const [name, bytes] of await sentenceTransformersFiles(checkpoint.files, base, warnings)) small.set(name, bytes);

  // Graphs are built before anything is written (cheap: payloads are lazy), so the total is known.
  const models = dtypes.map((dtype) => ({
    name: DTYPE_FILES[dtype],
    model: buildBertGraph(encoder, mapped.weights, mapped.task, {
      dtype,
      ...(options.q8Mode ? { q8Mode: options.q8Mode } : {}),
      ...(options.q4AccuracyLevel !== undefined ? { q4AccuracyLevel: options.q4AccuracyLevel } : {}),
      ...(options.quantizeEmbeddings !== undefined ? { quantizeEmbeddings: options.quantizeEmbeddings } : {}),
    }),
  }));
  let total = 0;
  for (const bytes of small.values()) total += bytes.byteLength;
  for (const { model } of models) total += model.byteLength;
  const progress = new ProgressCounter(total, options);
  progress.report({ stage: 'read' });

  const files: { name: string; bytes: number }[] = [];
  for (const [name, bytes] of small) {
    throwIfAborted(options.signal);
    await sink.write(name, progress.wrap([bytes], name, bytes.byteLength), bytes.byteLength);
    files.push({ name, bytes: bytes.byteLength });
  }
  for (const { name, model } of models) {
    throwIfAborted(options.signal);
    await sink.write(name, progress.wrap(model.toChunks(), name, model.byteLength), model.byteLength);
    files.push({ name, bytes: model.byteLength });
  }
  throwIfAborted(options.signal);
  progress.report({ stage: 'done' });
  return {
    family: encoder.family,
    task: mapped.task,
    encoder,
    ...(labels ? { labels } : {}),
    files,
    ignoredTensors: mapped.ignored,
    warnings,
  };
}

/** Counts written bytes over every output file; reports progress and honours the abort signal. */
class ProgressCounter {
  private written = 0;

  constructor(
    private readonly total: number,
    private readonly options: ConvertOptions,
  ) {}

  report(event: Omit<ConvertProgress, 'fraction'>): void {
    const fraction = event.stage === 'done' ? 1 : this.total > 0 ? Math.min(1, this.written / this.total) : 0;
    this.options.onProgress?.({ ...event, fraction });
  }

  /**
   * Wraps one file's chunks: each lazy payload checks the signal before it is produced and reports
   * progress after; plain header bytes are counted silently.
   */
  wrap(chunks: readonly Chunk[], file: string, total: number): Chunk[] {
    let loaded = 0;
    return chunks.map((chunk) => {
      if (chunk instanceof Uint8Array) {
        return {
          byteLength: chunk.byteLength,
          produce: () => {
            loaded += chunk.byteLength;
            this.written += chunk.byteLength;
            return chunk;
          },
        };
      }
      const count = (bytes: Uint8Array): Uint8Array => {
        loaded += bytes.byteLength;
        this.written += bytes.byteLength;
        this.report({ stage: 'write', file, loaded, total });
        return bytes;
      };
      const signal = this.options.signal;
      const source = chunk;
      return {
        byteLength: chunk.byteLength,
        produce: async () => {
          throwIfAborted(signal);
          return count(await source.produce());
        },
        ...(source.pieces
          ? {
              async *pieces() {
                for await (const piece of (source.pieces as () => AsyncIterable<Uint8Array>)()) {
                  throwIfAborted(signal);
                  yield count(piece);
                }
              },
            }
          : {}),
      };
    });
  }
}
