/** The tagging head: texts or word lists -> tags and entities, DeepPavlov semantics, any length. */

// The head skeleton's types (core.Head, core.HeadContext, ...), named where they are used.
import type * as core from '@bertweb/core';
import { BertwebError, CALL_OPTION_KEYS, CRF_FILE, check, defineHead, ModelHead } from '@bertweb/core';
import { type CrfParams, parseCrf } from './crf.js';
import { type Decoder, decodeWords, makeDecoder } from './decode.js';
import { type Entity, entitiesFromTags } from './entities.js';
import { type PreparedSequence, prepareSequence, windowEncoding, wordsFromStrings } from './inputs.js';
import { WordPieceCache } from './pieces.js';
import { allowedMoves, detectScheme, type ParsedTag, parseTags, type TagScheme } from './scheme.js';
import { DEFAULT_WORD_SPLIT, splitWords, WORD_SPLITS, type Word, type WordSplit } from './words.js';

/**
 * Options of {@link createTagger}: model loading plus how the head tags.
 *
 * @example
 * ```ts
 * const options: TaggerOptions = { backend: 'wasm', crf: 'auto', constrainBio: true, windowOverlap: 64 };
 * const tagger = await createTagger('models/fixtures/bert-token-cls', options);
 * ```
 */
export interface TaggerOptions extends core.HeadOptions {
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
  /**
   * A word with more subtokens than this becomes one [UNK] (DeepPavlov's `max_subword_length`; 15 in
   * every 1.7 NER config but `ner_bert_base`). `null` (or `Infinity`): no limit (DeepPavlov's
   * `max_subword_length: null`), except that a word longer than a whole window still becomes [UNK].
   * Default 15.
   */
  readonly maxSubwordPieces?: number | null;
  /**
   * Which subtoken of a word its tag is read from: `'first'` (default) or `'last'` (DeepPavlov's
   * `subword_mask_mode`; every 1.7 config uses the default).
   */
  readonly subwordMaskMode?: SubwordMaskMode;
  /**
   * How `tag()` splits raw text into words: `'deeppavlov-1.7'` (default; DeepPavlov 1.4+, keeps
   * `10.05.2023`, `12:30`, `ivan@mail.ru`, `т.е.` whole) or `'legacy'` (DeepPavlov before 1.4). Use the
   * split the model was trained with. `tagWords()` takes words as given.
   */
  readonly wordSplit?: WordSplit;
  /** Window length in subtokens including [CLS] and [SEP]; default the model's `max_position_embeddings`. */
  readonly maxLength?: number;
  /** Subtokens repeated between consecutive windows; default min(128, a quarter of the window). */
  readonly windowOverlap?: number;
}

/**
 * Which subtoken of a word carries its tag (DeepPavlov's `subword_mask_mode`).
 *
 * @example
 * ```ts
 * const tagger = await createTagger(source, { subwordMaskMode: 'last' as SubwordMaskMode });
 * ```
 */
export type SubwordMaskMode = 'first' | 'last';

/**
 * Per-call options of {@link Tagger.tag} and {@link Tagger.encode}; progress counts windows
 * (`{status: 'progress', file: 'windows', loaded, total}`).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * await tagger.tag(texts, { signal: controller.signal, onProgress: (e) => console.log(e.loaded, e.total) });
 * ```
 */
export type TagOptions = core.CallOptions;

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
  readonly windows: core.Encoding[];
  /** Per word, the window its tag is read from (where it has the most context). */
  readonly owner: number[];
}

/**
 * The tagger's defaults, in one place: a word with more than `maxSubwordPieces` pieces becomes one
 * [UNK] (DeepPavlov's `max_subword_length`); a word's tag is read from its first subtoken (DeepPavlov's
 * `subword_mask_mode`); long texts are read in windows of the model's length that overlap by
 * `windowOverlap` subtokens (at most a quarter of the window).
 *
 * @example
 * ```ts
 * TAGGER_DEFAULTS.maxSubwordPieces; // 15
 * ```
 */
export const TAGGER_DEFAULTS: {
  readonly maxSubwordPieces: number;
  readonly subwordMaskMode: SubwordMaskMode;
  readonly windowOverlap: number;
} = {
  maxSubwordPieces: 15,
  subwordMaskMode: 'first',
  windowOverlap: 128,
};

/**
 * A word-level tagger (NER), in-thread or through a worker. Create it with {@link createTagger}.
 *
 * @example
 * ```ts
 * const tagger: Tagger = await createTagger('models/fixtures/bert-token-cls');
 * const [entities] = await tagger.tag(['Anna lives in Paris.']);
 * ```
 */
