/**
 * Load-time conversion: a source with PyTorch or safetensors weights but no ONNX file for the wanted dtype
 * is converted on load (in the worker or in Node) by the converter in `env.converter` (`bertweb` registers
 * `@bertweb/convert`'s), and the result is cached beside the source's downloads:
 *
 * - the checkpoint is downloaded out of the JavaScript heap (`ModelFiles.blob`: a Blob, a temp file in
 *   Node) and never cached unless `keepCheckpoint`;
 * - the converted files enter the cache only when complete and verified (the converted model loaded and
 *   its files parsed), under `.bertweb/converted/<converter version>/<dtype>/` of the source, with a
 *   manifest naming the checkpoint's version (sha256, ETag or size + mtime) written last;
 * - a later load finds the manifest and reads the converted files from the cache; online it first checks
 *   that the checkpoint did not change (a HEAD request), offline it trusts the manifest.
 */
import { env } from '../env.js';
import { BertwebError, isBertwebError, throwIfAborted } from '../errors.js';
import { DTYPE_FILES, type Dtype, type ModelTask } from '../layout.js';
import { FileMapModelFiles } from '../sources/files/map-files.js';
import type { FileStat, ModelFiles, ProgressCallback } from '../sources/types.js';
import { hashString } from '../tokenizer/token-table.js';

/**
 * Checkpoint weight files a converter can read, in the order they are preferred.
 *
 * @example
 * ```ts
 * CHECKPOINT_FILES[0]; // 'model.safetensors'
 * ```
 */
export const CHECKPOINT_FILES: readonly string[] = ['model.safetensors', 'pytorch_model.bin'];

/**
 * What `env.converter` must provide: turning a checkpoint folder into model-folder files for one dtype.
 * `@bertweb/convert` exports one (`modelConverter`); `bertweb` installs a lazily loaded one.
 *
 * @example
 * ```ts
 * import { modelConverter } from '@bertweb/convert';
 * env.converter = modelConverter;
 * ```
 */
export interface ModelConverter {
  /** Version of what the converter writes: part of the cache key of converted models. */
  readonly version: string;
  /**
   * Converts the checkpoint in `source` (its weights read through `source.blob`, config.json, tokenizer and
   * sentence-transformers files through `source.bytes`) into the files of a model folder for `dtype`:
   * config.json, tokenizer files, the ONNX variant (and crf.json, pooling / Dense side files when the
   * checkpoint has them).
   */
  convert(source: ModelFiles, options: ConverterOptions): Promise<ReadonlyMap<string, Uint8Array | Blob>>;
  /**
   * What loading a DeepPavlov config takes (its JSON, or the name of a DeepPavlov 1.7 config): see
   * {@link DeepPavlovPlan}. `INPUT_INVALID` for an unknown name, `UNSUPPORTED` naming what bertweb lacks.
   */
  deeppavlov?(config: unknown, options: { readonly filesBaseUrl?: string }): Promise<DeepPavlovPlan>;
}

/**
 * How a DeepPavlov config is loaded: the tarball at `archiveUrl` holds the trained weights (and the tag or
 * class vocabulary, the CRF); `base` (the config's `TRANSFORMER`, a hub id) supplies config.json and the
 * tokenizer; `headOptions` reproduce the config's preprocessing and head, and become the converted
 * folder's `head_settings.json`.
 *
 * @example
 * ```ts
 * const plan = await env.converter?.deeppavlov?.('ner_rus_bert', {}); // { head: 'tagger', ... }
 * ```
 */
export interface DeepPavlovPlan {
  /** The config's name. */
  readonly name: string;
  /** The head that runs it. */
  readonly head: 'tagger' | 'classifier' | 'reader' | 'ranker' | 'embedder';
  readonly task: ModelTask;
  /** The tarball's URL (on the mirror when one was given). */
  readonly archiveUrl: string;
  /** Hub id of the base transformer (absent for embedders, whose tarball holds the whole model). */
  readonly base?: string;
  /** The preprocessor's `do_lower_case`. */
  readonly lowercase: boolean;
  /** Paths inside the tarball. */
  readonly files: {
    readonly weights?: string;
    readonly folder?: string;
    readonly crf?: string;
    readonly tagVocab?: string;
    readonly classVocab?: string;
  };
  readonly headOptions: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@link ModelConverter.convert}.
 *
 * @example
 * ```ts
 * await converter.convert(files, { dtype: 'q8', onProgress: ({ fraction }) => bar(fraction) });
 * ```
 */
