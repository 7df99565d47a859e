import { describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import { tokenizerFromJson, tokenizerFromVocab } from './load.js';
import { bertTokenizerJson, referenceTokenizer, syntheticVocabLines } from './test-utils/reference.js';
import type { Encoding } from './types.js';
import type { WordPieceTokenizer } from './wordpiece-tokenizer.js';

const vocab = syntheticVocabLines();
const vocabText = `${vocab.join('\n')}\n`;
const json = bertTokenizerJson(vocab);
const tok = tokenizerFromJson(json) as WordPieceTokenizer;
const id = (token: string) => tok.tokenToId(token) as number;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BertwebError ? error.code : `not a BertwebError: ${String(error)}`;
  }
  return undefined;
}

function view(enc: Encoding) {
  return { tokens: enc.tokens, offsets: enc.offsets, wordIds: enc.wordIds };
}

describe('WordPieceTokenizer.encode', () => {
  it('normalizes, splits punctuation and keeps offsets in the original string', () => {
    expect(view(tok.encode('Héllo, WORLD!'))).toEqual({
      tokens: ['[CLS]', 'hello', ',', 'world', '!', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 5],
        [5, 6],
        [7, 12],
        [12, 13],
        [0, 0],
      ],
      wordIds: [null, 0, 1, 2, 3, null],
    });
  });

  it('gives every piece of a word its own range and the same word id', () => {
    const enc = tok.encode('unaffable xyz', { addSpecialTokens: false });
    expect(view(enc)).toEqual({
      tokens: ['un', '##aff', '##able', 'x', '##y', '##z'],
      offsets: [
        [0, 2],
        [2, 5],
        [5, 9],
        [10, 11],
        [11, 12],
        [12, 13],
      ],
      wordIds: [0, 0, 0, 1, 1, 1],
    });
  });

  it('maps offsets through removed characters, decomposed accents and astral characters', () => {
    // U+200B is removed by clean_text, é is NFD-split and stripped, 😀 is two UTF-16 units.
    const enc = tok.encode('a\u200bé😀b', { addSpecialTokens: false });
    expect(view(enc)).toEqual({
      tokens: ['a', '##e', '##😀', '##b'],
      offsets: [
        [0, 1],
        [2, 3],
        [3, 5],
        [5, 6],
      ],
      wordIds: [0, 0, 0, 0],
    });
  });

  it('keeps both pieces of a character that lowercases to two (İ -> i + U+0307) on that character', () => {
    const keepAccents = tokenizerFromJson(bertTokenizerJson(vocab, { strip_accents: false }));
    const enc = keepAccents.encode('İ', { addSpecialTokens: false });
    expect(enc.tokens).toEqual(['i', '##\u0307']);
    expect(enc.offsets).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(tok.encode('İ', { addSpecialTokens: false }).tokens).toEqual(['i']);
  });

  it('lowercases capital sigma by context (final ς), like String.prototype.toLowerCase and Python', () => {
    expect(tok.encode('ΟΔΟΣ ΣΑ', { addSpecialTokens: false }).tokens).toEqual(['οδος', 'σ', '##α']);
  });

  it('drops lone surrogates with clean_text (Cs), keeps them as characters without it, and never throws', () => {
    expect(view(tok.encode('a\ud800b', { addSpecialTokens: false }))).toEqual({
      tokens: ['a', '##b'],
      offsets: [
        [0, 1],
        [2, 3],
      ],
      wordIds: [0, 0],
    });
    const raw = tokenizerFromJson(bertTokenizerJson(vocab, { clean_text: false }));
    const enc = raw.encode('a\udc00', { addSpecialTokens: false });
    expect(enc.tokens).toEqual(['[UNK]']);
    expect(enc.offsets).toEqual([[0, 2]]);
    // The reference agrees on the ids.
    expect(enc.ids).toEqual(
      referenceTokenizer(bertTokenizerJson(vocab, { clean_text: false })).encode('a\udc00', {
        add_special_tokens: false,
      }).ids,
    );
  });

  it('pads astral CJK ideographs like Hugging Face Rust (tokenizers.js, which checks code units, does not)', () => {
    expect(view(tok.encode('𠀀a', { addSpecialTokens: false }))).toEqual({
      tokens: ['𠀀', 'a'],
      offsets: [
        [0, 2],
        [2, 3],
      ],
      wordIds: [0, 1],
    });
    // tokenizers.js keeps one word: 𠀀 + ##a.
    expect(referenceTokenizer(json).encode('𠀀a', { add_special_tokens: false }).tokens).toEqual(['𠀀', '##a']);
  });

  it('turns a word with an unmatchable part, or one over max_input_chars_per_word, into one [UNK]', () => {
    const enc = tok.encode('hello héllo✓x', { addSpecialTokens: false });
    expect(enc.tokens).toEqual(['hello', '[UNK]']);
    expect(enc.offsets).toEqual([
      [0, 5],
      [6, 13],
    ]);
    const long = 'a'.repeat(101);
    expect(tok.encode(`${long} a`, { addSpecialTokens: false }).tokens).toEqual(['[UNK]', 'a']);
    expect(tok.encode('a'.repeat(100), { addSpecialTokens: false }).tokens).toHaveLength(100);
  });

  it('splits special tokens typed in the text into single tokens (raw, not normalized)', () => {
    const enc = tok.encode('hello [SEP] world[MASK]', { addSpecialTokens: false });
    expect(view(enc)).toEqual({
      tokens: ['hello', '[SEP]', 'world', '[MASK]'],
      offsets: [
        [0, 5],
        [6, 11],
        [12, 17],
        [17, 23],
      ],
      wordIds: [0, 1, 2, 3],
    });
    expect(enc.specialTokensMask).toEqual([0, 0, 0, 0]);
    expect(tok.encode('[sep]', { addSpecialTokens: false }).tokens).toEqual(['[', 's', '##e', '##p', ']']);
  });

  it('honours lstrip, rstrip, single_word and normalized added tokens', () => {
    const custom = structuredClone(json) as Record<string, unknown> & { added_tokens: unknown[] };
    const next = vocab.length;
    custom.added_tokens.push(
      { id: next, content: '<L>', lstrip: true, rstrip: false, single_word: false, normalized: false, special: true },
      {
        id: next + 1,
        content: '<R>',
        lstrip: false,
        rstrip: true,
        single_word: false,
        normalized: false,
        special: true,
      },
      {
        id: next + 2,
        content: 'xyz',
        lstrip: false,
        rstrip: false,
        single_word: true,
        normalized: false,
        special: false,
      },
      {
        id: next + 3,
        content: 'Hello World',
        lstrip: false,
        rstrip: false,
        single_word: false,
        normalized: true,
        special: false,
      },
    );
    const added = tokenizerFromJson(custom);
    const enc = added.encode('a  <L>b<R>  c xyz axyz', { addSpecialTokens: false });
    expect(view(enc)).toEqual({
      tokens: ['a', '<L>', 'b', '<R>', 'c', 'xyz', 'a', '##x', '##y', '##z'],
      offsets: [
        [0, 1],
        [1, 6],
        [6, 7],
        [7, 12],
        [12, 13],
        [14, 17],
        [18, 19],
        [19, 20],
        [20, 21],
        [21, 22],
      ],
      wordIds: [0, 1, 2, 3, 4, 5, 6, 6, 6, 6],
    });
    // Normalized added token: matched on the normalized text, offsets mapped back.
    const norm = added.encode('say HELLO WORLD! HELLO  WORLD', { addSpecialTokens: false });
    expect(norm.tokens).toEqual(['s', '##a', '##y', 'Hello World', '!', 'hello', 'world']);
    expect(norm.offsets[3]).toEqual([4, 15]);
    expect(added.decode(norm.ids, { skipSpecialTokens: true })).toBe('say Hello World! hello world');
    expect(norm.ids).toEqual(
      referenceTokenizer(custom).encode('say HELLO WORLD! HELLO  WORLD', { add_special_tokens: false }).ids,
    );
  });

  it('encodes pairs: type ids, sequence ids, word ids per sequence, masks', () => {
    const enc = tok.encode('hello world', { pair: 'the un' });
    expect(enc.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', 'the', 'un', '[SEP]']);
    expect(enc.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(enc.sequenceIds).toEqual([null, 0, 0, null, 1, 1, null]);
    expect(enc.wordIds).toEqual([null, 0, 1, null, 0, 1, null]);
    expect(enc.specialTokensMask).toEqual([1, 0, 0, 1, 0, 0, 1]);
    expect(enc.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(enc.offsets).toEqual([
      [0, 0],
      [0, 5],
      [6, 11],
      [0, 0],
      [0, 3],
      [4, 6],
      [0, 0],
    ]);
    // An empty pair is still a pair (Hugging Face): [CLS] A [SEP] [SEP].
    expect(tok.encode('hello', { pair: '' }).tokens).toEqual(['[CLS]', 'hello', '[SEP]', '[SEP]']);
  });

  it('truncates with stride into overflow windows (only_second), repeating the first sequence', () => {
    const enc = tok.encode('hello', {
      pair: 'a b c d e f g',
      truncation: { maxLength: 8, strategy: 'only_second', stride: 2 },
      returnOverflowing: true,
    });
    const windows = [enc, ...enc.overflowing].map((e) => e.tokens.join(' '));
    expect(windows).toEqual([
      '[CLS] hello [SEP] a b c d [SEP]',
      '[CLS] hello [SEP] c d e f [SEP]',
      '[CLS] hello [SEP] e f g [SEP]',
    ]);
    expect(enc.overflowing[1]?.offsets.slice(3, 6)).toEqual([
      [8, 9],
      [10, 11],
      [12, 13],
    ]);
    expect(enc.overflowing[1]?.wordIds.slice(3, 6)).toEqual([4, 5, 6]);
    // Without returnOverflowing only the first window comes back.
    expect(
      tok.encode('hello', { pair: 'a b c d e f g', truncation: { maxLength: 8, strategy: 'only_second', stride: 2 } })
        .overflowing,
    ).toEqual([]);
  });

  it('orders overflow windows like Hugging Face when both sequences are cut (longest_first)', () => {
    const enc = tok.encode('a b c d', { pair: 'e f g h', truncation: { maxLength: 7 }, returnOverflowing: true });
    // Each sequence gets 2 tokens: A windows [a b][c d], B windows [e f][g h]; HF's merge order is
    // A1+B0, A1+B1, then A0+B1.
    expect([enc, ...enc.overflowing].map((e) => e.tokens.join(' '))).toEqual([
      '[CLS] a b [SEP] e f [SEP]',
      '[CLS] c d [SEP] e f [SEP]',
      '[CLS] c d [SEP] g h [SEP]',
      '[CLS] a b [SEP] g h [SEP]',
    ]);
  });

  it('puts a sequence cut to zero tokens whole into one overflow window (Hugging Face max_len 0)', () => {
    const enc = tok.encode('hello', { pair: 'world', truncation: { maxLength: 4 }, returnOverflowing: true });
    expect(enc.tokens).toEqual(['[CLS]', '[SEP]', 'world', '[SEP]']);
    expect(enc.overflowing.map((e) => e.tokens)).toEqual([['[CLS]', 'hello', '[SEP]', 'world', '[SEP]']]);
  });

  it('rejects impossible truncation with INPUT_INVALID', () => {
    expect(codeOf(() => tok.encode('a b c', { truncation: { maxLength: 1 } }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a b c', { truncation: { maxLength: 4, stride: 2 } }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a b c', { truncation: { maxLength: 4, strategy: 'only_second' } }))).toBe(
      'INPUT_INVALID',
    );
    expect(
      codeOf(() => tok.encode('a b c d e', { pair: 'f', truncation: { maxLength: 5, strategy: 'only_second' } })),
    ).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a', { truncation: { maxLength: -1 } }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a', { truncation: { maxLength: 10, stride: 1.5 } }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a', { truncation: { maxLength: 10, strategy: 'nope' as never } }))).toBe(
      'INPUT_INVALID',
    );
  });

  it('rejects non-string input with INPUT_INVALID', () => {
    expect(codeOf(() => tok.encode(42 as never))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode(null as never))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encode('a', { pair: 7 as never }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encodeBatch('abc' as never))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encodeBatch(['a', 3 as never]))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.encodeBatch(['a', 'b'], { pairs: ['c'] }))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.tokenizeWord(undefined as never))).toBe('INPUT_INVALID');
  });

  it('handles empty and whitespace-only text', () => {
    expect(tok.encode('').tokens).toEqual(['[CLS]', '[SEP]']);
    expect(tok.encode(' \t\n\u200b').tokens).toEqual(['[CLS]', '[SEP]']);
    expect(tok.encode('', { addSpecialTokens: false }).ids).toEqual([]);
  });
});