export interface Tagger extends core.Head {
  /** Labels by id. */
  readonly labels: readonly string[];
  readonly scheme: TagScheme;
  /** CRF parameters in use, if any. */
  readonly crf: CrfParams | undefined;
  readonly constrainBio: boolean;
  /** Window length in subtokens, [CLS] and [SEP] included. */
  readonly maxLength: number;
  /** Subtokens repeated between consecutive windows of a long text. */
  readonly windowOverlap: number;
  /** A word with more pieces becomes [UNK]; `null`: no limit. */
  readonly maxSubwordPieces: number | null;
  /** Which subtoken of a word its tag is read from. */
  readonly subwordMaskMode: SubwordMaskMode;
  /** How `tag()` splits raw text into words. */
  readonly wordSplit: WordSplit;
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
  tag(texts: readonly string[], options?: TagOptions | null): Promise<Entity[][]>;
  /**
   * Tags pre-split words, one tag per word (DeepPavlov's interface: each word is tokenized on its own
   * and tagged from its first subtoken, or its last with `subwordMaskMode: 'last'`).
   *
   * @example
   * ```ts
   * const [result] = await tagger.tagWords([['Anna', 'lives', 'in', 'Paris']], { probabilities: true });
   * result.tags; // ['B-PER', 'O', 'O', 'B-LOC']
   * ```
   */
  tagWords(sentences: readonly (readonly string[])[], options?: TagWordsOptions | null): Promise<WordTags[]>;
  /**
   * The words and window encodings the model would see for each text (for inspection and tests).
   *
   * @example
   * ```ts
   * const [{ words, windows }] = await tagger.encode(['Hello world']);
   * windows[0].tokens; // ['[CLS]', 'hello', 'world', '[SEP]']
   * ```
   */
  encode(texts: readonly string[], options?: TagOptions | null): Promise<TaggerEncoding[]>;
}

/** The head's settings: its data properties, resolved from the options and the model. */
type TaggerSettings = Pick<
  Tagger,
  | 'labels'
  | 'scheme'
  | 'crf'
  | 'constrainBio'
  | 'maxLength'
  | 'windowOverlap'
  | 'maxSubwordPieces'
  | 'subwordMaskMode'
  | 'wordSplit'
>;

const TAG_WORDS_OPTION_KEYS = [...CALL_OPTION_KEYS, 'probabilities'];

/** One window of one sequence, waiting for inference. */
interface WindowJob {
  readonly sequence: number;
  readonly window: number;
  readonly encoding: core.Encoding;
}

// The settings are own data properties, which ModelHead assigns; this interface gives them their types.
// biome-ignore lint/correctness/noUnusedVariables: merged with the class below.
interface TaggerHead extends Readonly<TaggerSettings> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
class TaggerHead extends ModelHead implements Tagger {
  readonly #pieces: WordPieceCache;
  readonly #parsed: ParsedTag[];
  readonly #decoder: Decoder;

