import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Encoding, type FileMap, type LoadedModel, loadModel, serve } from '@bertweb/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWords, makeDecoder } from './decode.js';
import { type Entity, entitiesFromTags } from './entities.js';
import { detectScheme, parseTags } from './scheme.js';
import { createTagger, type Tagger } from './tagger.js';
import { splitWords } from './words.js';

const FIXTURES = new URL('../../../models/fixtures/', import.meta.url).pathname;
const BERT = join(FIXTURES, 'bert-token-cls');
const DISTIL = join(FIXTURES, 'distilbert-token-cls');

/** Every file of a fixture folder as a file-map source, with some replaced or removed. */
function fileMap(folder: string, replace: Record<string, string | undefined> = {}): { files: FileMap; name: string } {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else if (name !== 'reference.json') files[`${prefix}${name}`] = readFileSync(path);
    }
  };
  walk(folder, '');
  for (const [name, content] of Object.entries(replace)) {
    if (content === undefined) delete files[name];
    else files[name] = new TextEncoder().encode(content);
  }
  return { files, name: `${folder} (edited)` };
}

/** A loaded model whose infer is observed (and optionally altered). */
function observed(
  model: LoadedModel,
  onInfer: (encodings: readonly Encoding[]) => void,
  alter?: (data: Float32Array) => void,
) {
  const wrapper: LoadedModel = {
    source: model.source,
    files: model.files,
    info: model.info,
    tokenizer: model.tokenizer,
    backend: model.backend,
    inputNames: model.inputNames,
    outputNames: model.outputNames,
    get disposed() {
      return model.disposed;
    },
    async infer(encodings, options) {
      onInfer(encodings);
      const outputs = await model.infer(encodings, options);
      if (alter) for (const o of outputs) if (o.logits) alter(o.logits.data);
      return outputs;
    },
    dispose: () => model.dispose(),
  };
  return wrapper;
}

/** The unwindowed computation, written out: one encoding of all words, first-subtoken logits. */
async function unwindowedEntities(model: LoadedModel, text: string): Promise<Entity[]> {
  const words = splitWords(text);
  const { cls, sep, unk } = model.tokenizer.specialTokens;
  const ids = [cls.id];
  const first: number[] = [];
  for (const w of words) {
    const pieces = model.tokenizer.tokenizeWord(w.text).ids;
    first.push(ids.length);
    ids.push(...(pieces.length === 0 || pieces.length > 15 ? [unk.id] : pieces));
  }
  ids.push(sep.id);
  const n = ids.length;
  const encoding: Encoding = {
    ids,
    tokens: ids.map(() => ''),
    typeIds: new Array(n).fill(0),
    attentionMask: new Array(n).fill(1),
    specialTokensMask: new Array(n).fill(0),
    wordIds: new Array(n).fill(null),
    sequenceIds: new Array(n).fill(null),
    offsets: new Array(n).fill([0, 0]),
    overflowing: [],
  };
  const [out] = await model.infer([encoding]);
  const labels = model.info.labels ?? [];
  const logits = new Float32Array(words.length * labels.length);
  first.forEach((t, w) => {
    logits.set(out!.logits!.data.subarray(t * labels.length, (t + 1) * labels.length), w * labels.length);
  });
  const { tags, scores } = decodeWords(logits, words.length, makeDecoder(labels.length));
  const parsed = parseTags(
    Array.from(tags, (t) => labels[t] as string),
    detectScheme(labels),
  );
  return entitiesFromTags(text, words, parsed, scores);
}

const WORD_POOL = [
  'Anna',
  'Paris',
  'Москва',
  'Пётр',
  'café',
  'Zoë',
  '😀',
  '👍🏽',
  'the',
  'of',
  '1999',
  'New',
  'York',
  'naïve',
  '東京',
];
const PUNCT = [' ', ' ', ' ', ', ', '. ', '\n', ' — ', '\t', '!', '\u00a0'];
const textArb = fc
  .array(fc.tuple(fc.constantFrom(...WORD_POOL), fc.constantFrom(...PUNCT)), { minLength: 0, maxLength: 40 })
  .map((parts) => parts.map(([w, p]) => w + p).join(''));

