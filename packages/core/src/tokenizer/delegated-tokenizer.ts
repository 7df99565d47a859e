/**
 * Tokenizers other than BERT's WordPiece (byte-level BPE of RoBERTa, Unigram of XLM-R / ALBERT, or
 * a WordPiece tokenizer.json with a normalizer bertweb does not implement) run through
 * @huggingface/tokenizers behind the same {@link Tokenizer} interface. That library returns token
 * strings only: offsets and word ids are computed here (see {@link alignTokenOffsets}), and
 * truncation, overflow windows and special tokens reuse bertweb's post-processing.
 */

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { BertwebError } from '../errors.js';
import { modelMaxLengthFrom, parsePostProcessor } from './config.js';
import { alignTokenOffsets, type SurfaceStyle } from './delegated-offsets.js';
import {
  assertText,
  batchArguments,
  type CheckedEncodeOptions,
  checkIds,
  decodeOptions,
  encodeOptions,
  resolveTruncation,
  type TruncationDefaults,
} from './options.js';
import { type PostProcessorSpec, postProcess } from './post-processor.js';
import type { EncodeOptions, Encoding, SpecialTokens, Tokenizer, WordPieces } from './types.js';
import type { RawSequence } from './wordpiece-encoder.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** Whether any component of a tokenizer.json (recursively) has the given `type`. */
function hasComponent(value: unknown, type: string): boolean {
  if (Array.isArray(value)) return value.some((v) => hasComponent(v, type));
  if (!isObject(value)) return false;
  if (value.type === type) return true;
  return Object.values(value).some((v) => typeof v === 'object' && hasComponent(v, type));
}

function surfaceStyle(json: Json): SurfaceStyle {
  const parts = [json.pre_tokenizer, json.decoder];
  if (parts.some((p) => hasComponent(p, 'ByteLevel'))) return 'byte-level';
  if (parts.some((p) => hasComponent(p, 'Metaspace'))) return 'metaspace';
  if (isObject(json.model) && json.model.type === 'WordPiece') return 'wordpiece';
  return 'plain';
}

const PUNCT_RE = /^[\p{P}\p{S}]/u;

/**
 * A {@link Tokenizer} backed by @huggingface/tokenizers. Build it with {@link tokenizerFromJson}
 * (which picks it for tokenizer.json files that are not BERT WordPiece).
 *
 * @example
 * ```ts
 * const tok = tokenizerFromJson(robertaTokenizerJson, robertaTokenizerConfig);
 * tok.kind; // 'delegated'
 * tok.encode('Hello world').offsets; // [[0,0],[0,5],[6,11],[0,0]]
 * ```
 */
export class DelegatedTokenizer implements Tokenizer {
  readonly kind = 'delegated' as const;
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  readonly specialTokens: SpecialTokens;
  readonly truncation: TruncationDefaults | undefined;
  /** Why bertweb's own WordPiece implementation does not handle this tokenizer. */
  readonly reason: string;

  private readonly hf: HfTokenizer;
  private readonly spec: PostProcessorSpec | undefined;
  private readonly style: SurfaceStyle;
  private readonly unkId: number | undefined;
  private readonly addedIds = new Set<number>();
  private readonly idToTokenFn: (id: number) => string;

