import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import { DelegatedTokenizer } from './delegated-tokenizer.js';
import { tokenizerFromJson } from './load.js';
import { bertTokenizerJson, syntheticVocabLines } from './test-utils/reference.js';

/** A small RoBERTa-style byte-level BPE tokenizer.json (GPT-2 byte alphabet, a few merges). */
function byteLevelBpeJson() {
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  bytes.forEach((_, i) => {
    vocab[String.fromCharCode(chars[i] as number)] = Object.keys(vocab).length;
  });
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'Ġwor l', 'Ġworl d'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  vocab['<mask>'] = Object.keys(vocab).length;
  const special = (content: string, lstrip = false) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<s>'), special('<pad>'), special('</s>'), special('<unk>'), special('<mask>', true)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/** A small XLM-R-style Unigram tokenizer.json (NFKC + lowercase, Metaspace). */
function unigramJson() {
  const pieces: [string, number][] = [
    ['<s>', 0],
    ['<pad>', 0],
    ['</s>', 0],
    ['<unk>', 0],
    ['▁', -2],
    ['▁hello', -3],
    ['▁world', -3],
    ['▁fi', -4],
    ['sh', -4],
    ...'abcdefghijklmnopqrstuvwxyzé'.split('').map((c): [string, number] => [c, -6]),
  ];
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<s>', 0), special('<pad>', 1), special('</s>', 2), special('<unk>', 3)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: {
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab: pieces, byte_fallback: false },
  };
}

const slices = (text: string, offsets: [number, number][], mask: number[]) =>
  offsets.filter((_, i) => mask[i] === 0).map(([s, e]) => text.slice(s, e));

describe('DelegatedTokenizer: byte-level BPE (RoBERTa layout)', () => {
  const json = byteLevelBpeJson();
  const tok = tokenizerFromJson(json, {});
  const ref = new HfTokenizer(byteLevelBpeJson(), {});

  it('is delegated, with ids of @huggingface/tokenizers and special tokens resolved', () => {
    expect(tok).toBeInstanceOf(DelegatedTokenizer);
    expect(tok.kind).toBe('delegated');
    expect((tok as DelegatedTokenizer).reason).toMatch(/BPE/);
    for (const text of ['hello world', 'Héllo wörld 😀', 'hello <mask> world', '', '  spaced   out  ']) {
      expect(tok.encode(text).ids).toEqual(ref.encode(text).ids);
    }
    expect(tok.specialTokens.cls).toEqual({ token: '<s>', id: 0 });
    expect(tok.specialTokens.sep).toEqual({ token: '</s>', id: 2 });
    expect(tok.specialTokens.pad).toEqual({ token: '<pad>', id: 1 });
    expect(tok.specialTokens.mask?.token).toBe('<mask>');
  });

  it('computes offsets: bytes of one character share its range, spaces are trimmed', () => {
    const text = 'Héllo wörld 😀';
    const enc = tok.encode(text);
    expect(enc.tokens).toEqual([
      '<s>',
      'H',
      'Ã',
      '©',
      'll',
      'o',
      'Ġw',
      'Ã',
      '¶',
      'r',
      'l',
      'd',
      'Ġ',
      'ð',
      'Ł',
      'ĺ',
      'Ģ',
      '</s>',
    ]);
    expect(slices(text, enc.offsets, enc.specialTokensMask)).toEqual([
      'H',
      'é',
      'é',
      'll',
      'o',
      'w',
      'ö',
      'ö',
      'r',
      'l',
      'd',
      '',
      '😀',
      '😀',
      '😀',
      '😀',
    ]);
    expect(enc.wordIds).toEqual([null, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, null]);
    expect(tok.encode('hello <mask> world').offsets).toEqual([
      [0, 0],
      [0, 5],
      [6, 12],
      [13, 18],
      [0, 0],
    ]);
  });

  it('pairs, truncation windows and decoding go through the shared post-processing', () => {
    const enc = tok.encode('hello', {
      pair: 'world world world world',
      truncation: { maxLength: 8, strategy: 'only_second', stride: 1 },
      returnOverflowing: true,
    });
    expect([enc, ...enc.overflowing].map((e) => e.tokens.join(' '))).toEqual([
      // "world" without a leading space is not merged: w or l d Ġworld Ġworld Ġworld (7 tokens),
      // 3 per window (8 - 4 special - 1 for "hello"), stride 1.
      '<s> hello </s> </s> w or l </s>',
      '<s> hello </s> </s> l d Ġworld </s>',
      '<s> hello </s> </s> Ġworld Ġworld Ġworld </s>',
    ]);
    expect(enc.typeIds.every((t) => t === 0)).toBe(true);
    expect(tok.decode(tok.encode('Héllo wörld').ids, { skipSpecialTokens: true })).toBe('Héllo wörld');
    expect(tok.tokenizeWord('hello')).toEqual({
      tokens: ['hello'],
      ids: [ref.token_to_id('hello')],
      offsets: [[0, 5]],
    });
  });
});