describe('Tagger on the fixtures', () => {
  let bert: LoadedModel;
  let distil: LoadedModel;
  let tagger: Tagger;
  beforeAll(async () => {
    bert = await loadModel(BERT, { backend: 'wasm' });
    distil = await loadModel(DISTIL, { backend: 'wasm' });
    tagger = await createTagger(bert);
  });
  afterAll(async () => {
    await bert.dispose();
    await distil.dispose();
  });

  it('reports its settings as plain data', () => {
    expect(tagger.labels).toEqual(['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC']);
    expect(tagger.scheme).toBe('BIO');
    expect(tagger.crf?.transitions).toHaveLength(7);
    expect(tagger.maxLength).toBe(512);
    expect(tagger.windowOverlap).toBe(127);
    expect(structuredClone({ ...tagger })).toMatchObject({ labels: tagger.labels, scheme: 'BIO' });
  });

  it('gives empty results for empty, blank and control-only texts; tags emoji and lone surrogates safely', async () => {
    const texts = ['', '   \n\t\u00a0', '\u0000\u0001\u200b\u200d', '😀👍🏽🇷🇺', '\ud800abc\udc00 x\ud83d'];
    const results = await tagger.tag(texts);
    expect(results.slice(0, 3)).toEqual([[], [], []]);
    results.forEach((entities, i) => {
      for (const e of entities) expect(texts[i]?.slice(e.start, e.end)).toBe(e.text);
    });
    expect(await tagger.tagWords([[]])).toEqual([{ tags: [], scores: new Float32Array(0) }]);
    expect(await tagger.tag([])).toEqual([]);
  });

  it('rejects non-string input with INPUT_INVALID', async () => {
    const invalid = expect.objectContaining({ code: 'INPUT_INVALID' });
    await expect(tagger.tag([42 as unknown as string])).rejects.toEqual(invalid);
    await expect(tagger.tag('text' as unknown as string[])).rejects.toEqual(invalid);
    await expect(tagger.tagWords([['ok', null as unknown as string]])).rejects.toEqual(invalid);
    await expect(tagger.tagWords('x' as unknown as string[][])).rejects.toEqual(invalid);
  });

  it('every entity is the slice of its text (random texts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(textArb, fc.string({ unit: 'binary', maxLength: 30 })), { maxLength: 4 }),
        async (texts) => {
          const results = await tagger.tag(texts);
          results.forEach((entities, i) => {
            let previousEnd = 0;
            for (const e of entities) {
              expect(texts[i]?.slice(e.start, e.end)).toBe(e.text);
              expect(e.start).toBeGreaterThanOrEqual(previousEnd);
              expect(e.score).toBeGreaterThan(0);
              expect(e.score).toBeLessThanOrEqual(1);
              previousEnd = e.end;
            }
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('windowed tagging equals the plain unwindowed computation for texts that fit one window', async () => {
    const plain = await createTagger(distil);
    await fc.assert(
      fc.asyncProperty(textArb, async (text) => {
        const [windowed] = await plain.tag([text]);
        expect(windowed).toEqual(await unwindowedEntities(distil, text));
      }),
      { numRuns: 25 },
    );
  });

  it('reads a 100,000-character text in bounded batches of windows', async () => {
    let maxPerCall = 0;
    let calls = 0;
    const windowBatch = 16;
    // 128-subtoken windows keep the test quick (attention cost grows with the window length).
    const counted = await createTagger(
      observed(bert, (encodings) => {
        calls++;
        maxPerCall = Math.max(maxPerCall, encodings.length);
      }),
      { maxInputsPerCall: windowBatch, maxLength: 128 },
    );
    const sentence = 'Anna Karenina met Count Vronsky at the Moscow station, café 😀 and Москва! ';
    const text = sentence.repeat(Math.ceil(100_000 / sentence.length)).slice(0, 100_000);
    const [encoded] = await counted.encode([text]);
    const windows = encoded?.windows.length ?? 0;
    expect(windows).toBeGreaterThan(200);
    expect(Math.max(...(encoded?.windows.map((w) => w.ids.length) ?? []))).toBeLessThanOrEqual(128);
    calls = 0;
    const progress: number[] = [];
    const [entities] = await counted.tag([text], { onProgress: (e) => progress.push(e.loaded) });
    expect(maxPerCall).toBeLessThanOrEqual(windowBatch);
    expect(calls).toBe(Math.ceil(windows / windowBatch));
    expect(progress[progress.length - 1]).toBe(windows);
    expect(entities?.length).toBeGreaterThan(100);
    for (const e of entities ?? []) expect(text.slice(e.start, e.end)).toBe(e.text);
    // Entities are found to the very end of the text.
    expect(entities?.[entities.length - 1]?.end).toBeGreaterThan(99_000);
  });

  it('batches several texts and their windows into one call per chunk', async () => {
    const sizes: number[] = [];
    const batched = await createTagger(
      observed(bert, (e) => sizes.push(e.length)),
      { maxLength: 16 },
    );
    sizes.length = 0; // forget the label check at creation
    const texts = ['Anna met Vronsky in Moscow on Monday with Kitty and Levin at the station.', 'Paris', ''];
    const results = await batched.tag(texts);
    expect(sizes.length).toBe(1);
    const encoded = await batched.encode(texts);
    expect(sizes[0]).toBe(encoded.reduce((n, e) => n + e.windows.length, 0));
    expect(results[2]).toEqual([]);
  });

  it('turns NaN logits into RUNTIME', async () => {
    const broken = await createTagger(
      observed(
        bert,
        () => {},
        (data) => data.fill(Number.NaN),
      ),
    );
    await expect(broken.tag(['Anna'])).rejects.toMatchObject({ code: 'RUNTIME' });
  });

  it('aborts with ABORTED, before and during a run', async () => {
    await expect(tagger.tag(['x'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    const slow = await createTagger(bert, { maxInputsPerCall: 1, maxLength: 8 });
    const controller = new AbortController();
    const run = slow.tag(['one two three four five six seven eight nine ten eleven twelve'.repeat(20)], {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects calls after dispose, and leaves a shared model alone', async () => {
    const t = await createTagger(bert);
    await t.dispose();
    await expect(t.tag(['x'])).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(t.tagWords([['x']])).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(bert.disposed).toBe(false);
    const owned = await createTagger(DISTIL, { backend: 'wasm' });
    await owned.dispose();
    await expect(owned.tag(['x'])).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});

describe('Tagger model checks', () => {
  const invalid = expect.objectContaining({ code: 'MODEL_INVALID' });

  it('rejects a label map that does not match the logits', async () => {
    const config = JSON.parse(readFileSync(join(BERT, 'config.json'), 'utf8'));
    config.id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER' };
    config.label2id = { O: 0, 'B-PER': 1, 'I-PER': 2 };
    const files = fileMap(BERT, { 'config.json': JSON.stringify(config), 'crf.json': undefined });
    await expect(createTagger(files, { backend: 'wasm' })).rejects.toEqual(invalid);
    await expect(createTagger(BERT, { backend: 'wasm', labels: ['O', 'B-X'] })).rejects.toEqual(invalid);
  });

  it('rejects a crf.json of the wrong size, or a broken one', async () => {
    const crf = JSON.parse(readFileSync(join(BERT, 'crf.json'), 'utf8'));
    const small = {
      transitions: crf.transitions.slice(0, 6).map((r: number[]) => r.slice(0, 6)),
      start: crf.start.slice(0, 6),
      end: crf.end.slice(0, 6),
    };
    await expect(
      createTagger(fileMap(BERT, { 'crf.json': JSON.stringify(small) }), { backend: 'wasm' }),
    ).rejects.toEqual(invalid);
    await expect(
      createTagger(fileMap(BERT, { 'crf.json': '{"transitions": 1}' }), { backend: 'wasm' }),
    ).rejects.toEqual(invalid);
    await expect(
      createTagger(BERT, { backend: 'wasm', crf: { transitions: [[0]], start: [0], end: [0] } }),
    ).rejects.toEqual(invalid);
    // crf: false ignores the file.
    const t = await createTagger(fileMap(BERT, { 'crf.json': JSON.stringify(small) }), { backend: 'wasm', crf: false });
    expect(t.crf).toBeUndefined();
    await t.dispose();
  });

  it('rejects models of other tasks and bad options', async () => {
    await expect(createTagger(join(FIXTURES, 'bert-seq-cls'), { backend: 'wasm' })).rejects.toEqual(invalid);
    await expect(createTagger(BERT, { backend: 'wasm', maxLength: 2 })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
    await expect(createTagger(BERT, { backend: 'wasm', maxLength: 64, windowOverlap: 40 })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
  });
});

describe('Tagger through serve/connect', () => {
  it('gives the same results as in-thread, typed arrays included', async () => {
    const channel = new MessageChannel();
    serve({ tagger: createTagger }, channel.port1);
    const client = connect<{ tagger: typeof createTagger }>(channel.port2);
    try {
      const remote = await client.create('tagger', BERT, { backend: 'wasm', constrainBio: true });
      const local = await createTagger(BERT, { backend: 'wasm', constrainBio: true });
      expect(remote.labels).toEqual(local.labels);
      expect(remote.scheme).toBe('BIO');
      const texts = ['Anna Karenina met Vronsky in Moscow.', 'Привет, Москва! 😀', ''];
      expect(await remote.tag(texts)).toEqual(await local.tag(texts));
      const words = [['John', 'Smith', 'lives', 'in', 'New', 'York']];
      const [r] = await remote.tagWords(words, { probabilities: true });
      const [l] = await local.tagWords(words, { probabilities: true });
      expect(r?.probabilities).toBeInstanceOf(Float32Array);
      expect(r).toEqual(l);
      await expect(remote.tag(['x'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
      await remote.dispose();
      await expect(remote.tag(['x'])).rejects.toMatchObject({ code: 'DISPOSED' });
      await local.dispose();
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
