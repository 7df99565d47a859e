/** The tagging head: texts or word lists -> tags and entities, DeepPavlov semantics, any length. */
import {
  type BackendReport,
  BertwebError,
  type Encoding,
  type LoadedModel,
  type LoadModelOptions,
  type ModelInfo,
  type ModelSource,
  type ProgressCallback,
  resolveModel,
  type TensorOutput,
  throwIfAborted,
} from '@bertweb/core';
import { type CrfParams, parseCrf } from './crf.js';
import { type Decoder, decodeWords, makeDecoder } from './decode.js';
import { type Entity, entitiesFromTags } from './entities.js';
import { type PreparedSequence, prepareSequence, windowEncoding, wordsFromStrings } from './inputs.js';
import { WordPieceCache } from './pieces.js';
import { allowedMoves, detectScheme, type ParsedTag, parseTags, type TagScheme } from './scheme.js';
import { splitWords, type Word } from './words.js';

/**
 * Options of {@link createTagger}: model loading plus how the head tags.
 *
 * @example
 * ```ts
 * const options: TaggerOptions = { backend: 'wasm', crf: 'auto', constrainBio: true, windowOverlap: 64 };
 * const tagger = await createTagger('models/fixtures/bert-token-cls', options);
 * ```
 */
export interface TaggerOptions extends LoadModelOptions {
  /**
   * CRF decoding: `'auto'` (default) uses `crf.json` when the model folder has one, `false` never does,
   * or pass the parameters directly.
   */
  readonly crf?: 'auto' | false | CrfParams;
  /** Forbid invalid tag moves (BIO: `O -> I-X`, `B-X -> I-Y`; BIOES likewise) in argmax and Viterbi. Default false. */
  readonly constrainBio?: boolean;
  /** Tag scheme; default detected from the labels. */
  readonly scheme?: TagScheme;
  /** Labels by id; default config.json `id2label`. */
  readonly labels?: readonly string[];
  /** A word with more subtokens than this becomes one [UNK] (DeepPavlov `max_subword_length`). Default 15. */
  readonly maxSubwordPieces?: number;
  /** Window length in subtokens including [CLS] and [SEP]; default the model's `max_position_embeddings`. */
  readonly maxLength?: number;
  /** Subtokens repeated between consecutive windows; default min(128, a quarter of the window). */
  readonly windowOverlap?: number;
  /**
   * Windows per inference call; bounds memory for long texts. Default 256: the micro-batcher sorts the
   * windows of one call by length, so larger calls pad less (1,000 factRuEval sentences: 86% padding in
   * calls of 64 windows, 21% in calls of 256, 5% in one call).
   */
  readonly windowBatch?: number;
}

/**
 * Per-call options of {@link Tagger.tag} and {@link Tagger.encode}.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * await tagger.tag(texts, { signal: controller.signal, onProgress: (e) => console.log(e.loaded, e.total) });
 * ```
 */
export interface TagOptions {
  readonly signal?: AbortSignal;
  /** Called after each batch of windows with `{status: 'progress', file: 'windows', loaded, total}`. */
  readonly onProgress?: ProgressCallback;
}

/**
 * Per-call options of {@link Tagger.tagWords}.
 *
 * @example
 * ```ts
 * const [result] = await tagger.tagWords([['New', 'York']], { probabilities: true });
 * ```
 */
export interface TagWordsOptions extends TagOptions {
  /** Also return every word's softmax over all labels. */
  readonly probabilities?: boolean;
}

/**
 * Tags of one word list ({@link Tagger.tagWords}).
 *
 * @example
 * ```ts
 * const [{ tags, scores }]: WordTags[] = await tagger.tagWords([['New', 'York']]);
 * ```
 */
export interface WordTags {
  /** One label per word (`B-PER`, `O`, ...). */
  readonly tags: string[];
  /** Softmax probability of each word's tag. */
  readonly scores: Float32Array;
  /** With `{probabilities: true}`: row-major `[numWords x numLabels]` softmax, labels in {@link Tagger.labels} order. */
  readonly probabilities?: Float32Array;
}

/**
 * What the model sees for one text ({@link Tagger.encode}).
 *
 * @example
 * ```ts
 * const [{ words, windows, owner }]: TaggerEncoding[] = await tagger.encode(['Hello world']);
 * ```
 */
export interface TaggerEncoding {
  readonly words: Word[];
  /** One encoding per window; a text that fits has one. */
  readonly windows: Encoding[];
  /** Per word, the window its tag is read from (where it has the most context). */
  readonly owner: number[];
}

