import { describe, expect, it } from 'vitest';
import type { BertwebError } from '../errors.js';
import { hashString, TokenTable } from './token-table.js';
import { parseVocabTxt, vocabFromObject } from './vocab.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as BertwebError).code;
  }
  return undefined;
}

describe('parseVocabTxt', () => {
  it('numbers lines from 0, accepts CRLF, ignores one final newline', () => {
    const vocab = parseVocabTxt('[PAD]\r\n[UNK]\r\nhello\r\n##s\r\n');
    expect(vocab.size).toBe(4);
    expect(vocab.idToToken).toEqual(['[PAD]', '[UNK]', 'hello', '##s']);
    expect(vocab.get('hello')).toBe(2);
    expect(vocab.get('##s')).toBe(3);
    expect(vocab.get('s')).toBeUndefined();
    expect(vocab.continuation.get('s')).toBe(3);
    expect(vocab.continuation.get('hello')).toBe(-1);
    expect(parseVocabTxt('a\nb').size).toBe(2);
  });

  it('rejects duplicates and empty files with TOKENIZER_MISMATCH', () => {
    expect(code(() => parseVocabTxt('a\nb\na\n'))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => parseVocabTxt(''))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => parseVocabTxt('a\r\na\n'))).toBe('TOKENIZER_MISMATCH');
  });
});

describe('vocabFromObject', () => {
  it('keeps ids, tolerates a few holes', () => {
    const vocab = vocabFromObject({ '[UNK]': 0, b: 2, '##c': 3 });
    expect(vocab.idToToken).toEqual(['[UNK]', undefined, 'b', '##c']);
    expect(vocab.size).toBe(4);
    expect(vocab.continuation.get('c')).toBe(3);
  });

  it('rejects bad ids, shared ids, sparse ids and non-objects', () => {
    expect(code(() => vocabFromObject({ a: 0, b: 0 }))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => vocabFromObject({ a: -1 }))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => vocabFromObject({ a: '1' }))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => vocabFromObject({ a: 1e9 }))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => vocabFromObject([['a', 0]]))).toBe('TOKENIZER_MISMATCH');
    expect(code(() => vocabFromObject({}))).toBe('TOKENIZER_MISMATCH');
  });
});

describe('TokenTable', () => {
  it('finds every key of a large, similar-looking key set and nothing else', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `t${i.toString(36)}`);
    const pool = new Uint16Array(keys.reduce((n, k) => n + k.length, 0));
    const table = new TokenTable(pool, keys.length);
    let offset = 0;
    keys.forEach((key, id) => {
      for (let j = 0; j < key.length; j++) pool[offset + j] = key.charCodeAt(j);
      expect(table.insert(offset, key.length, hashString(key), id)).toBe(-1);
      offset += key.length;
    });
    expect(table.size).toBe(keys.length);
    keys.forEach((key, id) => {
      expect(table.get(key)).toBe(id);
    });
    expect(table.get('t')).toBe(-1);
    expect(table.get('u0')).toBe(-1);
    // Lookup by code units of a larger buffer.
    const units = Uint16Array.from('xxt1z'.split('').map((c) => c.charCodeAt(0)));
    expect(table.find(hashString('t1z'), units, 2, 3)).toBe(keys.indexOf('t1z'));
    // Re-inserting a key reports the existing id.
    const again = keys.indexOf('t5');
    const pool2 = Uint16Array.from([116, 53]);
    expect(new TokenTable(pool2, 1).insert(0, 2, hashString('t5'), 9)).toBe(-1);
    expect(table.get('t5')).toBe(again);
  });
});