describe('DelegatedTokenizer: Unigram with NFKC + lowercase (XLM-R layout)', () => {
  const tok = tokenizerFromJson(unigramJson(), {});
  const ref = new HfTokenizer(unigramJson(), {});

  it('gives the library ids and aligns offsets through normalization (ﬁ ligature, capitals)', () => {
    for (const text of ['Hello World', 'ﬁsh hello', 'HÉLLO', 'hello, world!']) {
      expect(tok.encode(text).ids).toEqual(ref.encode(text).ids);
    }
    const text = 'ﬁsh Hello';
    const enc = tok.encode(text);
    expect(enc.tokens).toEqual(['<s>', '▁fi', 'sh', '▁hello', '</s>']);
    expect(enc.offsets).toEqual([
      [0, 0],
      [0, 1],
      [1, 3],
      [4, 9],
      [0, 0],
    ]);
    expect(enc.wordIds).toEqual([null, 0, 0, 1, null]);
  });

  it('gives an unknown token the input it stands for', () => {
    const text = 'hello ✓ world';
    const enc = tok.encode(text, { addSpecialTokens: false });
    const unk = enc.ids.indexOf(3);
    expect(unk).toBeGreaterThan(0);
    expect(text.slice(...(enc.offsets[unk] as [number, number]))).toBe('✓');
  });
});

describe('DelegatedTokenizer: WordPiece with a normalizer bertweb does not implement', () => {
  it('falls back to the library, keeping offsets', () => {
    const vocab = syntheticVocabLines();
    const json = {
      ...bertTokenizerJson(vocab),
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] },
    };
    const tok = tokenizerFromJson(json);
    expect(tok.kind).toBe('delegated');
    const text = 'Héllo, World';
    const enc = tok.encode(text);
    expect(enc.ids).toEqual(new HfTokenizer(json, {}).encode(text).ids);
    expect(enc.tokens).toEqual(['[CLS]', 'hello', ',', 'world', '[SEP]']);
    expect(enc.offsets).toEqual([
      [0, 0],
      [0, 5],
      [5, 6],
      [7, 12],
      [0, 0],
    ]);
  });
});

describe('unsupported tokenizer.json', () => {
  it('gets TOKENIZER_MISMATCH when nothing can load it', () => {
    const attempt = (json: unknown) => {
      try {
        tokenizerFromJson(json);
      } catch (error) {
        return error instanceof BertwebError ? error.code : 'other';
      }
      return 'loaded';
    };
    expect(
      attempt({
        model: { type: 'Mystery' },
        normalizer: null,
        pre_tokenizer: null,
        post_processor: null,
        decoder: null,
      }),
    ).toBe('TOKENIZER_MISMATCH');
    // Loadable, but no cls/sep/pad token to satisfy the bertweb contract.
    const bpe = byteLevelBpeJson();
    const vocab = Object.fromEntries(Object.entries(bpe.model.vocab).filter(([t]) => !t.startsWith('<')));
    expect(attempt({ ...bpe, added_tokens: [], post_processor: null, model: { ...bpe.model, vocab } })).toBe(
      'TOKENIZER_MISMATCH',
    );
  });
});