const DEFAULT_MAX_PIECES = 15;
const DEFAULT_WINDOW_BATCH = 256;
const DEFAULT_OVERLAP = 128;

/**
 * A word-level tagger (NER). Create it with {@link createTagger}.
 *
 * @example
 * ```ts
 * const tagger = await createTagger('models/fixtures/bert-token-cls');
 * const [entities] = await tagger.tag(['Anna lives in Paris.']);
 * ```
 */
export class Tagger {
  /** Labels by id. */
  readonly labels: readonly string[];
  readonly scheme: TagScheme;
  /** CRF parameters in use, if any. */
  readonly crf: CrfParams | undefined;
  readonly constrainBio: boolean;
  /** Window length in subtokens, [CLS] and [SEP] included. */
  readonly maxLength: number;
  readonly windowOverlap: number;
  readonly maxSubwordPieces: number;
  readonly info: ModelInfo;
  readonly backend: BackendReport;
  readonly #model: LoadedModel;
  readonly #ownsModel: boolean;
  readonly #pieces: WordPieceCache;
  readonly #parsed: ParsedTag[];
  readonly #decoder: Decoder;
  readonly #windowBatch: number;
  #disposed = false;

  /** @internal Use {@link createTagger}. */
  constructor(model: LoadedModel, ownsModel: boolean, settings: TaggerSettings) {
    this.#model = model;
    this.#ownsModel = ownsModel;
    this.info = model.info;
    this.backend = model.backend;
    this.labels = settings.labels;
    this.scheme = settings.scheme;
    this.crf = settings.crf;
    this.constrainBio = settings.constrainBio;
    this.maxLength = settings.maxLength;
    this.windowOverlap = settings.windowOverlap;
    this.maxSubwordPieces = settings.maxSubwordPieces;
    this.#windowBatch = settings.windowBatch;
    this.#parsed = parseTags(settings.labels, settings.scheme);
    this.#pieces = new WordPieceCache(model.tokenizer, Math.min(settings.maxSubwordPieces, settings.maxLength - 2));
    this.#decoder = makeDecoder(
      settings.labels.length,
      settings.crf,
      settings.constrainBio ? allowedMoves(settings.labels, settings.scheme) : undefined,
    );
  }

  /**
   * Finds entities in texts. Empty or whitespace-only texts give `[]`. Texts of any length: long ones
   * are read in overlapping windows.
   *
   * @example
   * ```ts
   * const [entities] = await tagger.tag(['Анна живёт в Москве.']);
   * entities[0]; // { text: 'Анна', label: 'PER', start: 0, end: 4, score: 0.98 }
   * ```
   */
  async tag(texts: readonly string[], options: TagOptions = {}): Promise<Entity[][]> {
    this.#checkUsable(options.signal);
    checkStrings(texts, 'texts');
    const sequences = texts.map((text) => this.#prepare(splitWords(text)));
    const logits = await this.#run(sequences, options);
    return sequences.map((seq, i) => {
      const { tags, scores } = decodeWords(logits[i] as Float32Array, seq.words.length, this.#decoder);
      const parsed = Array.from(tags, (t) => this.#parsed[t] as ParsedTag);
      return entitiesFromTags(texts[i] as string, seq.words, parsed, scores);
    });
  }

  /**
   * Tags pre-split words, one tag per word (DeepPavlov's interface: each word is tokenized on its own
   * and tagged from its first subtoken).
   *
   * @example
   * ```ts
   * const [result] = await tagger.tagWords([['Anna', 'lives', 'in', 'Paris']], { probabilities: true });
   * result.tags; // ['B-PER', 'O', 'O', 'B-LOC']
   * ```
   */
  async tagWords(sentences: readonly (readonly string[])[], options: TagWordsOptions = {}): Promise<WordTags[]> {
    this.#checkUsable(options.signal);
    if (!Array.isArray(sentences)) throw new BertwebError('INPUT_INVALID', 'tagWords expects an array of word arrays');
    sentences.forEach((words, i) => {
      checkStrings(words, `sentences[${i}]`);
    });
    const sequences = sentences.map((words) => this.#prepare(wordsFromStrings(words)));
    const logits = await this.#run(sequences, options);
    return sequences.map((seq, i) => {
      const decoded = decodeWords(logits[i] as Float32Array, seq.words.length, this.#decoder);
      return {
        tags: Array.from(decoded.tags, (t) => this.labels[t] as string),
        scores: decoded.scores,
        ...(options.probabilities ? { probabilities: decoded.probabilities } : {}),
      };
    });
  }

  /**
   * The words and window encodings the model would see for each text (for inspection and tests).
   *
   * @example
   * ```ts
   * const [{ words, windows }] = await tagger.encode(['Hello world']);
   * windows[0].tokens; // ['[CLS]', 'hello', 'world', '[SEP]']
   * ```
   */
  async encode(texts: readonly string[], options: TagOptions = {}): Promise<TaggerEncoding[]> {
    this.#checkUsable(options.signal);
    checkStrings(texts, 'texts');
    return texts.map((text) => {
      const seq = this.#prepare(splitWords(text));
      return {
        words: [...seq.words],
        windows: seq.plan.windows.map((_, w) => windowEncoding(seq, w, this.#model.tokenizer.specialTokens)),
        owner: Array.from(seq.plan.owner),
      };
    });
  }

  /** Frees the model (when this tagger loaded it); later calls reject with DISPOSED. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsModel) await this.#model.dispose();
  }

  #checkUsable(signal: AbortSignal | undefined): void {
    if (this.#disposed) throw new BertwebError('DISPOSED', 'this tagger was disposed');
    throwIfAborted(signal);
  }

  #prepare(words: readonly Word[]): PreparedSequence {
    return prepareSequence(words, this.#pieces, this.maxLength - 2, this.windowOverlap);
  }

  /** Runs every window, in batches, and gathers each word's logits from the window that owns it. */
  async #run(sequences: readonly PreparedSequence[], options: TagOptions): Promise<Float32Array[]> {
    const numLabels = this.labels.length;
    const logits = sequences.map((seq) => new Float32Array(seq.words.length * numLabels));
    const jobs: [number, number][] = [];
    sequences.forEach((seq, s) => {
      for (let w = 0; w < seq.plan.windows.length; w++) jobs.push([s, w]);
    });
    const specials = this.#model.tokenizer.specialTokens;
    for (let from = 0; from < jobs.length; from += this.#windowBatch) {
      throwIfAborted(options.signal);
      const chunk = jobs.slice(from, from + this.#windowBatch);
      const encodings = chunk.map(([s, w]) => windowEncoding(sequences[s] as PreparedSequence, w, specials));
      const outputs = await this.#model.infer(encodings, {
        ...(options.signal ? { signal: options.signal } : {}),
        outputs: ['logits'],
      });
      if (this.#disposed) throw new BertwebError('DISPOSED', 'this tagger was disposed');
      chunk.forEach(([s, w], k) => {
        const output = outputs[k]?.logits;
        if (!output) throw new BertwebError('MODEL_INVALID', 'the model returned no logits output');
        const expectedRows = encodings[k]?.ids.length ?? 0;
        checkLogits(output, expectedRows, numLabels);
        copyOwnedWords(sequences[s] as PreparedSequence, w, output.data, logits[s] as Float32Array, numLabels);
      });
      options.onProgress?.({
        status: 'progress',
        file: 'windows',
        loaded: Math.min(from + this.#windowBatch, jobs.length),
        total: jobs.length,
      });
    }
    return logits;
  }
}

/** Copies the first-subtoken logits of the words this window owns into the sequence's word logits. */
function copyOwnedWords(
  seq: PreparedSequence,
  windowIndex: number,
  tokenLogits: Float32Array,
  wordLogits: Float32Array,
  numLabels: number,
): void {
  const window = seq.plan.windows[windowIndex];
  if (!window) return;
  let token = 1; // after [CLS]
  for (let w = window.start; w < window.end; w++) {
    if (seq.plan.owner[w] === windowIndex) {
      wordLogits.set(tokenLogits.subarray(token * numLabels, (token + 1) * numLabels), w * numLabels);
    }
    token += (seq.pieces[w] as { ids: readonly number[] }).ids.length;
  }
}

function checkLogits(output: TensorOutput, rows: number, numLabels: number): void {
  const width = output.dims[output.dims.length - 1];
  if (output.dims.length !== 2 || width !== numLabels) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have shape [${output.dims.join(', ')}] but there are ${numLabels} labels (id2label)`,
      { dims: [...output.dims], labels: numLabels },
    );
  }
  if (output.dims[0] !== rows) {
    throw new BertwebError('MODEL_INVALID', `expected ${rows} rows of token logits, got ${output.dims[0]}`);
  }
}

function checkStrings(values: unknown, name: string): asserts values is readonly string[] {
  if (!Array.isArray(values)) throw new BertwebError('INPUT_INVALID', `${name} must be an array of strings`);
  values.forEach((v, i) => {
    if (typeof v !== 'string') {
      throw new BertwebError('INPUT_INVALID', `${name}[${i}] must be a string, got ${v === null ? 'null' : typeof v}`);
    }
  });
}

/** Resolved head settings (options after defaults and validation). */
interface TaggerSettings {
  readonly labels: readonly string[];
  readonly scheme: TagScheme;
  readonly crf: CrfParams | undefined;
  readonly constrainBio: boolean;
  readonly maxLength: number;
  readonly windowOverlap: number;
  readonly maxSubwordPieces: number;
  readonly windowBatch: number;
}

/**
 * Loads a token-classification model (or takes a loaded one) and returns a {@link Tagger}. Checks that
 * the labels match the model's logits and that `crf.json`, when used, fits the labels (MODEL_INVALID).
 *
 * @example
 * ```ts
 * const tagger = await createTagger('models/fixtures/bert-token-cls', { backend: 'wasm', constrainBio: true });
 * const [entities] = await tagger.tag(['Anna lives in Paris.']);
 * await tagger.dispose();
 * ```
 */
export async function createTagger(source: ModelSource | LoadedModel, options: TaggerOptions = {}): Promise<Tagger> {
  const { model, owned } = await resolveModel(source, options);
  try {
    const settings = await resolveSettings(model, options);
    await probeLogits(model, settings.labels.length, options.signal);
    return new Tagger(model, owned, settings);
  } catch (error) {
    if (owned) await model.dispose();
    throw error;
  }
}

async function resolveSettings(model: LoadedModel, options: TaggerOptions): Promise<TaggerSettings> {
  const { info } = model;
  if (info.task === 'sequence-classification' || info.task === 'question-answering') {
    throw new BertwebError('MODEL_INVALID', `this is a ${info.task} model, not a token-classification model`);
  }
  if (!model.outputNames.includes('logits')) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model has no logits output (outputs: ${model.outputNames.join(', ')})`,
    );
  }
  const labels = options.labels ?? info.labels;
  if (!labels || labels.length === 0) {
    throw new BertwebError('MODEL_INVALID', 'config.json has no id2label; pass the labels in options.labels');
  }
  const maxLength = intOption(options.maxLength, 'maxLength', info.maxPositions, 3, info.maxPositions);
  const budget = maxLength - 2;
  const windowOverlap = intOption(
    options.windowOverlap,
    'windowOverlap',
    Math.min(DEFAULT_OVERLAP, Math.floor(budget / 4)),
    0,
    Math.floor(budget / 2),
  );
  const maxSubwordPieces =
    options.maxSubwordPieces === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : intOption(options.maxSubwordPieces, 'maxSubwordPieces', DEFAULT_MAX_PIECES, 1, Number.MAX_SAFE_INTEGER);
  return {
    labels: [...labels],
    scheme: options.scheme ?? detectScheme(labels),
    crf: await resolveCrf(model, options, labels.length),
    constrainBio: options.constrainBio ?? false,
    maxLength,
    windowOverlap,
    maxSubwordPieces,
    windowBatch: intOption(options.windowBatch, 'windowBatch', DEFAULT_WINDOW_BATCH, 1, Number.MAX_SAFE_INTEGER),
  };
}

async function resolveCrf(
  model: LoadedModel,
  options: TaggerOptions,
  numLabels: number,
): Promise<CrfParams | undefined> {
  const crf = options.crf ?? 'auto';
  if (crf === false) return undefined;
  if (crf !== 'auto') return parseCrf(crf, numLabels);
  const signal = options.signal ? { signal: options.signal } : {};
  if (!(await model.files.exists('crf.json', signal))) return undefined;
  return parseCrf(await model.files.json('crf.json', signal), numLabels);
}

/** One tiny inference so a label map that does not fit the logits fails at creation, not mid-task. */
async function probeLogits(model: LoadedModel, numLabels: number, signal: AbortSignal | undefined): Promise<void> {
  const seq: PreparedSequence = {
    words: [],
    pieces: [],
    plan: { windows: [{ start: 0, end: 0 }], owner: new Int32Array(0) },
  };
  const encoding = windowEncoding(seq, 0, model.tokenizer.specialTokens);
  const [output] = await model.infer([encoding], { ...(signal ? { signal } : {}), outputs: ['logits'] });
  if (!output?.logits) throw new BertwebError('MODEL_INVALID', 'the model returned no logits output');
  checkLogits(output.logits, encoding.ids.length, numLabels);
}

function intOption(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BertwebError('INPUT_INVALID', `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
