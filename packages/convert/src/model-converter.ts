/**
 * The converter `@bertweb/core` calls at load time (`env.converter`): a checkpoint folder read through a
 * `ModelFiles` source (a hub repo, a folder URL, a local folder, dropped files) -> the files of a model
 * folder for one dtype. The weights are read as a Blob (kept out of the JavaScript heap by the source) and
 * streamed through the pipeline; outputs come back as Blobs assembled in parts.
 */

import { convertFiles, unpackArchive } from './convert-files.js';
import {
  BertwebError,
  type ConverterOptions,
  type DeepPavlovPlan,
  type ModelConverter,
  type ModelFiles,
  SENTENCE_TRANSFORMERS_FILES,
  TOKENIZER_FILES,
  throwIfAborted,
} from './core.js';
import { deepPavlovPlan } from './deeppavlov/plan.js';
import type { FileContent } from './io/file-set.js';
import { CONVERTER_VERSION } from './version.js';

/** Weights a sentence-transformers module folder (`2_Dense/`) may hold. */
const MODULE_WEIGHTS = ['model.safetensors', 'pytorch_model.bin'];

/**
 * `@bertweb/convert` as a load-time converter. Install it with `env.converter = modelConverter` (the
 * `bertweb` package installs a lazily loaded one).
 *
 * @example
 * ```ts
 * import { env } from '@bertweb/core';
 * import { modelConverter } from '@bertweb/convert';
 * env.converter = modelConverter;
 * const embedder = await createEmbedder('DeepPavlov/rubert-base-cased-sentence'); // converted on load, cached
 * ```
 */
export const modelConverter: ModelConverter = {
  version: CONVERTER_VERSION,
  async convert(source: ModelFiles, options: ConverterOptions): Promise<ReadonlyMap<string, Uint8Array | Blob>> {
    const { signal } = options;
    const input = options.deeppavlov
      ? await deepPavlovFiles(source, options.weights, options.deeppavlov, signal)
      : await checkpointFiles(source, options.weights, signal);
    throwIfAborted(signal);
    try {
      const output = await convertFiles(input.files, {
        dtypes: [options.dtype],
        output: 'blob',
        ...(options.deeppavlov ? { task: options.deeppavlov.task } : {}),
        ...(options.base ? { base: options.base } : {}),
        ...(signal ? { signal } : {}),
        ...(options.onProgress
          ? {
              onProgress: (event) =>
                options.onProgress?.({ fraction: event.fraction, ...(event.file ? { file: event.file } : {}) }),
            }
          : {}),
      });
      return options.deeppavlov ? await withDeepPavlovSettings(output, options.deeppavlov) : output;
    } finally {
      await input.dispose();
    }
  },
  async deeppavlov(config, options) {
    return deepPavlovPlan(config, options);
  },
};

/**
 * The checkpoint inside a DeepPavlov tarball, under the names the pipeline reads (`model.pth.tar`,
 * `model_crf.pth.tar`, `tag.dict`, `classes.dict`), or an embedder's model folder as it is.
 */
async function deepPavlovFiles(
  source: ModelFiles,
  archive: string,
  plan: DeepPavlovPlan,
  signal: AbortSignal | undefined,
): Promise<{ readonly files: Map<string, FileContent>; readonly dispose: () => Promise<void> }> {
  const opts = signal ? { signal } : {};
  const read = source.blob
    ? await source.blob(archive, opts)
    : { blob: new Blob([(await source.bytes(archive, opts)) as BlobPart]), dispose: async () => {} };
  try {
    const members = await unpackArchive(read.blob, signal);
    const files = new Map<string, FileContent>();
    const take = (path: string | undefined, as: string) => {
      if (path === undefined) return;
      const member = members.get(path);
      if (!member) {
        throw new BertwebError('MODEL_INVALID', `DeepPavlov tarball ${archive} has no ${path} (config ${plan.name})`, {
          archive,
          file: path,
        });
      }
      files.set(as, member);
    };
    if (plan.files.folder !== undefined) {
      const prefix = `${plan.files.folder.replace(/\/+$/, '')}/`;
      for (const [name, blob] of members) if (name.startsWith(prefix)) files.set(name.slice(prefix.length), blob);
      if (files.size === 0) {
        throw new BertwebError(
          'MODEL_INVALID',
          `DeepPavlov tarball ${archive} has no ${prefix} folder (config ${plan.name})`,
        );
      }
    } else {
      take(plan.files.weights, 'model.pth.tar');
      take(plan.files.crf, 'model_crf.pth.tar');
      take(plan.files.tagVocab, 'tag.dict');
      take(plan.files.classVocab, 'classes.dict');
    }
    return { files, dispose: read.dispose };
  } catch (error) {
    await read.dispose();
    throw error;
  }
}