describe('WordPieceTokenizer.encodeBatch', () => {
  it('encodes each text (and pair) like encode', () => {
    const texts = ['hello world', 'the'];
    const pairs = ['un', 'hello'];
    expect(tok.encodeBatch(texts, { pairs })).toEqual(texts.map((t, i) => tok.encode(t, { pair: pairs[i] as string })));
    expect(tok.encodeBatch([])).toEqual([]);
  });
});

describe('tokenizer.json truncation and padding sections', () => {
  const withSections = {
    ...json,
    truncation: { max_length: 5, strategy: 'LongestFirst', stride: 0, direction: 'Right' },
    padding: {
      strategy: 'BatchLongest',
      direction: 'Right',
      pad_to_multiple_of: null,
      pad_id: 0,
      pad_type_id: 0,
      pad_token: '[PAD]',
    },
  };

  it('applies the saved truncation by default; truncation: false turns it off', () => {
    const t = tokenizerFromJson(withSections);
    expect(t.encode('a b c d e f').tokens).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]']);
    expect(t.encode('a b c d e f', { truncation: false }).tokens).toHaveLength(8);
    expect(
      tokenizerFromJson(withSections, {}, { useSavedTruncation: false }).encode('a b c d e f').tokens,
    ).toHaveLength(8);
  });

  it('pads a batch to its longest encoding (BatchLongest), with masks for the padding', () => {
    const t = tokenizerFromJson(withSections);
    const [short, long] = t.encodeBatch(['a', 'a b c']);
    expect(short?.tokens).toEqual(['[CLS]', 'a', '[SEP]', '[PAD]', '[PAD]']);
    expect(short?.attentionMask).toEqual([1, 1, 1, 0, 0]);
    expect(short?.specialTokensMask).toEqual([1, 0, 1, 1, 1]);
    expect(short?.wordIds).toEqual([null, 0, null, null, null]);
    expect(short?.offsets.slice(3)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(long?.tokens).toHaveLength(5);
    expect(
      tokenizerFromJson(withSections, {}, { useSavedPadding: false }).encodeBatch(['a', 'a b c'])[0]?.ids,
    ).toHaveLength(3);
  });

  it('pads single encodings to a fixed length and to a multiple', () => {
    const fixed = tokenizerFromJson({ ...withSections, padding: { ...withSections.padding, strategy: { Fixed: 6 } } });
    expect(fixed.encode('a').tokens).toEqual(['[CLS]', 'a', '[SEP]', '[PAD]', '[PAD]', '[PAD]']);
    const multiple = tokenizerFromJson({
      ...withSections,
      truncation: null,
      padding: { ...withSections.padding, pad_to_multiple_of: 4, direction: 'Left' },
    });
    expect(multiple.encode('a b c').tokens).toEqual(['[PAD]', '[PAD]', '[PAD]', '[CLS]', 'a', 'b', 'c', '[SEP]']);
  });
});

