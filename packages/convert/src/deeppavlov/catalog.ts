/**
 * The DeepPavlov part of `models/catalog.json`: the base models' shapes, the ONNX sizes bertweb's
 * converter writes for them, and one entry per BERT-family DeepPavlov 1.7 config. Pure; the script
 * `models/scripts/build_catalog.ts` writes the file and `catalog.test.ts` checks it against the configs.
 *
 * Sizes follow the converter's layout (packages/convert/src/onnx/bert-graph.ts, quantized-ops.ts):
 * - fp32 / fp16: every tensor in 4 / 2 bytes;
 * - q8 (default `per-row`): encoder and pooler Linear weights int8 (k*n) + an fp32 scale and a uint8 zero
 *   point per output; the word embedding int8 per row + an fp32 scale per row; positions, token types,
 *   LayerNorms, biases and the task head in fp32;
 * - q4: encoder and pooler Linear weights in MatMulNBits blocks of 32 along K (16 bytes per block, padded)
 *   + an fp32 scale per block; the word embedding in 4-bit blocks + an fp16 scale per block when the
 *   width is a multiple of 32, else int8 rows as in q8; the rest fp32.
 * Graph structure adds a few kB, below the MB rounding.
 */
import { isBertwebError } from '@bertweb/core';
import { type DeepPavlovConfig, type DeepPavlovTask, parseDeepPavlovConfig } from './config.js';

/**
 * What the size of an encoder depends on.
 *
 * @example
 * ```ts
 * const shape: EncoderShape = HUB_SHAPES['DeepPavlov/rubert-base-cased'];
 * ```
 */
export interface EncoderShape {
  readonly family: 'bert' | 'distilbert';
  readonly vocab: number;
  readonly hidden: number;
  readonly layers: number;
  readonly intermediate: number;
  readonly positions: number;
  /** BERT: 2; DistilBERT has no token types. */
  readonly typeVocab: number;
  /** Where the shape comes from. */
  readonly source: string;
}

/**
 * The head a converted graph ends with.
 *
 * @example
 * ```ts
 * const head: HeadShape = { kind: 'token-classification', labels: 7 };
 * ```
 */
export type HeadShape =
  | { readonly kind: 'base'; readonly pooler: boolean }
  | { readonly kind: 'token-classification'; readonly labels: number }
  | { readonly kind: 'sequence-classification'; readonly labels: number }
  | { readonly kind: 'question-answering' };

/**
 * Sizes in bytes of `onnx/model*.onnx` per dtype.
 *
 * @example
 * ```ts
 * const { q8 } = estimateOnnxBytes(shape, { kind: 'question-answering' });
 * ```
 */
export interface DtypeSizes {
  readonly fp32: number;
  readonly fp16: number;
  readonly q8: number;
  readonly q4: number;
}

const HF = 'config.json on the Hugging Face hub';
/**
 * Base models of the DeepPavlov configs and of the hub models the catalog lists.
 *
 * @example
 * ```ts
 * HUB_SHAPES['DeepPavlov/distilrubert-tiny-cased-conversational-v1'].hidden; // 264
 * ```
 */
export const HUB_SHAPES: Readonly<Record<string, EncoderShape>> = {
  'DeepPavlov/rubert-base-cased': bert(119547, `${HF} (BERT-base, 119,547 WordPiece entries)`),
  'DeepPavlov/rubert-base-cased-conversational': bert(119547, `${HF} (same shape as rubert-base-cased)`),
  'DeepPavlov/bert-base-cased-conversational': bert(
    28996,
    'model card: BERT-base initialised from bert-base-cased (its 28,996-entry vocabulary); not re-read here',
  ),
  'DeepPavlov/distilrubert-base-cased-conversational': distil(119547, 768, 6, 3072, `${HF} (commit a0cf62e)`),
  'DeepPavlov/distilrubert-tiny-cased-conversational': distil(119547, 768, 2, 3072, `${HF} (commit a70de70)`),
  'DeepPavlov/distilrubert-tiny-cased-conversational-v1': distil(30522, 264, 3, 792, `${HF} (commit 9c97148)`),
  'bert-base-cased': bert(28996, `${HF} (Google BERT-base cased)`),
  'bert-base-uncased': bert(30522, 'shared/data/tokenizers/bert-base-uncased/vocab.txt (30,522) + BERT-base'),
  'bert-base-multilingual-cased': bert(119547, `${HF} (mBERT)`),
  'distilbert-base-uncased': distil(30522, 768, 6, 3072, HF),
  'distilbert-base-multilingual-cased': distil(119547, 768, 6, 3072, HF),
};

