/**
 * LaBSE end to end at its real shape (issue 12): BERT 12 x 768 with a 501,153-token vocabulary and the
 * sentence-transformers modules of sentence-transformers/LaBSE (Pooling cls -> Dense 768 -> 768 Tanh ->
 * Normalize), random weights generated into bench/.tmp/convert/ at bench time (never committed).
 *
 *   pnpm bench labse            (node --conditions=source --import tsx bench/labse.bench.ts [--runs 10])
 *
 * Reports, for q8 and q4 (word embeddings quantized: 8-bit rows / 4-bit blocks, so the model fits a
 * browser tab): file sizes, conversion time and peak RSS (`bertweb convert` in a child process), load time
 * (file read + ORT-web InferenceSession.create, WASM, Node) and sentences/s on WASM (1 thread, batches of 8
 * sentences of 9-31 tokens, interleaved rounds), with sentence vectors through the converted folder's
 * modules (packages/embeddings/src/sentence-modules.ts). The machine is shared: timings are preliminary.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveSource } from '../packages/core/src/index.js';
import { applySentenceModules, loadSentenceModules } from '../packages/embeddings/src/sentence-modules.js';
import {
  gaussian,
  generateCheckpoint,
  loadOrtWeb,
  type MemoryRun,
  memoryInChild,
  SHAPES,
  tmp,
} from './convert.bench.js';

const HIDDEN = 768;
const LENGTHS = [12, 18, 9, 25, 14, 31, 11, 20];

/** The sentence-transformers files of sentence-transformers/LaBSE, with random Dense weights. */
async function addSentenceModules(ckpt: string): Promise<void> {
  if (existsSync(path.join(ckpt, '2_Dense', 'model.safetensors'))) return;
  await writeFile(
    path.join(ckpt, 'modules.json'),
    JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      { idx: 3, name: '3', path: '3_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
  );
  await mkdir(path.join(ckpt, '1_Pooling'), { recursive: true });
  await writeFile(
    path.join(ckpt, '1_Pooling', 'config.json'),
    JSON.stringify({ word_embedding_dimension: HIDDEN, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
  );
  await mkdir(path.join(ckpt, '2_Dense'), { recursive: true });
  await writeFile(
    path.join(ckpt, '2_Dense', 'config.json'),
    JSON.stringify({
      in_features: HIDDEN,
      out_features: HIDDEN,
      bias: true,
      activation_function: 'torch.nn.modules.activation.Tanh',
    }),
  );
  const rand = gaussian(4321);
  const weight = Float32Array.from({ length: HIDDEN * HIDDEN }, () => 0.04 * rand());
  const bias = Float32Array.from({ length: HIDDEN }, () => 0.02 * rand());
  const header = JSON.stringify({
    'linear.weight': { dtype: 'F32', shape: [HIDDEN, HIDDEN], data_offsets: [0, weight.byteLength] },
    'linear.bias': {
      dtype: 'F32',
      shape: [HIDDEN],
      data_offsets: [weight.byteLength, weight.byteLength + bias.byteLength],
    },
  });
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  await writeFile(
    path.join(ckpt, '2_Dense', 'model.safetensors'),
    Buffer.concat([length, Buffer.from(header), Buffer.from(weight.buffer), Buffer.from(bias.buffer)]),
  );
  await writeFile(
    path.join(ckpt, 'sentence_bert_config.json'),
    JSON.stringify({ max_seq_length: 512, do_lower_case: false }),
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  const shape = SHAPES.labse;
  if (!shape) throw new Error('no labse shape');
  await mkdir(tmp, { recursive: true });
  const t0 = Date.now();
  const ckpt = await generateCheckpoint('labse', shape);
  await addSentenceModules(ckpt);
  const checkpointMb = (await stat(path.join(ckpt, 'model.safetensors'))).size / 2 ** 20;
  console.error(`checkpoint ${ckpt} (${checkpointMb.toFixed(0)} MiB, ${Date.now() - t0} ms)`);

  const files = { q8: 'onnx/model_quantized.onnx', q4: 'onnx/model_q4.onnx' } as const;
  const conversions: Record<string, MemoryRun & Record<string, unknown>> = {};
  for (const dtype of ['q8', 'q4'] as const) {
    conversions[dtype] = memoryInChild(ckpt, path.join(tmp, `out-labse-${dtype}`), dtype, 'disk');
    console.error(JSON.stringify(conversions[dtype]));
  }

  const ort = await loadOrtWeb(1);
  const batch = LENGTHS.length;
  const seq = Math.max(...LENGTHS);
  const rand = gaussian(5);
  const ids = new BigInt64Array(batch * seq);
  const mask = new BigInt64Array(batch * seq);
  LENGTHS.forEach((n, b) => {
    for (let s = 0; s < n; s++) {
      ids[b * seq + s] =
        s === 0 ? 2n : s === n - 1 ? 3n : BigInt(5 + (Math.floor(Math.abs(rand()) * 1e6) % (shape.vocab - 5)));
      mask[b * seq + s] = 1n;
    }
  });
  const input = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]),
  };
  type Session = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  const sessions: Record<string, Session> = {};
  const loadMs: Record<string, number> = {};
  const vectors: Record<string, Float32Array[]> = {};
  for (const dtype of ['q8', 'q4'] as const) {
    const folder = path.join(tmp, `out-labse-${dtype}`);
    const started = performance.now();
    const bytes = new Uint8Array(await readFile(path.join(folder, files[dtype])));
    sessions[dtype] = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    loadMs[dtype] = performance.now() - started;
    // Sentence vectors through the converted folder's modules (cls -> Dense Tanh -> Normalize).
    const pipeline = await loadSentenceModules(resolveSource(folder));
    if (!pipeline) throw new Error(`${folder} lost its modules.json`);
    const out = await (sessions[dtype] as Session).run(input);
    const hidden = out.last_hidden_state?.data as Float32Array;
    vectors[dtype] = LENGTHS.map((n, b) =>
      applySentenceModules(
        pipeline,
        hidden.subarray(b * seq * HIDDEN, (b * seq + n) * HIDDEN),
        new Array(n).fill(1),
        HIDDEN,
      ),
    );
  }
  // Interleaved timing rounds, after one warm-up run each.
  const times: Record<string, number[]> = { q8: [], q4: [] };
  for (const dtype of ['q8', 'q4']) await (sessions[dtype] as Session).run(input);
  for (let r = 0; r < runs; r++) {
    for (const dtype of r % 2 ? ['q4', 'q8'] : ['q8', 'q4']) {
      const started = performance.now();
      await (sessions[dtype] as Session).run(input);
      (times[dtype] as number[]).push(performance.now() - started);
    }
  }
  for (const s of Object.values(sessions)) await s.release();
  const cosines = (vectors.q8 as Float32Array[]).map((v, i) => {
    const w = (vectors.q4 as Float32Array[])[i] as Float32Array;
    let dot = 0;
    for (let d = 0; d < v.length; d++) dot += (v[d] as number) * (w[d] as number);
    return dot; // both unit length (Normalize)
  });
  const norms = (vectors.q8 as Float32Array[]).map((v) => Math.hypot(...v));

  const onnxMib: Record<string, number> = {};
  for (const dtype of ['q8', 'q4'] as const) {
    onnxMib[dtype] = (await stat(path.join(tmp, `out-labse-${dtype}`, files[dtype]))).size / 2 ** 20;
  }
  const rows = (['q8', 'q4'] as const).map((dtype) => {
    const c = conversions[dtype] as MemoryRun;
    const t = times[dtype] as number[];
    return {
      dtype,
      mib: +(onnxMib[dtype] as number).toFixed(1),
      folderMib: c.outputMb,
      convertS: +(c.ms / 1000).toFixed(1),
      peakRssMib: Math.round(c.peakRssMb),
      loadS: +((loadMs[dtype] as number) / 1000).toFixed(1),
      medianMs: +median(t).toFixed(0),
      minMs: +Math.min(...t).toFixed(0),
      sentencesPerS: +((batch * 1000) / median(t)).toFixed(1),
    };
  });
  console.log('## LaBSE (real shape: BERT 12 x 768, vocab 501,153; sentence-transformers modules)\n');
  console.log(
    `Random weights, safetensors checkpoint ${checkpointMb.toFixed(0)} MiB; q8/q4 quantize the word embeddings. ` +
      `WASM: onnxruntime-web in Node, 1 thread, batch of ${batch} sentences (${LENGTHS.join(', ')} tokens), ${runs} interleaved rounds. ` +
      'Shared machine: preliminary timings.\n',
  );
  console.log(
    '| dtype | ONNX MiB (folder) | convert s | convert peak RSS MiB | load s | WASM median ms (min) | sentences/s |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.dtype} | ${r.mib.toFixed(1)} (${r.folderMib.toFixed(1)}) | ${r.convertS} | ${r.peakRssMib} | ${r.loadS} | ${r.medianMs} (${r.minMs}) | ${r.sentencesPerS} |`,
    );
  }
  console.log(
    `\nSentence vectors (cls -> Dense Tanh -> Normalize from the converted folder): norms ${Math.min(...norms).toFixed(4)}-${Math.max(...norms).toFixed(4)}; ` +
      `q4 vs q8 cosine min ${Math.min(...cosines).toFixed(4)} (random 12-layer weights amplify 4-bit error; see the convert section).`,
  );
  console.log(
    `\n\`\`\`json\n${JSON.stringify({ shape: 'labse', ...shape, checkpointMb: +checkpointMb.toFixed(1), rows, conversions, cosines })}\n\`\`\``,
  );
}

await main();