  /**
   * @throws BertwebError `TOKENIZER_MISMATCH` when @huggingface/tokenizers cannot load the file, or
   *   the post-processor or special tokens cannot be resolved.
   */
  constructor(json: Json, tokenizerConfig: unknown, reason: string, truncation?: TruncationDefaults) {
    const config: Json = isObject(tokenizerConfig) ? tokenizerConfig : {};
    try {
      this.hf = new HfTokenizer(
        { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json },
        config,
      );
    } catch (cause) {
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `unsupported tokenizer (${reason}) and @huggingface/tokenizers cannot load it: ${(cause as Error).message}`,
        { reason },
        { cause },
      );
    }
    this.reason = reason;
    const vocab = this.hf.get_vocab(true);
    let size = 0;
    for (const id of vocab.values()) size = Math.max(size, id + 1);
    this.vocabSize = size;
    this.modelMaxLength = modelMaxLengthFrom(tokenizerConfig);
    const tokenId = (token: string) => this.hf.token_to_id(token);
    const spec = parsePostProcessor(json.post_processor, tokenId);
    if (spec === 'unsupported') {
      throw new BertwebError('TOKENIZER_MISMATCH', `unsupported post-processor in a delegated tokenizer (${reason})`);
    }
    this.spec = spec;
    this.style = surfaceStyle(json);
    this.truncation = truncation;
    if (Array.isArray(json.added_tokens)) {
      for (const t of json.added_tokens) if (isObject(t) && typeof t.id === 'number') this.addedIds.add(t.id);
    }
    const model = isObject(json.model) ? json.model : {};
    const modelUnk =
      typeof model.unk_token === 'string'
        ? model.unk_token
        : typeof model.unk_id === 'number' && Array.isArray(model.vocab)
          ? String((model.vocab[model.unk_id] as unknown[] | undefined)?.[0])
          : undefined;
    this.specialTokens = this.resolveSpecialTokens(config, modelUnk);
    this.unkId = this.specialTokens.unk.id;
    const hf = this.hf;
    const unk = this.specialTokens.unk.token;
    this.idToTokenFn = (id) => hf.id_to_token(id) ?? unk;
  }

  private resolveSpecialTokens(config: Json, modelUnk: string | undefined): SpecialTokens {
    const first = (role: string, candidates: (string | undefined)[], required: boolean) => {
      for (const token of candidates) {
        if (token === undefined) continue;
        const id = this.hf.token_to_id(token);
        if (id !== undefined) return { token, id };
      }
      if (!required) return undefined;
      throw new BertwebError('TOKENIZER_MISMATCH', `no ${role} token found for the delegated tokenizer`, { role });
    };
    const specials = this.spec ? [...this.spec.single].filter((p) => p.kind === 'special') : [];
    const templateToken = (index: number) => {
      const piece = specials[index];
      return piece && piece.kind === 'special' ? this.spec?.specialTokens.get(piece.name)?.tokens[0] : undefined;
    };
    const cls = first(
      'cls',
      [tokenContent(config.cls_token), templateToken(0), tokenContent(config.bos_token), '<s>', '[CLS]'],
      true,
    );
    const sep = first(
      'sep',
      [
        tokenContent(config.sep_token),
        templateToken(specials.length - 1),
        tokenContent(config.eos_token),
        '</s>',
        '[SEP]',
      ],
      true,
    );
    const pad = first('pad', [tokenContent(config.pad_token), '<pad>', '[PAD]'], true);
    const unk = first('unk', [tokenContent(config.unk_token), modelUnk, '<unk>', '[UNK]'], true);
    const mask = first('mask', [tokenContent(config.mask_token), '<mask>', '[MASK]'], false);
    return {
      cls: cls as { token: string; id: number },
      sep: sep as { token: string; id: number },
      pad: pad as { token: string; id: number },
      unk: unk as { token: string; id: number },
      ...(mask ? { mask } : {}),
    };
  }

  /**
   * Encodes like {@link WordPieceTokenizer.encode}; offsets and word ids are aligned by bertweb.
   *
   * @example
   * ```ts
   * const enc = tok.encode('Hello', { pair: 'world' });
   * ```
   */
  encode(text: string, options?: EncodeOptions | null): Encoding {
    assertText(text, 'text');
    return this.#encodeChecked(text, encodeOptions(options));
  }

  #encodeChecked(text: string, options: CheckedEncodeOptions): Encoding {
    const truncation = resolveTruncation(options.truncation, this.truncation);
    const a = this.encodeSequence(text);
    const sequences: [RawSequence] | [RawSequence, RawSequence] =
      options.pair === undefined ? [a] : [a, this.encodeSequence(options.pair)];
    return postProcess({
      sequences,
      idToToken: this.idToTokenFn,
      spec: this.spec,
      addSpecialTokens: options.addSpecialTokens,
      truncation,
      returnOverflowing: options.returnOverflowing,
    });
  }

  /**
   * Encodes many texts (optionally pairs).
   *
   * @example
   * ```ts
   * tok.encodeBatch(['a', 'b'], { pairs: ['c', 'd'] });
   * ```
   */
  encodeBatch(
    texts: readonly string[],
    options?: (Omit<EncodeOptions, 'pair'> & { readonly pairs?: readonly string[] }) | null,
  ): Encoding[] {
    const { texts: list, pairs, options: checked } = batchArguments(texts, options);
    return list.map((text, i) => this.#encodeChecked(text, { ...checked, pair: pairs?.[i] }));
  }

  /**
   * Pieces of one word, no special tokens.
   *
   * @example
   * ```ts
   * tok.tokenizeWord('Hello').tokens;
   * ```
   */
  tokenizeWord(word: string): WordPieces {
    assertText(word, 'word');
    const raw = this.encodeSequence(word);
    return {
      tokens: raw.ids.map(this.idToTokenFn),
      ids: raw.ids,
      offsets: raw.starts.map((s, i): [number, number] => [s, raw.ends[i] as number]),
    };
  }

  /**
   * Text of ids, by @huggingface/tokenizers' decoder.
   *
   * @example
   * ```ts
   * tok.decode(tok.encode('Hello').ids, { skipSpecialTokens: true }); // 'Hello'
   * ```
   */
  decode(ids: readonly number[], options?: { readonly skipSpecialTokens?: boolean } | null): string {
    const list = checkIds(ids, this.vocabSize);
    const { skipSpecialTokens } = decodeOptions(options);
    if (list.length === 0) return '';
    return this.hf.decode(list, { skip_special_tokens: skipSpecialTokens });
  }

  /**
   * @example
   * ```ts
   * tok.tokenToId('<s>'); // 0
   * ```
   */
  tokenToId(token: string): number | undefined {
    if (typeof token !== 'string') return undefined;
    return this.hf.token_to_id(token);
  }

  /**
   * @example
   * ```ts
   * tok.idToToken(0); // '<s>'
   * ```
   */
  idToToken(id: number): string | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    return this.hf.id_to_token(id);
  }

  private encodeSequence(text: string): RawSequence {
    if (text.length === 0) return { ids: [], starts: [], ends: [], words: [] };
    const { ids, tokens } = this.hf.encode(text, { add_special_tokens: false });
    const unknown = ids.map((id) => id === this.unkId);
    const offsets = alignTokenOffsets(text, tokens, unknown, this.style);
    // Word ids from the alignment: a word starts after a gap (whitespace) in the input, at
    // punctuation, at added tokens, and at WordPiece pieces without `##`; tokens that share an
    // input character (bytes of one character) stay in one word.
    const words: number[] = [];
    let word = -1;
    for (let t = 0; t < tokens.length; t++) {
      const [start] = offsets[t] as [number, number];
      const prevEnd = t > 0 ? (offsets[t - 1] as [number, number])[1] : -1;
      const sharesCharacter = t > 0 && start < prevEnd;
      const startsWord =
        t === 0 ||
        this.addedIds.has(ids[t] as number) ||
        this.addedIds.has(ids[t - 1] as number) ||
        (!sharesCharacter &&
          (start > prevEnd ||
            (this.style === 'wordpiece' && !(tokens[t] as string).startsWith('##')) ||
            PUNCT_RE.test(text.slice(start, start + 1)) ||
            PUNCT_RE.test(text.slice(Math.max(0, prevEnd - 1), prevEnd))));
      if (startsWord) word++;
      words.push(word);
    }
    return {
      ids: Array.from(ids),
      starts: offsets.map((o) => o[0]),
      ends: offsets.map((o) => o[1]),
      words,
    };
  }
}