function bert(vocab: number, source: string): EncoderShape {
  return { family: 'bert', vocab, hidden: 768, layers: 12, intermediate: 3072, positions: 512, typeVocab: 2, source };
}

function distil(vocab: number, hidden: number, layers: number, intermediate: number, source: string): EncoderShape {
  return { family: 'distilbert', vocab, hidden, layers, intermediate, positions: 512, typeVocab: 0, source };
}

const BLOCK = 32;

/** Bytes of one quantized Linear weight [n, k] (bias excluded). */
function linearBytes(k: number, n: number, dtype: keyof DtypeSizes): number {
  if (dtype === 'fp32') return k * n * 4;
  if (dtype === 'fp16') return k * n * 2;
  if (dtype === 'q8') return k * n + n * 4 + n;
  const blocks = Math.ceil(k / BLOCK);
  return n * blocks * (BLOCK / 2) + n * blocks * 4;
}

function wordEmbeddingBytes(v: number, h: number, dtype: keyof DtypeSizes): number {
  if (dtype === 'fp32') return v * h * 4;
  if (dtype === 'fp16') return v * h * 2;
  if (dtype === 'q4' && h % BLOCK === 0) return (v * h) / 2 + v * (h / BLOCK) * 2;
  return v * h + v * 4;
}

/**
 * Estimated `model*.onnx` sizes in bytes for an encoder and head, following the converter's layout rules.
 *
 * @example
 * ```ts
 * const sizes = estimateOnnxBytes(HUB_SHAPES['DeepPavlov/rubert-base-cased'], { kind: 'token-classification', labels: 7 });
 * Math.round(sizes.q8 / 1e6); // about 180
 * ```
 */
export function estimateOnnxBytes(shape: EncoderShape, head: HeadShape): DtypeSizes {
  const { hidden: h, intermediate: i, layers } = shape;
  const sizes = {} as Record<keyof DtypeSizes, number>;
  for (const dtype of ['fp32', 'fp16', 'q8', 'q4'] as const) {
    const float = dtype === 'fp16' ? 2 : 4; // what stays unquantized is in the compute type
    let bytes = wordEmbeddingBytes(shape.vocab, h, dtype);
    bytes += (shape.positions + shape.typeVocab) * h * float + 2 * h * float; // + embedding LayerNorm
    const perLayer =
      linearBytes(h, 3 * h, dtype) + linearBytes(h, h, dtype) + linearBytes(h, i, dtype) + linearBytes(i, h, dtype);
    const perLayerFloat = (3 * h + h + i + h) * float + 4 * h * float; // biases + two LayerNorms
    bytes += layers * (perLayer + perLayerFloat);
    if (head.kind === 'base' && head.pooler) bytes += linearBytes(h, h, dtype) + h * float;
    if (head.kind === 'sequence-classification') {
      // BERT: pooler (quantized) + classifier; DistilBERT: pre_classifier (quantized) + classifier
      bytes += linearBytes(h, h, dtype) + h * float + (h * head.labels + head.labels) * float;
    }
    if (head.kind === 'token-classification') bytes += (h * head.labels + head.labels) * float;
    if (head.kind === 'question-answering') bytes += (h * 2 + 2) * float;
    sizes[dtype] = bytes;
  }
  return sizes;
}

/**
 * One DeepPavlov config in the catalog.
 *
 * @example
 * ```ts
 * const entry: DeepPavlovCatalogEntry = catalogEntry(cfg);
 * ```
 */
export interface DeepPavlovCatalogEntry {
  readonly config: string;
  readonly task: DeepPavlovTask;
  /** Hub id of the base, or null for embedders whose tarball holds the whole model. */
  readonly base: string | null;
  readonly architecture: string;
  readonly downloads: readonly { readonly url: string; readonly needed: boolean }[];
  readonly weightsAvailable: boolean;
  readonly settings: {
    readonly doLowerCase: boolean;
    readonly maxSeqLength: number;
    readonly maxSubwordLength: number | null;
    readonly useCrf: boolean;
    readonly multilabel: boolean;
    readonly isBinary: boolean;
    readonly returnProbas: boolean;
  };
  /** Estimated converted sizes, MB (10^6 bytes); the head's label count is that of `labelsAssumed`. */
  readonly sizesMB: DtypeSizes;
  readonly labelsAssumed: number;
  readonly sizesApproximate: true;
}

