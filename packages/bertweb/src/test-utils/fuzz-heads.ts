/**
 * The heads the fuzz suite drives, by variant: fixture folders (models/fixtures and the DeepPavlov
 * ranker fixture) with the options each variant is created with, loaded once in-thread and created
 * again through a worker (a MessageChannel or a real Node worker thread).
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { convertedFixture } from '../../../classify/src/test-utils/deeppavlov-fixtures.js';
import {
  type BertwebClient,
  connect,
  createClassifier,
  createEmbedder,
  createRanker,
  createReader,
  createTagger,
  defaultTasks,
  type LoadedModel,
  loadModel,
  serve,
  type Tokenizer,
} from '../index.js';
import type { AnyHead, HeadKind } from './head-specs.js';

const FIXTURES = new URL('../../../../models/fixtures/', import.meta.url).pathname;

/** One head configuration under fuzz. */
export interface Variant {
  readonly kind: HeadKind;
  readonly name: string;
  /** The model folder (resolved before the suite starts). */
  readonly folder: () => Promise<string>;
  /** Options the variant's head is created with (besides `backend: 'wasm'`). */
  readonly options: Readonly<Record<string, unknown>>;
  [fc.toStringMethod]?: () => string;
}

const fixture = (name: string) => async () => `${FIXTURES}${name}`;
const ranker = () => convertedFixture('ranking_ubuntu_v2_torch_bert_uncased');

/** Every variant: two per head, so that schemes, rules, poolings and windows differ. */
const VARIANT_LIST: Variant[] = [
  { kind: 'tagger', name: 'bert-token-cls (CRF)', folder: fixture('bert-token-cls'), options: {} },
  {
    kind: 'tagger',
    name: 'distilbert-token-cls (BIOES, constrained, 24-token windows)',
    folder: fixture('distilbert-token-cls'),
    options: { constrainBio: true, maxLength: 24, windowOverlap: 6 },
  },
  { kind: 'reader', name: 'bert-qa', folder: fixture('bert-qa'), options: {} },
  {
    kind: 'reader',
    name: 'distilbert-qa (DeepPavlov rule, 48-token windows)',
    folder: fixture('distilbert-qa'),
    options: { answerRule: 'deeppavlov', maxLength: 48, windowOverlap: 16 },
  },
  { kind: 'embedder', name: 'bert-base', folder: fixture('bert-base'), options: {} },
  {
    kind: 'embedder',
    name: 'distilbert-base (chunks of 32, normalized)',
    folder: fixture('distilbert-base'),
    options: { longText: 'chunk', maxLength: 32, normalize: true },
  },
  { kind: 'classifier', name: 'bert-seq-cls (softmax)', folder: fixture('bert-seq-cls'), options: {} },
  {
    kind: 'classifier',
    name: 'distilbert-seq-cls (sigmoid, 32 tokens)',
    folder: fixture('distilbert-seq-cls'),
    options: { maxLength: 32, truncation: 'only_second' },
  },
  { kind: 'ranker', name: 'DeepPavlov ubuntu ranker (softmax)', folder: ranker, options: {} },
  {
    kind: 'ranker',
    name: 'DeepPavlov ubuntu ranker (sigmoid, segments, 24 tokens, top 3)',
    folder: ranker,
    options: { scoring: 'sigmoid', tokenTypes: 'segments', maxLength: 24, topK: 3 },
  },
];

/** Every variant, printed by name in counterexamples. */
export const VARIANTS: readonly Variant[] = VARIANT_LIST.map((v) =>
  Object.assign(v, { [fc.toStringMethod]: () => v.name }),
);

/** The variants of one head. */
export function variantsOf(kind: HeadKind): Variant[] {
  return VARIANTS.filter((v) => v.kind === kind);
}

