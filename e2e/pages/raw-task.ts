/**
 * A minimal head for the browser parity spec: runs already-tokenized inputs (token ids, e.g. from a
 * fixture's reference.json) through core's `loadModel(...).infer(...)`, so the spec checks the runtime
 * itself (sources, backends, sessions, micro-batching, worker transfer) independently of any head.
 */
import {
  type BackendReport,
  BertwebError,
  type Encoding,
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  type ModelInfo,
  type ModelSource,
  type TensorOutput,
} from '@bertweb/core';

/** A padded batch as in a fixture's reference.json. */
export interface RawBatch {
  readonly input_ids: readonly (readonly number[])[];
  readonly attention_mask: readonly (readonly number[])[];
  readonly token_type_ids?: readonly (readonly number[])[];
}

/** A loaded model that runs token-id batches. */
export class RawModel {
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  readonly outputNames: readonly string[];
  readonly #model: LoadedModel;

  constructor(model: LoadedModel) {
    this.#model = model;
    this.info = model.info;
    this.backend = model.backend;
    this.outputNames = model.outputNames;
  }

  /**
   * Runs each row of a padded batch; padding (attention mask 0) is dropped before the call, so the
   * runtime re-pads by its own rules. Returns one output record per row, padding removed.
   */
  async run(batch: RawBatch, options: { signal?: AbortSignal } = {}): Promise<Record<string, TensorOutput>[]> {
    const encodings = batch.input_ids.map((row, r) =>
      toEncoding(row, batch.attention_mask[r], batch.token_type_ids?.[r]),
    );
    return this.#model.infer(encodings, options.signal ? { signal: options.signal } : {});
  }

  dispose(): Promise<void> {
    return this.#model.dispose();
  }
}

function toEncoding(
  ids: readonly number[],
  mask: readonly number[] | undefined,
  types: readonly number[] | undefined,
): Encoding {
  if (!mask || mask.length !== ids.length)
    throw new BertwebError('INPUT_INVALID', 'attention_mask must match input_ids');
  const length = mask.indexOf(0) === -1 ? mask.length : mask.indexOf(0);
  const real = ids.slice(0, length);
  return {
    ids: real,
    tokens: real.map(String),
    typeIds: (types ?? []).slice(0, length).concat(Array(Math.max(0, length - (types?.length ?? 0))).fill(0)),
    attentionMask: real.map(() => 1),
    specialTokensMask: real.map(() => 0),
    wordIds: real.map((_, i) => i),
    sequenceIds: real.map(() => 0),
    offsets: real.map(() => [0, 0] as [number, number]),
    overflowing: [],
  };
}

/**
 * Worker task factory: `serve({ raw: createRawTask })`.
 *
 * @example
 * ```ts
 * const raw = await client.create('raw', '/models/fixtures/bert-qa/', { backend: 'wasm' });
 * const [row] = await raw.run({ input_ids: [[101, 7592, 102]], attention_mask: [[1, 1, 1]] });
 * ```
 */
export async function createRawTask(source: ModelSource, options: LoadModelOptions = {}): Promise<RawModel> {
  return new RawModel(await loadModel(source, options));
}
