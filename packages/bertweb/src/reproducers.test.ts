// Issue 15's input reproducers, each exactly as reported, on the fixture heads in-thread and through a
// worker (serve + connect on a MessageChannel): every one is now INPUT_INVALID naming the argument,
// settles at once, and (in-thread, where the model can be observed) runs no inference. Reported:
// `classifier.classify([, 'a'])` never settled; `tagger.tag([, 'a'])` resolved `[undefined, [...]]`;
// `embedder.embed([,])` resolved an all-zero row; `reader.answerMany([, 'Who?'], ctx)` threw a
// TypeError; `null` options threw a TypeError in tag, classify and embed (null is the defaults); a
// non-function `onProgress` failed only after inference ran, with a TypeError; `{ signal: {} }` was
// RUNTIME. The shared head suite (core/src/head/test-utils/head-behaviour.ts) checks the same rules on
// every entry point; this file keeps the literal reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Classifier,
  connect,
  createClassifier,
  createEmbedder,
  createReader,
  createTagger,
  defaultTasks,
  type Embedder,
  type LoadedModel,
  loadModel,
  type Reader,
  serve,
  type Tagger,
} from './index.js';

const FIXTURES = new URL('../../../models/fixtures/', import.meta.url).pathname;
const CONTEXT = 'Anna lives in Paris. Boris lives in Moscow.';
/** A call that does not settle within this is the reported hang. */
const SETTLE_MS = 15_000;

interface Heads {
  readonly tagger: Tagger;
  readonly classifier: Classifier;
  readonly embedder: Embedder;
  readonly reader: Reader;
}

/** The outcome of a call, bounded in time: a hang fails instead of timing the test out. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve('did not settle (a hang)'), SETTLE_MS);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(call)
        .then((value) => ({ resolved: value }))
        .catch((error: unknown) => error),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const invalid = (pattern: RegExp) =>
  expect.objectContaining({ name: 'BertwebError', code: 'INPUT_INVALID', message: expect.stringMatching(pattern) });

/** The reproducers: label, the call, what its INPUT_INVALID message must name. */
const REPRODUCERS: readonly [string, (h: Heads) => Promise<unknown>, RegExp][] = [
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
  ["classifier.classify([, 'a'])", (h) => h.classifier.classify([, 'a'] as never), /\[0\]/],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
  ["tagger.tag([, 'a'])", (h) => h.tagger.tag([, 'a'] as never), /\[0\]/],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
  ['embedder.embed([,])', (h) => h.embedder.embed([,] as never), /\[0\]/],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
  ["reader.answerMany([, 'Who?'], ctx)", (h) => h.reader.answerMany([, 'Who?'] as never, CONTEXT), /\[0\]/],
  ["tagger.tag(['a'], { onProgress: 'x' })", (h) => h.tagger.tag(['a'], { onProgress: 'x' as never }), /onProgress/],
  [
    "classifier.classify(['a'], { onProgress: 42 })",
    (h) => h.classifier.classify(['a'], { onProgress: 42 as never }),
    /onProgress/,
  ],
  [
    "embedder.embed(['a'], { onProgress: {} })",
    (h) => h.embedder.embed(['a'], { onProgress: {} as never }),
    /onProgress/,
  ],
  [
    "reader.answer('Who?', ctx, { onProgress: true })",
    (h) => h.reader.answer('Who?', CONTEXT, { onProgress: true as never }),
    /onProgress/,
  ],
  ["tagger.tag(['a'], { signal: {} })", (h) => h.tagger.tag(['a'], { signal: {} as never }), /signal/],
  [
    "classifier.classify(['a'], { signal: {} })",
    (h) => h.classifier.classify(['a'], { signal: {} as never }),
    /signal/,
  ],
  ["embedder.embed(['a'], { signal: {} })", (h) => h.embedder.embed(['a'], { signal: {} as never }), /signal/],
  [
    "reader.answer('Who?', ctx, { signal: {} })",
    (h) => h.reader.answer('Who?', CONTEXT, { signal: {} as never }),
    /signal/,
  ],
];

