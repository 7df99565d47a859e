/**
 * A hub repo generated at test time: a safetensors-only BERT checkpoint of a given shape (random weights)
 * with the tokenizer files of the DeepPavlov hub fixture, laid out as a hub serves it
 * (`<owner>/<name>/resolve/main/<file>`), for core's local model server. Big enough that a conversion
 * takes a while (to cancel it mid-way) and that its peak memory means something; nothing is committed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(
  new URL('../../models/fixtures/hub/repos/DeepPavlov/rubert-base-cased-sentence/', import.meta.url),
);

/** Shape of the generated BERT encoder. */
export interface BertShape {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  /** Rows of the word embedding matrix (config.json `vocab_size`; the vocab.txt has 904 tokens). */
  readonly vocab: number;
  readonly positions: number;
}

/**
 * DeepPavlov/distilrubert-tiny-cased-conversational-v1's size class (hidden 264, 3 layers, 30,522 rows,
 * models/catalog.json), as a BERT encoder: 10.2 M parameters, 41 MB of F32 weights.
 */
export const TINY_REAL_SHAPE: BertShape = {
  hidden: 264,
  layers: 3,
  heads: 12,
  intermediate: 792,
  vocab: 30522,
  positions: 512,
};

/** Tensor names and shapes of a Hugging Face `BertModel` state dict (unprefixed keys). */
function bertTensors(s: BertShape): [string, number[]][] {
  const out: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [s.vocab, s.hidden]],
    ['embeddings.position_embeddings.weight', [s.positions, s.hidden]],
    ['embeddings.token_type_embeddings.weight', [2, s.hidden]],
    ['embeddings.LayerNorm.weight', [s.hidden]],
    ['embeddings.LayerNorm.bias', [s.hidden]],
  ];
  for (let l = 0; l < s.layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const m of ['query', 'key', 'value']) {
      out.push([`${p}attention.self.${m}.weight`, [s.hidden, s.hidden]], [`${p}attention.self.${m}.bias`, [s.hidden]]);
    }
    out.push(
      [`${p}attention.output.dense.weight`, [s.hidden, s.hidden]],
      [`${p}attention.output.dense.bias`, [s.hidden]],
      [`${p}attention.output.LayerNorm.weight`, [s.hidden]],
      [`${p}attention.output.LayerNorm.bias`, [s.hidden]],
      [`${p}intermediate.dense.weight`, [s.intermediate, s.hidden]],
      [`${p}intermediate.dense.bias`, [s.intermediate]],
      [`${p}output.dense.weight`, [s.hidden, s.intermediate]],
      [`${p}output.dense.bias`, [s.hidden]],
      [`${p}output.LayerNorm.weight`, [s.hidden]],
      [`${p}output.LayerNorm.bias`, [s.hidden]],
    );
  }
  out.push(['pooler.dense.weight', [s.hidden, s.hidden]], ['pooler.dense.bias', [s.hidden]]);
  return out;
}

/** F32 safetensors of random weights (a fixed LCG: uniform +-0.05; LayerNorm gains 1). */
function safetensors(s: BertShape): Uint8Array {
  const tensors = bertTensors(s);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  const data = new Float32Array(out.buffer, 8 + head.byteLength, offset / 4);
  let seed = 12345;
  let at = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const gain = name.endsWith('LayerNorm.weight');
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      data[at++] = gain ? 1 : (seed / 2 ** 32 - 0.5) * 0.1;
    }
  }
  return out;
}

/**
 * Files of a generated hub repo, keyed as the model server serves them: `<repo>/resolve/main/<file>`.
 *
 * @example
 * ```ts
 * const server = await startModelServer({ files: generatedHubRepo('bertweb-e2e/wide', TINY_REAL_SHAPE), sha256Etag: true });
 * ```
 */
export function generatedHubRepo(repo: string, shape: BertShape): Record<string, Uint8Array> {
  const config = JSON.parse(readFileSync(`${FIXTURE}config.json`, 'utf8')) as Record<string, unknown>;
  Object.assign(config, {
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    vocab_size: shape.vocab,
    max_position_embeddings: shape.positions,
  });
  const files: Record<string, Uint8Array> = {
    'config.json': new TextEncoder().encode(JSON.stringify(config, null, 2)),
    'model.safetensors': safetensors(shape),
  };
  for (const name of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
    files[name] = readFileSync(`${FIXTURE}${name}`);
  }
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`${repo}/resolve/main/${name}`, bytes]));
}
