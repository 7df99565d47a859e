import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type LoadedModel, loadModel, serve, type TensorOutput } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './embedder.js';
import { similarity } from './similarity.js';
import { VectorIndex } from './vector-index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url));

/** A fixture folder as a file map, plus extra files (sentence-transformers metadata). */
function filesOf(name: string, extra: Record<string, unknown>): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
      else files[`${prefix}${entry}`] = readFileSync(path);
    }
  };
  walk(fixture(name), '');
  for (const [file, json] of Object.entries(extra)) files[file] = new TextEncoder().encode(JSON.stringify(json));
  return files;
}

let model: LoadedModel;
let embedder: Embedder;
beforeAll(async () => {
  model = await loadModel(fixture('bert-base'), { backend: 'wasm' });
  embedder = await createEmbedder(model);
});
afterAll(async () => {
  await embedder.dispose();
  await model.dispose();
});

describe('Embedder', () => {
  it('defaults to mean pooling without normalization and the model limit', () => {
    expect([embedder.pooling, embedder.normalize, embedder.longText, embedder.maxLength]).toEqual([
      'mean',
      false,
      'truncate',
      512,
    ]);
    expect(embedder.dim).toBe(4);
    expect(embedder.hasPooler).toBe(true);
  });

  it('returns fresh rows x dim matrices; similar texts are comparable', async () => {
    const a = await embedder.embed(['the cat sat', 'the cat sat', 'a different sentence']);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect([a.rows, a.dim, a.data.length]).toEqual([3, 4, 12]);
    expect(similarity(a.data.subarray(0, 4), a.data.subarray(4, 8))).toBeCloseTo(1, 6);
    const b = await embedder.embed(['the cat sat']);
    expect(b.data.buffer).not.toBe(a.data.buffer);
  });

  it('gives empty and whitespace-only texts zero vectors; an empty list gives an empty matrix', async () => {
    const e = await embedder.embed(['', ' \n\t', 'x']);
    expect(Array.from(e.data.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await embedder.embed([])).toEqual({ data: new Float32Array(0), rows: 0, dim: 4, truncated: [] });
    const [d] = await embedder.embedDetailed(['   ']);
    expect(d?.tokens).toEqual([]);
  });

  it('flags truncated texts, and chunk mode reads all of a long text', async () => {
    const small = await createEmbedder(model, { maxLength: 8 });
    const long = 'one two three four five six seven eight nine ten eleven twelve';
    const cut = await small.embed([long, 'short'], { longText: 'truncate' });
    expect(cut.truncated).toEqual([true, false]);
    const whole = await small.embed([long], { longText: 'chunk' });
    expect(whole.truncated).toEqual([false]);
    expect(Array.from(whole.data)).not.toEqual(Array.from(cut.data.subarray(0, 4)));
    // A one-window text is unchanged by chunking (up to float noise from being batched with padding).
    const short = await small.embed(['short'], { longText: 'chunk' });
    expect(Array.from(short.data)).toEqual(Array.from(cut.data.subarray(4, 8), (x) => expect.closeTo(x, 5)));
  });

  it('rejects bad input', async () => {
    const invalid = expect.objectContaining({ code: 'INPUT_INVALID' });
    await expect(embedder.embed('text' as unknown as string[])).rejects.toEqual(invalid);
    await expect(embedder.embed(['ok', 3 as unknown as string])).rejects.toEqual(invalid);
    await expect(embedder.embed(['ok'], { pooling: 'sum' as 'mean' })).rejects.toEqual(invalid);
    await expect(embedder.embed(['ok'], { longText: 'wrap' as 'chunk' })).rejects.toEqual(invalid);
    await expect(embedder.embedDetailed([null as unknown as string])).rejects.toEqual(invalid);
  });

  it('never crashes on lone surrogates and control characters', async () => {
    const e = await embedder.embed(['\ud800 abc \udfff', '\u0000\u0001']);
    expect(e.data.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('reports NaN in the model output as RUNTIME', async () => {
    const broken: LoadedModel = Object.assign(Object.create(model) as LoadedModel, {
      infer: async (...args: Parameters<LoadedModel['infer']>) =>
        (await model.infer(...args)).map((r) => {
          const hidden = r.last_hidden_state as TensorOutput;
          const data = hidden.data.slice();
          data[data.length - 1] = Number.NaN;
          return { ...r, last_hidden_state: { data, dims: hidden.dims } };
        }),
    });
    const e = await createEmbedder(broken);
    // Max pooling would silently skip a NaN: the output check must catch it first.
    await expect(e.embed(['hello world'], { pooling: 'max' })).rejects.toEqual(
      expect.objectContaining({ code: 'RUNTIME' }),
    );
  });

  it('honours abort and dispose, and leaves a shared model usable', async () => {
    await expect(embedder.embed(['x'], { signal: AbortSignal.abort() })).rejects.toEqual(
      expect.objectContaining({ code: 'ABORTED' }),
    );
    const borrowed = await createEmbedder(model);
    await borrowed.dispose();
    await expect(borrowed.embed(['x'])).rejects.toEqual(expect.objectContaining({ code: 'DISPOSED' }));
    expect((await embedder.embed(['x'])).rows).toBe(1);
  });

  it('takes pooling, normalization and max length from sentence-transformers files', async () => {
    const st = await createEmbedder(
      {
        files: filesOf('bert-base', {
          '1_Pooling/config.json': { word_embedding_dimension: 4, pooling_mode_cls_token: true },
          'modules.json': [
            { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
            { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
            { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
          ],
          'sentence_bert_config.json': { max_seq_length: 16, do_lower_case: false },
        }),
      },
      { backend: 'wasm' },
    );
    expect([st.pooling, st.normalize, st.maxLength]).toEqual(['cls', true, 16]);
    const texts = ['a sentence', 'another one'];
    expect(await st.embed(texts)).toEqual(await embedder.embed(texts, { pooling: 'cls', normalize: true }));
    await st.dispose();
    await expect(
      createEmbedder(
        { files: filesOf('bert-base', { '1_Pooling/config.json': { pooling_mode_mean_sqrt_len_tokens: true } }) },
        { backend: 'wasm' },
      ),
    ).rejects.toEqual(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });

  it('rejects models without last_hidden_state and pooler pooling without a pooler', async () => {
    await expect(createEmbedder(fixture('bert-qa'), { backend: 'wasm' })).rejects.toEqual(
      expect.objectContaining({ code: 'MODEL_INVALID' }),
    );
    await expect(createEmbedder(fixture('distilbert-base'), { backend: 'wasm', pooling: 'pooler' })).rejects.toEqual(
      expect.objectContaining({ code: 'UNSUPPORTED' }),
    );
  });

  it('feeds a VectorIndex; adding a vector of another dimension is INPUT_INVALID', async () => {
    const docs = ['paris is in france', 'cats sleep a lot', 'the eiffel tower'];
    const vectors = await embedder.embed(docs);
    const index = new VectorIndex(vectors.dim);
    index.addMany(docs, vectors);
    const [hit] = index.search(vectors.data.subarray(4, 8), 1);
    expect(hit?.id).toBe('cats sleep a lot');
    expect(() => index.add('bad', new Float32Array(5))).toThrowError(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });

  it('works the same through serve/connect over a MessageChannel', async () => {
    const channel = new MessageChannel();
    serve({ embedder: createEmbedder }, channel.port1);
    const client = connect<{ embedder: typeof createEmbedder }>(channel.port2);
    try {
      const remote = await client.create('embedder', fixture('bert-base'), { backend: 'wasm' });
      expect(remote.dim).toBe(4);
      const texts = ['Hello, world!', 'Москва 🎉'];
      expect(await remote.embed(texts, { pooling: 'max' })).toEqual(await embedder.embed(texts, { pooling: 'max' }));
      expect(await remote.embedDetailed(texts)).toEqual(await embedder.embedDetailed(texts));
      await remote.dispose();
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