/** Label counts used for size estimates when the config reads them from a vocabulary (tiny either way). */
const ASSUMED_LABELS: Readonly<Record<DeepPavlovTask, number>> = {
  ner: 9,
  classification: 3,
  squad: 2,
  ranking: 2,
  'rel-ranking': 1,
  embedder: 0,
};

/** Embedders' base shapes: their tarballs are multilingual BERT-base checkpoints. */
const EMBEDDER_SHAPE = bert(119547, 'tarball name: multi_cased_L-12_H-768_A-12 (mBERT-base)');

/**
 * The catalog entry of a parsed config.
 *
 * @example
 * ```ts
 * const entry = catalogEntry(parseDeepPavlovConfig(json, { name: 'ner_rus_bert' }));
 * entry.base; // 'DeepPavlov/rubert-base-cased'
 * ```
 */
export function catalogEntry(cfg: DeepPavlovConfig): DeepPavlovCatalogEntry {
  const shape = cfg.transformer ? HUB_SHAPES[cfg.transformer] : EMBEDDER_SHAPE;
  if (!shape) throw new Error(`no shape known for ${cfg.transformer}; add it to HUB_SHAPES`);
  const labels = typeof cfg.head.labels === 'number' ? cfg.head.labels : ASSUMED_LABELS[cfg.task];
  const head: HeadShape =
    cfg.task === 'ner'
      ? { kind: 'token-classification', labels }
      : cfg.task === 'squad'
        ? { kind: 'question-answering' }
        : cfg.task === 'embedder'
          ? { kind: 'base', pooler: true }
          : cfg.task === 'rel-ranking'
            ? { kind: 'token-classification', labels: 1 } // encoder + fc(1) on [CLS]: same weight count
            : { kind: 'sequence-classification', labels: cfg.head.isBinary ? 1 : labels };
  const bytes = estimateOnnxBytes(shape, head);
  const mb = (b: number) => Math.round(b / 1e6);
  const family = shape.family === 'bert' ? 'Bert' : 'DistilBert';
  const architecture = {
    ner: `${family}ForTokenClassification`,
    classification: `${family}ForSequenceClassification`,
    ranking: `${family}ForSequenceClassification`,
    squad: `${family}ForQuestionAnswering`,
    'rel-ranking': `${family}Model + Linear(1)`,
    embedder: `${family}Model`,
  }[cfg.task];
  return {
    config: cfg.name,
    task: cfg.task,
    base: cfg.transformer,
    architecture,
    downloads: cfg.downloads.map((d) => ({ url: d.url, needed: d.needed })),
    weightsAvailable: cfg.weightsAvailable,
    settings: {
      doLowerCase: cfg.preprocessor.doLowerCase,
      maxSeqLength: cfg.preprocessor.maxSeqLength,
      maxSubwordLength: cfg.preprocessor.maxSubwordLength,
      useCrf: cfg.head.useCrf,
      multilabel: cfg.head.multilabel,
      isBinary: cfg.head.isBinary,
      returnProbas: cfg.head.returnProbas,
    },
    sizesMB: { fp32: mb(bytes.fp32), fp16: mb(bytes.fp16), q8: mb(bytes.q8), q4: mb(bytes.q4) },
    labelsAssumed: labels,
    sizesApproximate: true,
  };
}

/**
 * A config that bertweb cannot run, with the component that stops it.
 *
 * @example
 * ```ts
 * const e: UnsupportedCatalogEntry = { config: 'x', unsupported: 'torch_record_postprocessor', reason: '...' };
 * ```
 */
export interface UnsupportedCatalogEntry {
  readonly config: string;
  readonly unsupported: string;
  readonly reason: string;
}

/**
 * Catalog entries for configs given as `{ name, json }`, in the given order: a {@link DeepPavlovCatalogEntry},
 * or an {@link UnsupportedCatalogEntry} where parsing throws UNSUPPORTED.
 *
 * @example
 * ```ts
 * deepPavlovCatalog([{ name: 'ner_rus_bert', json }])[0]; // { config: 'ner_rus_bert', task: 'ner', ... }
 * ```
 */
export function deepPavlovCatalog(
  configs: readonly { readonly name: string; readonly json: unknown }[],
): (DeepPavlovCatalogEntry | UnsupportedCatalogEntry)[] {
  return configs.map(({ name, json }) => {
    try {
      return catalogEntry(parseDeepPavlovConfig(json, { name }));
    } catch (e) {
      if (!isBertwebError(e) || e.code !== 'UNSUPPORTED') throw e;
      return { config: name, unsupported: String(e.details?.component), reason: e.message };
    }
  });
}