/**
 * The converted folder with the config's settings in it: its `do_lower_case` in the tokenizer files (it
 * overrides the base model's), and `head_settings.json` with the head options that reproduce the config.
 */
async function withDeepPavlovSettings(
  output: ReadonlyMap<string, Uint8Array | Blob>,
  plan: DeepPavlovPlan,
): Promise<Map<string, Uint8Array | Blob>> {
  const out = new Map(output);
  const json = async (name: string): Promise<Record<string, unknown> | undefined> => {
    const content = out.get(name);
    if (content === undefined) return undefined;
    const bytes = content instanceof Blob ? new Uint8Array(await content.arrayBuffer()) : content;
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  };
  const put = (name: string, value: unknown) =>
    out.set(name, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
  put('tokenizer_config.json', { ...((await json('tokenizer_config.json')) ?? {}), do_lower_case: plan.lowercase });
  const tokenizer = await json('tokenizer.json');
  const normalizer = tokenizer?.normalizer as Record<string, unknown> | null | undefined;
  if (tokenizer && normalizer && normalizer.type === 'BertNormalizer') {
    put('tokenizer.json', { ...tokenizer, normalizer: { ...normalizer, lowercase: plan.lowercase } });
  }
  put('head_settings.json', {
    head: plan.head,
    origin: `DeepPavlov 1.7 config ${plan.name}`,
    options: plan.headOptions,
  });
  return out;
}

/** The files of a checkpoint folder the pipeline reads: weights as a Blob, metadata as bytes. */
async function checkpointFiles(
  source: ModelFiles,
  weights: string,
  signal: AbortSignal | undefined,
): Promise<{ readonly files: Map<string, FileContent>; readonly dispose: () => Promise<void> }> {
  const opts = signal ? { signal } : {};
  const files = new Map<string, FileContent>();
  const blobs: { dispose(): Promise<void> }[] = [];
  const dispose = async () => {
    await Promise.all(blobs.map((b) => b.dispose().catch(() => undefined)));
  };
  const readBlob = async (name: string): Promise<void> => {
    const read = source.blob ? await source.blob(name, opts) : undefined;
    if (read) {
      blobs.push(read);
      files.set(name, read.blob);
    } else {
      files.set(name, await source.bytes(name, opts));
    }
  };
  const readIfThere = async (name: string): Promise<boolean> => {
    if (!(await source.exists(name, opts))) return false;
    files.set(name, await source.bytes(name, opts));
    return true;
  };
  try {
    await readBlob(weights);
    for (const name of ['config.json', ...TOKENIZER_FILES, ...SENTENCE_TRANSFORMERS_FILES]) await readIfThere(name);
    for (const path of await modulePaths(files.get('modules.json'))) {
      if (!(await readIfThere(`${path}/config.json`))) continue;
      for (const name of MODULE_WEIGHTS) {
        if (await source.exists(`${path}/${name}`, opts)) {
          await readBlob(`${path}/${name}`);
          break;
        }
      }
    }
    return { files, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** The folders of the sentence-transformers modules after the Transformer (`1_Pooling`, `2_Dense`, ...). */
async function modulePaths(modulesJson: FileContent | undefined): Promise<string[]> {
  if (modulesJson === undefined) return [];
  const bytes =
    modulesJson instanceof Uint8Array ? modulesJson : new Uint8Array(await (modulesJson as Blob).arrayBuffer());
  let modules: unknown;
  try {
    modules = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new BertwebError('MODEL_INVALID', 'modules.json is not valid JSON', { file: 'modules.json' }, { cause });
  }
  if (!Array.isArray(modules)) throw new BertwebError('MODEL_INVALID', 'modules.json must be a list of modules');
  return modules
    .map((m) => (typeof m === 'object' && m !== null ? (m as { path?: unknown }).path : undefined))
    .filter((path): path is string => typeof path === 'string' && path !== '' && !path.includes('..'));
}
