/**
 * Streaming (issue 12): large tables are read and written in row blocks, never whole. A bert-base
 * fixture with its word embeddings moved to the end of a 140,000-row table (18 MB, two row blocks of
 * 16 MiB) must convert to the same outputs as the fixture, on every dtype path that streams (fp32 copy,
 * fp16 copy, q8 / q4 row quantization), and the Blob output must equal the bytes output.
 */
import { describe, expect, it } from 'vitest';
import { convertFiles } from './convert-files.js';
import { type ByteSource, bytesSource } from './io/byte-source.js';
import { ROW_BLOCK_BYTES, readFloat32, readFloat32Rows } from './model/tensor.js';
import { feeds, fixtureFiles, loadOrtWeb, maxAbsDiff, minMeanPooledCosine, reference } from './test-utils/fixtures.js';
import { gaussian } from './test-utils/random.js';
import { decodeSafetensors, encodeSafetensors } from './test-utils/safetensors.js';

const ROWS = 140_000;
const OFFSET = ROWS - 1000; // the fixture's 1000 real rows sit at the end, in the second block

async function bigVocabFixture(): Promise<{
  files: Map<string, Uint8Array>;
  reads: { offset: number; length: number }[];
}> {
  const files = fixtureFiles('bert-base');
  const tensors = await decodeSafetensors(files.get('model.safetensors') as Uint8Array);
  const words = tensors.get('embeddings.word_embeddings.weight') as { shape: number[]; data: Float32Array };
  const width = words.shape[1] as number;
  const big = new Float32Array(ROWS * width);
  const rand = gaussian(7);
  for (let i = 0; i < OFFSET * width; i++) big[i] = 0.2 * rand();
  big.set(words.data, OFFSET * width);
  tensors.set('embeddings.word_embeddings.weight', { shape: [ROWS, width], data: big });
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, vocab_size: ROWS })));
  files.set('model.safetensors', encodeSafetensors(tensors));
  return { files, reads: [] };
}

/** The reference inputs with ids moved to where the real rows now are. */
function shiftedReference() {
  const ref = reference('bert-base');
  const ids = (ref.inputs.input_ids as number[][]).map((row) => row.map((id) => id + OFFSET));
  return { ...ref, inputs: { ...ref.inputs, input_ids: ids } };
}

describe('row-block streaming of large tables', () => {
  it('readFloat32Rows gives the tensor in blocks of whole rows, for F32, F16 and BF16', async () => {
    for (const [fixture, file] of [
      ['bert-base', 'model.safetensors'],
      ['distilbert-token-cls', 'model.safetensors'],
      ['distilbert-base', 'model.safetensors'],
    ] as const) {
      const bytes = fixtureFiles(fixture).get(file) as Uint8Array;
      const { readSafetensors } = await import('./formats/safetensors.js');
      for (const ref of (await readSafetensors(bytesSource(file, bytes))).values()) {
        const whole = await readFloat32(ref);
        const width = ref.shape.slice(1).reduce((a, b) => a * b, 1);
        const blocks: Float32Array[] = [];
        for await (const block of readFloat32Rows(ref, width * 4 * 7)) blocks.push(block.slice());
        if (ref.shape.length >= 2) {
          expect(blocks.every((b) => b.length % width === 0)).toBe(true);
          expect(blocks.length).toBe(Math.ceil((ref.shape[0] as number) / 7));
        }
        const joined = new Float32Array(whole.length);
        let at = 0;
        for (const b of blocks) {
          joined.set(b, at);
          at += b.length;
        }
        expect(Array.from(joined), `${fixture} ${ref.name}`).toEqual(Array.from(whole));
      }
    }
  });

  it('a table larger than one block is read in several ranges, none larger than a block', async () => {
    const { files } = await bigVocabFixture();
    const inner = bytesSource('model.safetensors', files.get('model.safetensors') as Uint8Array);
    let largest = 0;
    const counting: ByteSource = {
      name: inner.name,
      size: inner.size,
      read: (offset, length) => {
        largest = Math.max(largest, length);
        return inner.read(offset, length);
      },
    };
    await convertFiles(new Map<string, Uint8Array | ByteSource>([...files, ['model.safetensors', counting]]), {
      dtypes: ['q8'],
    });
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(ROW_BLOCK_BYTES);
  });

  it.each(['fp32', 'fp16', 'q8', 'q4'] as const)(
    '%s: same outputs as the fixture with the table streamed',
    async (dtype) => {
      const { files } = await bigVocabFixture();
      const out = await convertFiles(files, { dtypes: [dtype] });
      const blobs = await convertFiles(files, { dtypes: [dtype], output: 'blob' });
      const name = {
        fp32: 'onnx/model.onnx',
        fp16: 'onnx/model_fp16.onnx',
        q8: 'onnx/model_quantized.onnx',
        q4: 'onnx/model_q4.onnx',
      }[dtype];
      const model = out.get(name) as Uint8Array;
      // Buffer.equals, not toEqual: a deep diff of 18 MB arrays exhausts the test worker's memory.
      const blobBytes = Buffer.from(await (blobs.get(name) as Blob).arrayBuffer());
      expect(blobBytes.equals(Buffer.from(model.buffer, model.byteOffset, model.byteLength))).toBe(true);
      if (dtype === 'fp16') return; // fp16 runs on WebGPU; the bytes equality above covers its streaming
      const ort = await loadOrtWeb();
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
      const ref = shiftedReference();
      const result = await session.run(feeds(ort, ref, session.inputNames));
      await session.release();
      const expected = ref.outputs.last_hidden_state as { dims: number[]; data: number[] };
      const got = result.last_hidden_state?.data as Float32Array;
      if (dtype === 'fp32') expect(maxAbsDiff(got, expected.data)).toBeLessThanOrEqual(1e-4);
      else {
        const mask = (ref.inputs as Record<string, number[][]>).attention_mask as number[][];
        const cosine = minMeanPooledCosine(got, expected.data, expected.dims, mask);
        expect(cosine).toBeGreaterThanOrEqual(dtype === 'q8' ? 0.999 : 0.9);
      }
    },
  );
});