/** `null` options are the defaults: the same result as no options. */
const NULL_OPTIONS: readonly [string, (h: Heads, options: undefined | null) => Promise<unknown>][] = [
  ["tagger.tag(['Anna lives in Paris.'], null)", (h, o) => h.tagger.tag(['Anna lives in Paris.'], o)],
  ["classifier.classify(['a lovely day'], null)", (h, o) => h.classifier.classify(['a lovely day'], o)],
  ["embedder.embed(['a lovely day'], null)", (h, o) => h.embedder.embed(['a lovely day'], o)],
  ["reader.answer('Who lives in Paris?', ctx, null)", (h, o) => h.reader.answer('Who lives in Paris?', CONTEXT, o)],
];

const models: LoadedModel[] = [];
let infers = 0;

/** The fixture's model with `infer` counted (borrowed by the head, disposed here). */
async function observed(name: string): Promise<LoadedModel> {
  const model = await loadModel(`${FIXTURES}${name}`, { backend: 'wasm' });
  models.push(model);
  const infer: LoadedModel['infer'] = (encodings, options) => {
    infers++;
    return model.infer(encodings, options);
  };
  return Object.assign(Object.create(model) as LoadedModel, { infer, dispose: async () => {} });
}

let inThread: Heads;
let remote: Heads;
let closeWorker: () => void;

beforeAll(async () => {
  inThread = {
    tagger: await createTagger(await observed('bert-token-cls')),
    classifier: await createClassifier(await observed('bert-seq-cls')),
    embedder: await createEmbedder(await observed('bert-base')),
    reader: await createReader(await observed('bert-qa')),
  };
  const channel = new MessageChannel();
  serve(defaultTasks, channel.port1);
  const client = connect<typeof defaultTasks>(channel.port2);
  const options = { backend: 'wasm' } as const;
  remote = {
    tagger: (await client.create('tagger', `${FIXTURES}bert-token-cls`, options)) as unknown as Tagger,
    classifier: (await client.create('classifier', `${FIXTURES}bert-seq-cls`, options)) as unknown as Classifier,
    embedder: (await client.create('embedder', `${FIXTURES}bert-base`, options)) as unknown as Embedder,
    reader: (await client.create('reader', `${FIXTURES}bert-qa`, options)) as unknown as Reader,
  };
  closeWorker = () => {
    client.terminate();
    channel.port1.close();
    channel.port2.close();
  };
});

afterAll(async () => {
  for (const heads of [inThread, remote]) {
    for (const head of Object.values(heads ?? {})) await head.dispose().catch(() => undefined);
  }
  closeWorker?.();
  for (const model of models) await model.dispose();
});

describe('issue 15 input reproducers (in-thread)', () => {
  it.each(REPRODUCERS)('%s is INPUT_INVALID before any inference', async (_, call, names) => {
    const before = infers;
    expect(await outcome(() => call(inThread))).toEqual(invalid(names));
    expect(infers, 'inference ran').toBe(before);
  });

  it.each(NULL_OPTIONS)('%s: null options are the defaults', async (_, call) => {
    expect(await outcome(() => call(inThread, null))).toEqual({ resolved: await call(inThread, undefined) });
  });
});

describe('issue 15 input reproducers (through a worker)', () => {
  it.each(REPRODUCERS)('%s is INPUT_INVALID', async (_, call, names) => {
    expect(await outcome(() => call(remote))).toEqual(invalid(names));
  });

  it.each(NULL_OPTIONS)('%s: null options are the defaults', async (_, call) => {
    expect(await outcome(() => call(remote, null))).toEqual({ resolved: await call(remote, undefined) });
  });
});

// Found by the fuzz suite (heads.fuzz.test.ts, seed -2002097183): a pooling the model lacks was
// checked before the other arguments, so a bad one came back UNSUPPORTED instead of INPUT_INVALID.
describe('found by the fuzz runs', () => {
  it("embedder.embed(texts, { pooling: 'model', normalize: {} }) without modules.json is INPUT_INVALID", async () => {
    for (const heads of [inThread, remote]) {
      const bad = { pooling: 'model', normalize: {} } as never;
      expect(await outcome(() => heads.embedder.embed([''], bad))).toEqual(invalid(/normalize/));
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point.
      const holes = [,] as never;
      expect(await outcome(() => heads.embedder.embed(holes, { pooling: 'model' }))).toEqual(invalid(/\[0\]/));
      // Well-typed, the pooling is what the model cannot do.
      expect(await outcome(() => heads.embedder.embed(['a'], { pooling: 'model' }))).toMatchObject({
        code: 'UNSUPPORTED',
      });
    }
  });
});
