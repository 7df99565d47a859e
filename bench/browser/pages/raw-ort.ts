/**
 * Raw onnxruntime-web: the session API bertweb uses (same session options), with minimal JS around it.
 * Load: fetch the ONNX file and the tokenizer files in parallel, build bertweb's WordPiece tokenizer from
 * tokenizer.json (the same tokenizer for every system), `InferenceSession.create(bytes)`. Call: tokenize,
 * pad to the longest text of the call, one `session.run`, then mean pooling (embed) or argmax per token
 * (tag) in plain loops. No cache of its own (the browser's HTTP cache revalidates, 304).
 */
import { type Tokenizer, tokenizerFromJson } from 'bertweb';
import type * as OrtModule from 'onnxruntime-web';
import type { LoadRequest } from '../protocol.js';
import { meanRows, type System, THREADS } from './common.js';

type Ort = typeof OrtModule;

/** A 70-byte ONNX graph (one Identity node): creating a session from it starts ORT's WebAssembly runtime. */
const IDENTITY_ONNX =
  'CAg6PAoQCgF4EgF5IghJZGVudGl0eRIGd2FybXVwWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==';

/**
 * With `?prewarm=1` the page starts ORT's runtime at once (a session on {@link IDENTITY_ONNX}) and sets
 * `<html data-prewarmed>` when it is up: the diagnosis then times a load that no longer pays for
 * starting the runtime, as a library that warms ORT up at connect() would.
 */
function prewarm(ort: Ort): void {
  if (new URLSearchParams(location.search).get('prewarm') !== '1') return;
  ort.env.wasm.numThreads = THREADS;
  const bytes = Uint8Array.from(atob(IDENTITY_ONNX), (c) => c.charCodeAt(0));
  void ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] }).then(async (session) => {
    await session.release();
    document.documentElement.dataset.prewarmed = 'true';
  });
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/**
 * The raw system on one ORT build (`onnxruntime-web/webgpu`, the build bertweb loads in browsers, or
 * the WASM-only `onnxruntime-web/wasm`).
 *
 * @example
 * ```ts
 * install(rawSystem('onnxruntime-web', await import('onnxruntime-web/webgpu')));
 * ```
 */
export function rawSystem(name: string, ort: Ort): System {
  prewarm(ort);
  let session: OrtModule.InferenceSession | undefined;
  let tokenizer: Tokenizer | undefined;
  let task: LoadRequest['task'] = 'embed';
  let maxLength = 512;

  function feeds(texts: readonly string[]): {
    feeds: Record<string, OrtModule.Tensor>;
    lengths: number[];
    len: number;
  } {
    const encodings = texts.map((t) => (tokenizer as Tokenizer).encode(t, { truncation: { maxLength } }));
    const len = Math.max(...encodings.map((e) => e.ids.length));
    const rows = encodings.length;
    const ids = new BigInt64Array(rows * len);
    const mask = new BigInt64Array(rows * len);
    encodings.forEach((e, r) => {
      for (let t = 0; t < e.ids.length; t++) {
        ids[r * len + t] = BigInt(e.ids[t] as number);
        mask[r * len + t] = 1n;
      }
    });
    const out: Record<string, OrtModule.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [rows, len]),
      attention_mask: new ort.Tensor('int64', mask, [rows, len]),
    };
    if (session?.inputNames.includes('token_type_ids')) {
      out.token_type_ids = new ort.Tensor('int64', new BigInt64Array(rows * len), [rows, len]);
    }
    return { feeds: out, lengths: encodings.map((e) => e.ids.length), len };
  }

  return {
    name,
    versions: () => ({ ort: ort.env.versions?.web ?? 'unknown' }),
    async load(request: LoadRequest) {
      ort.env.wasm.numThreads = THREADS;
      task = request.task;
      const file = request.dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
      const [bytes, tokenizerJson, tokenizerConfig, config] = await Promise.all([
        fetchOk(request.url + file).then(async (r) => new Uint8Array(await r.arrayBuffer())),
        fetchOk(`${request.url}tokenizer.json`).then((r) => r.json()),
        fetchOk(`${request.url}tokenizer_config.json`).then((r) => r.json()),
        fetchOk(`${request.url}config.json`).then((r) => r.json() as Promise<{ max_position_embeddings?: number }>),
      ]);
      tokenizer = tokenizerFromJson(tokenizerJson, tokenizerConfig);
      maxLength = config.max_position_embeddings ?? 512;
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [request.device],
        graphOptimizationLevel: 'all',
        enableMemPattern: request.device === 'wasm',
      });
      return { threads: ort.env.wasm.numThreads ?? 0, detail: { ort: ort.env.versions?.web } };
    },
    async call(texts, keep) {
      if (!session) throw new Error('load a model first');
      const { feeds: inputs, lengths, len } = feeds(texts);
      const outputs = await session.run(inputs);
      if (task === 'embed') {
        const hidden = outputs.last_hidden_state as OrtModule.Tensor;
        const data = hidden.data as Float32Array;
        const dim = hidden.dims[2] as number;
        const vectors = lengths.map((length, r) => meanRows(data, r * len * dim, length, dim));
        return { vectors: vectors.slice(0, keep) };
      }
      const logits = outputs.logits as OrtModule.Tensor;
      const data = logits.data as Float32Array;
      const labels = logits.dims[2] as number;
      let found = 0;
      lengths.forEach((length, r) => {
        // [CLS] and [SEP] carry no tag.
        for (let t = 1; t < length - 1; t++) {
          const base = (r * len + t) * labels;
          let best = 0;
          for (let k = 1; k < labels; k++) if ((data[base + k] as number) > (data[base + best] as number)) best = k;
          if (best !== 0) found++;
        }
      });
      return { found };
    },
    async dispose() {
      await session?.release();
      session = undefined;
    },
  };
}