/** The in-thread factories by head. */
// biome-ignore lint/suspicious/noExplicitAny: driven generically.
export const FACTORIES: Readonly<Record<HeadKind, (source: any, options?: any) => Promise<AnyHead>>> = {
  tagger: createTagger,
  reader: createReader,
  embedder: createEmbedder,
  classifier: createClassifier,
  ranker: createRanker,
};

/** A fixture model loaded once per folder, with its tokenizer. */
export interface LoadedFixture {
  readonly folder: string;
  readonly model: LoadedModel;
  readonly tokenizer: Tokenizer;
}

const loaded = new Map<string, Promise<LoadedFixture>>();

/** The folder's model, loaded once (WASM). */
export function loadedFixture(folder: string): Promise<LoadedFixture> {
  let entry = loaded.get(folder);
  if (!entry) {
    entry = loadModel(folder, { backend: 'wasm' }).then((model) => ({ folder, model, tokenizer: model.tokenizer }));
    loaded.set(folder, entry);
  }
  return entry;
}

/** Disposes every loaded fixture model. */
export async function disposeLoadedFixtures(): Promise<void> {
  for (const entry of loaded.values()) await (await entry).model.dispose();
  loaded.clear();
}

/** A set of heads, one per variant, in one mode. */
export interface HeadSet {
  readonly mode: 'in-thread' | 'worker' | 'node-worker';
  readonly heads: Map<Variant, AnyHead>;
  /** Arguments must survive structured cloning. */
  readonly crossesWorker: boolean;
  readonly client?: BertwebClient<typeof defaultTasks>;
  readonly crashes: unknown[];
  readonly close: () => Promise<void>;
}

/** In-thread heads on the loaded fixtures (borrowed models). */
export async function inThreadHeads(variants: readonly Variant[] = VARIANTS): Promise<HeadSet> {
  const heads = new Map<Variant, AnyHead>();
  for (const v of variants) {
    const { model } = await loadedFixture(await v.folder());
    heads.set(v, await FACTORIES[v.kind](model, v.options));
  }
  return {
    mode: 'in-thread',
    heads,
    crossesWorker: false,
    crashes: [],
    close: async () => {
      for (const head of heads.values()) await head.dispose();
    },
  };
}

/** Node worker entry serving {@link defaultTasks} (see fuzz-worker.mjs). */
export const NODE_WORKER_ENTRY = new URL('./fuzz-worker.mjs', import.meta.url);

/** Heads created through a worker: `serve` on a MessageChannel in this thread, or a real worker thread. */
export async function workerHeads(
  mode: 'worker' | 'node-worker',
  variants: readonly Variant[] = VARIANTS,
): Promise<HeadSet> {
  const crashes: unknown[] = [];
  let close: () => void;
  let client: BertwebClient<typeof defaultTasks>;
  if (mode === 'worker') {
    const channel = new MessageChannel();
    serve(defaultTasks, channel.port1);
    client = connect<typeof defaultTasks>(channel.port2, { onCrash: (e) => crashes.push(e) });
    close = () => {
      client.terminate();
      channel.port1.close();
    };
  } else {
    // The worker resolves the workspace packages to their TypeScript sources, as Vitest does.
    const spawn = () => new Worker(NODE_WORKER_ENTRY, { execArgv: ['--conditions=source'] });
    client = connect<typeof defaultTasks>(spawn, { onCrash: (e) => crashes.push(e), handshakeTimeoutMs: 120_000 });
    close = () => client.terminate();
  }
  const heads = new Map<Variant, AnyHead>();
  for (const v of variants) {
    const create = client.create.bind(client) as (kind: string, source: unknown, options: unknown) => Promise<unknown>;
    heads.set(v, (await create(v.kind, await v.folder(), { backend: 'wasm', ...v.options })) as AnyHead);
  }
  return {
    mode,
    heads,
    crossesWorker: true,
    client,
    crashes,
    close: async () => {
      for (const head of heads.values()) await head.dispose().catch(() => undefined);
      close();
    },
  };
}