export interface ConverterOptions {
  readonly dtype: Dtype;
  /** The weight file to convert (one of {@link CHECKPOINT_FILES}, or a DeepPavlov tarball). */
  readonly weights: string;
  /** The base model completing a checkpoint that lacks config.json and tokenizer files (a DeepPavlov tarball). */
  readonly base?: ModelFiles;
  /** Set when converting a DeepPavlov config's tarball. */
  readonly deeppavlov?: DeepPavlovPlan;
  readonly signal?: AbortSignal;
  /** Conversion progress: `fraction` of the work done (0 to 1), and the output file being written. */
  readonly onProgress?: (progress: { readonly fraction: number; readonly file?: string }) => void;
}

/**
 * How a model came to be converted, in `BackendReport.converted`.
 *
 * @example
 * ```ts
 * head.backend.converted; // { from: ['pytorch_model.bin'], converter: '0.2.0', cached: true }
 * ```
 */
export interface ConversionReport {
  /** The checkpoint files converted. */
  readonly from: readonly string[];
  /** The converter's version. */
  readonly converter: string;
  /** True when the converted files came from the cache (this load converted nothing). */
  readonly cached: boolean;
  /** The DeepPavlov config, when the model came from one. */
  readonly config?: string;
}

/** What {@link manifestName} stores: the checkpoint version the cached files were converted from. */
interface Manifest {
  readonly weights: string;
  readonly stat: FileStat;
  readonly files: readonly string[];
}

/**
 * Thrown by the ONNX variant reader when a source has no ONNX file but weights to convert; the loader
 * catches it and converts.
 */
export class ConversionNeeded extends BertwebError {
  /** The source's files are fine: the load must not repair or drop them (see `readWithRepair`). */
  readonly keepsFiles = true;
  /**
   * Where its conversion is cached among the source's derived files: the weights' name, and for a
   * DeepPavlov config a hash of its plan too, since the plan (base model, files, head settings,
   * lowercasing) goes into the converted folder: two configs over one tarball convert and cache apart.
   */
  readonly key: string;

  constructor(
    readonly weights: string,
    readonly dtype: Dtype,
    source: string,
    /** For a DeepPavlov config: its plan and base model files. */
    readonly deeppavlov?: { readonly plan: DeepPavlovPlan; readonly base: ModelFiles | undefined },
  ) {
    super('MODEL_NOT_FOUND', `${source} has no ONNX file for ${dtype}, only ${weights}: it will be converted`, {
      weights,
      dtype,
    });
    this.key = deeppavlov ? `${weights}@${planHash(deeppavlov.plan)}` : weights;
  }
}

/**
 * A short stable hash of a DeepPavlov plan, its archive URL left out (the cache is per source already):
 * FNV-1a (the tokenizer's string hash) of the plan as JSON with sorted keys. Synchronous, and no
 * crypto.subtle (plain http: pages lack it); a handful of configs share a tarball, so 32 bits suffice.
 */
function planHash(plan: DeepPavlovPlan): string {
  const { archiveUrl: _archiveUrl, ...rest } = plan;
  const stable = (value: unknown): string =>
    Array.isArray(value)
      ? `[${value.map(stable).join(',')}]`
      : typeof value === 'object' && value !== null
        ? `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
            .join(',')}}`
        : (JSON.stringify(value) ?? 'null');
  return (hashString(stable(rest)) >>> 0).toString(16).padStart(8, '0');
}

const ROOT = 'converted';

/** Where the conversions of one checkpoint file to one dtype live among the source's derived files. */
function folderOf(converter: ModelConverter, dtype: Dtype, weights: string): string {
  return `${ROOT}/${converter.version}/${dtype}/${weights}`;
}

/** Name of the manifest of a converted checkpoint among the source's derived files. */
function manifestName(converter: ModelConverter, dtype: Dtype, weights: string): string {
  return `${folderOf(converter, dtype, weights)}/manifest.json`;
}