  constructor(context: core.HeadContext, settings: TaggerSettings) {
    super(context, settings);
    this.#parsed = parseTags(settings.labels, settings.scheme);
    // A word must fit a window whatever the limit: longer ones become [UNK] too.
    this.#pieces = new WordPieceCache(
      context.model.tokenizer,
      Math.min(settings.maxSubwordPieces ?? Number.POSITIVE_INFINITY, settings.maxLength - 2),
    );
    this.#decoder = makeDecoder(
      settings.labels.length,
      settings.crf,
      settings.constrainBio ? allowedMoves(settings.labels, settings.scheme) : undefined,
    );
  }

  async tag(texts: readonly string[], options?: TagOptions | null): Promise<Entity[][]> {
    const call = this.begin(options, CALL_OPTION_KEYS);
    const list = check.strings(texts, 'texts');
    const sequences = list.map((text) => this.#prepare(splitWords(text, { split: this.wordSplit })));
    const logits = await this.#run(sequences, call);
    return sequences.map((seq, i) => {
      const { tags, scores } = decodeWords(logits[i] as Float32Array, seq.words.length, this.#decoder);
      const parsed = Array.from(tags, (t) => this.#parsed[t] as ParsedTag);
      return entitiesFromTags(list[i] as string, seq.words, parsed, scores);
    });
  }

  async tagWords(sentences: readonly (readonly string[])[], options?: TagWordsOptions | null): Promise<WordTags[]> {
    const call = this.begin(options, TAG_WORDS_OPTION_KEYS);
    const probabilities = check.bool(call.probabilities, 'probabilities') ?? false;
    const list = check.denseArray(sentences, 'sentences').map((words, i) => check.strings(words, `sentences[${i}]`));
    const sequences = list.map((words) => this.#prepare(wordsFromStrings(words)));
    const logits = await this.#run(sequences, call);
    return sequences.map((seq, i) => {
      const decoded = decodeWords(logits[i] as Float32Array, seq.words.length, this.#decoder);
      return {
        tags: Array.from(decoded.tags, (t) => this.labels[t] as string),
        scores: decoded.scores,
        ...(probabilities ? { probabilities: decoded.probabilities } : {}),
      };
    });
  }

  async encode(texts: readonly string[], options?: TagOptions | null): Promise<TaggerEncoding[]> {
    this.begin(options, CALL_OPTION_KEYS);
    const specials = this.model.tokenizer.specialTokens;
    return check.strings(texts, 'texts').map((text) => {
      const seq = this.#prepare(splitWords(text, { split: this.wordSplit }));
      return {
        words: [...seq.words],
        windows: seq.plan.windows.map((_, w) => windowEncoding(seq, w, specials)),
        owner: Array.from(seq.plan.owner),
      };
    });
  }

  #prepare(words: readonly Word[]): PreparedSequence {
    return prepareSequence(words, this.#pieces, this.maxLength - 2, this.windowOverlap);
  }

  /** Runs every window and gathers each word's logits from the window that owns it. */
  async #run(sequences: readonly PreparedSequence[], call: core.CallOptions): Promise<Float32Array[]> {
    const numLabels = this.labels.length;
    const logits = sequences.map((seq) => new Float32Array(seq.words.length * numLabels));
    const specials = this.model.tokenizer.specialTokens;
    const jobs: WindowJob[] = [];
    sequences.forEach((seq, sequence) => {
      for (let window = 0; window < seq.plan.windows.length; window++) {
        jobs.push({ sequence, window, encoding: windowEncoding(seq, window, specials) });
      }
    });
    await this.runJobs(
      jobs,
      {
        encoding: (job) => job.encoding,
        outputs: { logits: (job) => [job.encoding.ids.length, numLabels] },
        consume: (job, outputs) => {
          const seq = sequences[job.sequence] as PreparedSequence;
          copyOwnedWords(
            seq,
            job.window,
            (outputs.logits as { data: Float32Array }).data,
            logits[job.sequence] as Float32Array,
            numLabels,
            this.subwordMaskMode,
          );
        },
        unit: 'windows',
      },
      call,
    );
    return logits;
  }
}

/**
 * Copies the logits of the words this window owns into the sequence's word logits: each word's first
 * subtoken, or its last one (`subwordMaskMode`).
 */
function copyOwnedWords(
  seq: PreparedSequence,
  windowIndex: number,
  tokenLogits: Float32Array,
  wordLogits: Float32Array,
  numLabels: number,
  mode: SubwordMaskMode,
): void {
  const window = seq.plan.windows[windowIndex];
  if (!window) return;
  let token = 1; // after [CLS]
  for (let w = window.start; w < window.end; w++) {
    const pieces = (seq.pieces[w] as { ids: readonly number[] }).ids.length;
    if (seq.plan.owner[w] === windowIndex) {
      const marked = mode === 'last' ? token + pieces - 1 : token;
      wordLogits.set(tokenLogits.subarray(marked * numLabels, (marked + 1) * numLabels), w * numLabels);
    }
    token += pieces;
  }
}

const SUBWORD_MASK_MODES: readonly SubwordMaskMode[] = ['first', 'last'];

const TAGGER_OPTION_KEYS = [
  'crf',
  'constrainBio',
  'scheme',
  'labels',
  'maxSubwordPieces',
  'subwordMaskMode',
  'maxLength',
  'windowOverlap',
  'wordSplit',
];

/**
 * Loads a token-classification model (or takes a loaded one) and returns a {@link Tagger}. Checks that
 * the labels match the model's logits and that `crf.json`, when used, fits the labels (MODEL_INVALID);
 * a `maxLength` above the model's limit is INPUT_INVALID.
 *
 * @example
 * ```ts
 * const tagger = await createTagger('models/fixtures/bert-token-cls', { backend: 'wasm', constrainBio: true });
 * const [entities] = await tagger.tag(['Anna lives in Paris.']);
 * await tagger.dispose();
 * ```
 */
export const createTagger: core.HeadFactory<TaggerOptions, Tagger> = defineHead<
  TaggerOptions,
  TaggerSettings,
  Tagger,
  CrfFile | undefined
>({
  kind: 'tagger',
  outputs: ['logits'],
  refuses: ['sequence-classification', 'question-answering'],
  options: TAGGER_OPTION_KEYS,
  check: (options) => {
    check.bool(options.constrainBio, 'constrainBio');
    check.oneOf(options.scheme, 'scheme', ['BIO', 'BIOES', 'IO']);
    check.oneOf(options.wordSplit, 'wordSplit', WORD_SPLITS);
    if (options.labels !== undefined) check.strings(options.labels, 'labels');
    if (
      options.crf !== undefined &&
      options.crf !== 'auto' &&
      options.crf !== false &&
      typeof options.crf !== 'object'
    ) {
      check.oneOf(options.crf, 'crf', ['auto', false]);
    }
    check.int(options.maxLength, 'maxLength', 3);
    check.int(options.windowOverlap, 'windowOverlap', 0);
    if (options.maxSubwordPieces !== Number.POSITIVE_INFINITY && options.maxSubwordPieces !== null) {
      check.int(options.maxSubwordPieces, 'maxSubwordPieces', 1);
    }
    check.oneOf(options.subwordMaskMode, 'subwordMaskMode', SUBWORD_MASK_MODES);
  },
  // crf.json is read with the model's files (concurrently, cancelled with them, and repaired like them:
  // a copy that does not parse or fit the model's labels is discarded and fetched once more).
  read:
    (options) =>
    ({ files, info, signal }) =>
      readCrfFile(files, options, info.labels, signal),
  settle: resolveSettings,
  create: (context, settings) => new TaggerHead(context, settings),
});

/** The model folder's crf.json, parsed (and checked against the model's labels when the options give none). */
interface CrfFile {
  readonly raw: unknown;
}

async function readCrfFile(
  files: core.ModelFiles,
  options: TaggerOptions,
  modelLabels: readonly string[] | undefined,
  signal: AbortSignal,
): Promise<CrfFile | undefined> {
  if ((options.crf ?? 'auto') !== 'auto') return undefined;
  if (!(await files.exists(CRF_FILE, { signal }))) return undefined;
  const raw = await files.json(CRF_FILE, { signal });
  // Checked here so that a damaged copy is repaired; a mismatch with options.labels is the caller's (settle).
  if (options.labels === undefined && modelLabels && modelLabels.length > 0) parseCrf(raw, modelLabels.length);
  return { raw };
}

async function resolveSettings(
  model: core.LoadedModel,
  options: TaggerOptions,
  crfFile: CrfFile | undefined,
): Promise<TaggerSettings> {
  const { info } = model;
  const labels = options.labels ?? info.labels;
  if (!labels || labels.length === 0) {
    throw new BertwebError('MODEL_INVALID', 'config.json has no id2label; pass the labels in options.labels');
  }
  const maxLength = check.int(options.maxLength, 'maxLength', 3, info.maxPositions) ?? info.maxPositions;
  const budget = maxLength - 2;
  const windowOverlap =
    check.int(options.windowOverlap, 'windowOverlap', 0, Math.floor(budget / 2)) ??
    Math.min(TAGGER_DEFAULTS.windowOverlap, Math.floor(budget / 4));
  const settings: TaggerSettings = {
    labels: [...labels],
    scheme: options.scheme ?? detectScheme(labels),
    crf: resolveCrf(options, labels.length, crfFile),
    constrainBio: options.constrainBio ?? false,
    maxLength,
    windowOverlap,
    maxSubwordPieces:
      options.maxSubwordPieces === null || options.maxSubwordPieces === Number.POSITIVE_INFINITY
        ? null
        : (options.maxSubwordPieces ?? TAGGER_DEFAULTS.maxSubwordPieces),
    subwordMaskMode: options.subwordMaskMode ?? TAGGER_DEFAULTS.subwordMaskMode,
    wordSplit: options.wordSplit ?? DEFAULT_WORD_SPLIT,
  };
  await probeLogits(model, labels.length, options.signal);
  return settings;
}

function resolveCrf(options: TaggerOptions, numLabels: number, crfFile: CrfFile | undefined): CrfParams | undefined {
  const crf = options.crf ?? 'auto';
  if (crf === false) return undefined;
  if (crf !== 'auto') return parseCrf(crf, numLabels);
  return crfFile ? parseCrf(crfFile.raw, numLabels) : undefined;
}

/** One tiny inference so a label map that does not fit the logits fails at creation, not mid-task. */
async function probeLogits(model: core.LoadedModel, numLabels: number, signal: AbortSignal | undefined): Promise<void> {
  const seq: PreparedSequence = {
    words: [],
    pieces: [],
    plan: { windows: [{ start: 0, end: 0 }], owner: new Int32Array(0) },
  };
  const encoding = windowEncoding(seq, 0, model.tokenizer.specialTokens);
  const [output] = await model.infer([encoding], { ...(signal ? { signal } : {}), outputs: ['logits'] });
  const logits = output?.logits;
  if (!logits) throw new BertwebError('MODEL_INVALID', 'the model returned no logits output');
  const width = logits.dims[logits.dims.length - 1];
  if (logits.dims.length !== 2 || width !== numLabels) {
    throw new BertwebError(
      'MODEL_INVALID',
      `the model's logits have shape [${logits.dims.join(', ')}] but there are ${numLabels} labels (id2label)`,
      { dims: [...logits.dims], labels: numLabels },
    );
  }
}