describe('WordPieceTokenizer.decode', () => {
  it('joins pieces, cleans spaces before punctuation, skips special tokens on request', () => {
    const enc = tok.encode("Unaffable, the world's end!", { pair: 'hello' });
    expect(tok.decode(enc.ids)).toBe("[CLS] unaffable, the world's end! [SEP] hello [SEP]");
    expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe("unaffable, the world's end! hello");
    expect(tok.decode([])).toBe('');
  });

  it('rejects ids that are not token ids with INPUT_INVALID', () => {
    expect(codeOf(() => tok.decode([1, tok.vocabSize]))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.decode([-1]))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.decode([1.5]))).toBe('INPUT_INVALID');
    expect(codeOf(() => tok.decode('12' as never))).toBe('INPUT_INVALID');
  });
});

describe('WordPieceTokenizer.tokenizeWord', () => {
  it('returns the pieces of one word with offsets inside it, no special tokens', () => {
    expect(tok.tokenizeWord('Unaffable')).toEqual({
      tokens: ['un', '##aff', '##able'],
      ids: [id('un'), id('##aff'), id('##able')],
      offsets: [
        [0, 2],
        [2, 5],
        [5, 9],
      ],
    });
    expect(tok.tokenizeWord("don't").tokens).toEqual(['d', '##o', '##n', "'", 't']);
  });
});