/**
 * A conversion of the source to `dtype` that the cache holds (its manifest is there), found without a
 * request; `undefined` when there is none or no converter is set.
 *
 * @example
 * ```ts
 * const needed = await findCachedConversion(files, 'q8'); // ConversionNeeded('pytorch_model.bin', 'q8', ...)
 * ```
 */
export async function findCachedConversion(files: ModelFiles, dtype: Dtype): Promise<ConversionNeeded | undefined> {
  const converter = env.converter;
  if (!converter) return undefined;
  for (const name of CHECKPOINT_FILES) {
    if (await readManifest(files, converter, dtype, name)) return new ConversionNeeded(name, dtype, files.id);
  }
  return undefined;
}

/**
 * The source's weights to convert when it has no ONNX file: the first of {@link CHECKPOINT_FILES} it
 * has, or a cached conversion's checkpoint (so an offline load needs no request). Throws
 * `MODEL_NOT_FOUND` saying why nothing can be converted.
 */
export async function findConvertible(
  files: ModelFiles,
  dtype: Dtype,
  options: { readonly convert?: boolean; readonly signal?: AbortSignal },
): Promise<ConversionNeeded> {
  const converter = env.converter;
  if (options.convert !== false) {
    const cached = await findCachedConversion(files, dtype);
    if (cached) return cached;
  }
  let weights: string | undefined;
  for (const name of CHECKPOINT_FILES) {
    if (await files.exists(name, options.signal ? { signal: options.signal } : {})) {
      weights = name;
      break;
    }
  }
  if (weights === undefined) throw new BertwebError('MODEL_NOT_FOUND', `${files.id}: no ONNX file found`);
  if (options.convert === false) {
    throw new BertwebError(
      'MODEL_NOT_FOUND',
      `${files.id} has no ONNX file, only PyTorch / safetensors weights (${weights}), and conversion is off (convert: false)`,
      { weights, reason: 'convert-disabled' },
    );
  }
  if (!converter) {
    throw new BertwebError(
      'MODEL_NOT_FOUND',
      `${files.id} has no ONNX file, only ${weights}, and no converter is registered: import 'bertweb' (it registers @bertweb/convert) or set env.converter`,
      { weights, reason: 'no-converter' },
    );
  }
  return new ConversionNeeded(weights, dtype, files.id);
}

/** The converted files of `needed`, from the cache when they are there and current, else converted now. */
export async function convertedFiles(
  files: ModelFiles,
  needed: ConversionNeeded,
  options: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback; readonly keepCheckpoint?: boolean },
): Promise<{ readonly files: ModelFiles; readonly report: ConversionReport; readonly commit: () => Promise<void> }> {
  const converter = env.converter as ModelConverter;
  const { dtype, weights } = needed;
  const signal = options.signal ? { signal: options.signal } : {};
  const manifest = await readManifest(files, converter, dtype, needed.key);
  const stat = await currentStat(files, weights, options.signal, manifest !== undefined);
  const report = (cached: boolean): ConversionReport => ({
    from: [weights],
    converter: converter.version,
    cached,
    ...(needed.deeppavlov ? { config: needed.deeppavlov.plan.name } : {}),
  });
  if (manifest && (stat === undefined || sameVersion(manifest.stat, stat))) {
    const cached = await readCached(files, converter, dtype, manifest, needed.key);
    if (cached) return { files: cached, report: report(true), commit: async () => {} };
  }
  if (stat === undefined) {
    throw new BertwebError('NETWORK', `${files.id}: ${weights} cannot be reached to convert it`, { weights });
  }
  const progress = options.onProgress;
  const checkpoint = {
    id: files.id,
    exists: files.exists.bind(files),
    bytes: files.bytes.bind(files),
    text: files.text.bind(files),
    json: files.json.bind(files),
    // The checkpoint goes through the converter out of the heap and, unless asked, stays out of the cache.
    blob: async (name: string, opts?: { readonly signal?: AbortSignal; readonly onProgress?: ProgressCallback }) => {
      if (options.keepCheckpoint || !files.blob) {
        const bytes = await files.bytes(name, opts);
        return { blob: new Blob([bytes as BlobPart]), dispose: async () => {} };
      }
      return files.blob(name, opts);
    },
    ...(files.stat ? { stat: files.stat.bind(files) } : {}),
  } satisfies ModelFiles;
  const output = await converter.convert(checkpoint, {
    dtype,
    weights,
    ...(needed.deeppavlov ? { deeppavlov: needed.deeppavlov.plan } : {}),
    ...(needed.deeppavlov?.base ? { base: needed.deeppavlov.base } : {}),
    ...signal,
    ...(progress
      ? {
          onProgress: ({ fraction, file }) =>
            progress({
              status: 'convert',
              file: file ?? DTYPE_FILES[dtype],
              loaded: Math.round(fraction * 1000),
              total: 1000,
              fraction,
            }),
        }
      : {}),
  });
  throwIfAborted(options.signal);
  if (!output.has(DTYPE_FILES[dtype])) {
    throw new BertwebError('MODEL_INVALID', `the converter wrote no ${DTYPE_FILES[dtype]} for ${files.id}`);
  }
  const converted = new FileMapModelFiles(Object.fromEntries(output), `${files.id} (converted to ${dtype})`);
  return {
    files: converted,
    report: report(false),
    commit: () =>
      storeConverted(
        files,
        converter,
        dtype,
        needed.key,
        { weights, stat, files: [...output.keys()] },
        output,
        options.signal,
      ),
  };
}