/** The fields of a hub entry of models/catalog.json this module writes. */
interface HubEntry {
  readonly id: string;
  readonly architecture?: string;
  readonly layers?: number;
  readonly hidden?: number;
  readonly vocab?: number;
  readonly [key: string]: unknown;
}

/** Hub models the DeepPavlov configs use that the catalog did not list (added by {@link hubEntrySizes}). */
const NEW_HUB_ENTRIES: readonly { id: string; name: string; languages: string[]; notes: string }[] = [
  {
    id: 'DeepPavlov/distilrubert-base-cased-conversational',
    name: 'Conversational DistilRuBERT base, cased',
    languages: ['ru'],
    notes:
      "Distilled conversational RuBERT (6 layers); base of DeepPavlov's *_convers_distilrubert_6L NER, QA and sentiment configs.",
  },
  {
    id: 'DeepPavlov/distilrubert-tiny-cased-conversational-v1',
    name: 'Conversational DistilRuBERT-tiny v1, cased',
    languages: ['ru'],
    notes:
      'Tiny distilled conversational RuBERT: 3 layers, hidden 264, 30,522-entry vocabulary (about 12M parameters).',
  },
  {
    id: 'DeepPavlov/bert-base-cased-conversational',
    name: 'Conversational BERT base, cased (English)',
    languages: ['en'],
    notes: "English BERT-base further trained on conversational text; base of DeepPavlov's sentiment_sst_conv_bert.",
  },
];

function shapeOf(entry: HubEntry): EncoderShape | undefined {
  const known = HUB_SHAPES[entry.id];
  if (known) return known;
  if (!entry.hidden || !entry.layers || !entry.vocab || !entry.architecture) return undefined;
  const family = entry.architecture.startsWith('DistilBert') ? 'distilbert' : 'bert';
  return {
    family,
    vocab: entry.vocab,
    hidden: entry.hidden,
    layers: entry.layers,
    intermediate: 4 * entry.hidden,
    positions: 512,
    typeVocab: family === 'bert' ? 2 : 0,
    source: 'catalog entry fields (intermediate = 4 x hidden assumed)',
  };
}

/**
 * The hub entries with the DeepPavlov/* ones' sizes recomputed by {@link estimateOnnxBytes} (base graph
 * with pooler for BERT) and the missing DeepPavlov bases appended; other entries are returned unchanged.
 *
 * @example
 * ```ts
 * const models = hubEntrySizes(catalog.models);
 * ```
 */
export function hubEntrySizes(models: readonly HubEntry[]): HubEntry[] {
  const out: HubEntry[] = models.map((m) => ({ ...m }));
  for (const extra of NEW_HUB_ENTRIES) {
    if (out.some((m) => m.id === extra.id)) continue;
    const shape = HUB_SHAPES[extra.id] as EncoderShape;
    out.push({
      id: extra.id,
      name: extra.name,
      task: 'base',
      tabs: ['similarity'],
      languages: extra.languages,
      architecture: shape.family === 'bert' ? 'BertModel' : 'DistilBertModel',
      layers: shape.layers,
      hidden: shape.hidden,
      vocab: shape.vocab,
      license: null,
      notes: extra.notes,
      onnx: false,
      needsConversion: true,
      source: `https://huggingface.co/${extra.id}`,
      sizesApproximate: true,
      licenseNote:
        "No license is stated in this catalog's source notes; read the model card before redistributing. (The DeepPavlov library itself is Apache-2.0.)",
      convert: `bertweb convert --from <folder with ${extra.id.split('/')[1]}'s pytorch_model.bin, config.json, vocab.txt> --out <dir> --dtype q8,q4`,
    });
  }
  return out.map((m) => {
    if (!m.id.startsWith('DeepPavlov/')) return m;
    const shape = shapeOf(m);
    if (!shape) return m;
    const bytes = estimateOnnxBytes(shape, { kind: 'base', pooler: shape.family === 'bert' });
    const mb = (b: number) => Math.round(b / 1e6);
    return {
      ...m,
      layers: shape.layers,
      hidden: shape.hidden,
      vocab: shape.vocab,
      paramsM: Math.round(bytes.fp32 / 4 / 1e6),
      sizesMB: { fp32: mb(bytes.fp32), fp16: mb(bytes.fp16), q8: mb(bytes.q8), q4: mb(bytes.q4) },
      shapeSource: shape.source,
    };
  });
}