describe('special tokens, vocabulary, lengths', () => {
  it('exposes special tokens with their ids and the vocabulary size', () => {
    expect(tok.specialTokens).toEqual({
      cls: { token: '[CLS]', id: 2 },
      sep: { token: '[SEP]', id: 3 },
      pad: { token: '[PAD]', id: 0 },
      unk: { token: '[UNK]', id: 1 },
      mask: { token: '[MASK]', id: 4 },
    });
    expect(tok.vocabSize).toBe(vocab.length);
    expect(tok.idToToken(id('##able'))).toBe('##able');
    expect(tok.tokenToId('nope')).toBeUndefined();
    expect(tok.idToToken(vocab.length + 10)).toBeUndefined();
  });

  it('caps absurd model_max_length values to 512', () => {
    expect(tokenizerFromVocab(vocabText, { model_max_length: 1e30 }).modelMaxLength).toBe(512);
    expect(tokenizerFromVocab(vocabText, { model_max_length: 128 }).modelMaxLength).toBe(128);
    expect(tokenizerFromVocab(vocabText).modelMaxLength).toBe(512);
    expect(tokenizerFromJson(json, { model_max_length: 256 }).modelMaxLength).toBe(256);
  });
});

describe('tokenizerFromVocab settings', () => {
  it('do_lower_case false keeps case and accents (strip_accents follows lowercasing)', () => {
    const cased = tokenizerFromVocab(vocabText, { do_lower_case: false });
    expect(cased.encode('Héllo', { addSpecialTokens: false }).tokens).toEqual(['H', '##é', '##l', '##l', '##o']);
    const stripped = tokenizerFromVocab(vocabText, { do_lower_case: false, strip_accents: true });
    expect(stripped.encode('Héllo', { addSpecialTokens: false }).tokens).toEqual(['H', '##e', '##l', '##l', '##o']);
  });

  it('tokenize_chinese_chars false keeps CJK runs in one word', () => {
    const t = tokenizerFromVocab(vocabText, { tokenize_chinese_chars: false });
    expect(t.encode('中国', { addSpecialTokens: false }).tokens).toEqual(['[UNK]']);
    expect(tok.encode('中国', { addSpecialTokens: false }).tokens).toEqual(['中', '国']);
  });

  it('never_split keeps a whitespace-delimited entry whole (slow BertTokenizer semantics)', () => {
    const t = tokenizerFromVocab(vocabText, { never_split: ['hello!', 'Q&A'] });
    expect(t.encode('say hello! now hello!x', { addSpecialTokens: false }).tokens).toEqual([
      's',
      '##a',
      '##y',
      '[UNK]',
      'n',
      '##o',
      '##w',
      'hello',
      '!',
      'x',
    ]);
  });

  it('takes special-token names from tokenizer_config, then special_tokens_map', () => {
    const lines = ['<pad>', '<unk>', '<cls>', '<sep>', 'a'];
    const t = tokenizerFromVocab(
      lines.join('\n'),
      { unk_token: '<unk>', cls_token: { content: '<cls>' } },
      {
        sep_token: '<sep>',
        pad_token: '<pad>',
      },
    );
    expect(t.encode('a b').tokens).toEqual(['<cls>', 'a', '<unk>', '<sep>']);
    expect(t.specialTokens.mask).toBeUndefined();
  });
});