async function readManifest(
  files: ModelFiles,
  converter: ModelConverter,
  dtype: Dtype,
  weights: string,
): Promise<Manifest | undefined> {
  const bytes = await files.derived?.get(manifestName(converter, dtype, weights)).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    return typeof manifest.weights === 'string' && Array.isArray(manifest.files) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checkpoint's current version, `undefined` when it cannot be asked (offline) and a cached
 * conversion exists (then that one is trusted).
 */
async function currentStat(
  files: ModelFiles,
  weights: string,
  signal: AbortSignal | undefined,
  haveCached: boolean,
): Promise<FileStat | undefined> {
  try {
    const stat = files.stat ? await files.stat(weights, signal ? { signal } : {}) : {};
    if (stat === undefined) throw new BertwebError('MODEL_NOT_FOUND', `${files.id}: ${weights} not found`);
    return stat;
  } catch (error) {
    if (haveCached && isBertwebError(error, 'NETWORK')) return undefined;
    throw error;
  }
}

function sameVersion(a: FileStat, b: FileStat): boolean {
  if (a.sha256 !== undefined || b.sha256 !== undefined) return a.sha256 === b.sha256;
  if (a.etag !== undefined || b.etag !== undefined) return a.etag === b.etag;
  return a.size === b.size;
}

async function readCached(
  files: ModelFiles,
  converter: ModelConverter,
  dtype: Dtype,
  manifest: Manifest,
  key: string,
): Promise<ModelFiles | undefined> {
  const folder = folderOf(converter, dtype, key);
  const out: Record<string, Uint8Array> = {};
  for (const name of manifest.files) {
    const bytes = await files.derived?.get(`${folder}/files/${name}`).catch(() => undefined);
    if (!bytes) return undefined;
    out[name] = bytes;
  }
  return new FileMapModelFiles(out, `${files.id} (converted to ${dtype}, cached)`);
}

/** Writes the converted files, then the manifest (the commit point); a failure leaves nothing behind. */
async function storeConverted(
  files: ModelFiles,
  converter: ModelConverter,
  dtype: Dtype,
  key: string,
  manifest: Manifest,
  output: ReadonlyMap<string, Uint8Array | Blob>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const derived = files.derived;
  if (!derived) return;
  const folder = folderOf(converter, dtype, key);
  const opts = signal ? { signal } : {};
  try {
    await derived.delete(`${folder}/`);
    for (const [name, content] of output) {
      const bytes = content instanceof Blob ? new Uint8Array(await content.arrayBuffer()) : content;
      await derived.put(`${folder}/files/${name}`, bytes, opts);
    }
    await derived.put(manifestName(converter, dtype, key), new TextEncoder().encode(JSON.stringify(manifest)), opts);
  } catch (error) {
    await derived.delete(`${folder}/`).catch(() => 0);
    throwIfAborted(signal);
    console.warn(
      `bertweb: caching the converted ${files.id} failed; it works but will be converted again next time:`,
      error instanceof Error ? error.message : error,
    );
  }
}
