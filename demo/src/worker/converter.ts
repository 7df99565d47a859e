/**
 * In-page conversion (worker side): a PyTorch / safetensors checkpoint, or a DeepPavlov tarball, dropped
 * into the page becomes an ONNX model folder in memory via @bertweb/convert, ready for any head.
 */
import { type ProgressCallback, resolveSource } from '@bertweb/core';

/** Options of {@link Converter.convert}. */
export interface ConvertInPageOptions {
  /** Variants to write (default q8). */
  readonly dtypes?: readonly ('fp32' | 'fp16' | 'q8' | 'q4')[];
  /** `auto` (default) or a task alias (`ner`, `qa`, `classify`, `base`). */
  readonly task?: string;
  /** Hub id or folder URL whose config.json and tokenizer complete a checkpoint that lacks them. */
  readonly base?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
}

/** The worker's converter "head": one method, files in, files out. */
export class Converter {
  /**
   * Converts checkpoint files (names relative to the checkpoint folder) into a model folder:
   * `config.json`, tokenizer files, optional `crf.json`, `onnx/model*.onnx`.
   */
  async convert(
    files: Readonly<Record<string, Blob | Uint8Array>>,
    options: ConvertInPageOptions = {},
  ): Promise<Record<string, Uint8Array>> {
    const { convertFiles } = await import('@bertweb/convert');
    const { onProgress, signal } = options;
    const out = await convertFiles(new Map(Object.entries(files)), {
      dtypes: options.dtypes ?? ['q8'],
      ...(options.task ? { task: options.task } : {}),
      ...(options.base ? { base: resolveSource(options.base, signal ? { signal } : {}) } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (event) =>
        onProgress?.({
          status: event.stage === 'done' ? 'done' : 'progress',
          file: event.file ?? 'checkpoint',
          loaded: event.loaded ?? 0,
          total: event.total ?? 0,
        }),
    });
    return Object.fromEntries(out);
  }

  async dispose(): Promise<void> {}
}

/**
 * Task factory: `serve({ converter: createConverter })`.
 *
 * @example
 * ```ts
 * const converter = await client.create('converter');
 * const folder = await converter.convert({ 'pytorch_model.bin': file, 'config.json': config, 'vocab.txt': vocab });
 * const tagger = await client.create('tagger', { files: folder });
 * ```
 */
export async function createConverter(): Promise<Converter> {
  return new Converter();
}