describe('bad tokenizer files get TOKENIZER_MISMATCH', () => {
  it('duplicated tokens, empty vocab, missing special tokens', () => {
    expect(codeOf(() => tokenizerFromVocab('[UNK]\n[CLS]\n[SEP]\n[PAD]\na\na\n'))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromVocab(''))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromVocab('[UNK]\n[CLS]\n[PAD]\na\n'))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromVocab(vocabText, { mask_token: '<mask>' }))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromVocab(vocabText, { additional_special_tokens: ['<x>'] }))).toBe(
      'TOKENIZER_MISMATCH',
    );
    expect(codeOf(() => tokenizerFromVocab(42 as never))).toBe('TOKENIZER_MISMATCH');
  });

  it('tokenizer.json with a broken model, vocab or post-processor', () => {
    const model = json.model as Record<string, unknown>;
    expect(codeOf(() => tokenizerFromJson('not json'))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromJson([]))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromJson({ normalizer: null }))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromJson({ ...json, model: { ...model, vocab: {} } }))).toBe('TOKENIZER_MISMATCH');
    expect(codeOf(() => tokenizerFromJson({ ...json, model: { ...model, vocab: { a: 0, b: 0, '[UNK]': 1 } } }))).toBe(
      'TOKENIZER_MISMATCH',
    );
    expect(codeOf(() => tokenizerFromJson({ ...json, model: { ...model, unk_token: '<nope>' } }))).toBe(
      'TOKENIZER_MISMATCH',
    );
    expect(codeOf(() => tokenizerFromJson({ ...json, post_processor: { type: 'Mystery' } }))).toBe(
      'TOKENIZER_MISMATCH',
    );
  });
});
