import { describe, expect, it } from 'vitest';
import { cleanUpTokenization, decodeWordPieces } from './decoder.js';

describe('WordPiece decoding', () => {
  const options = { prefix: '##', cleanup: true, cleanUpTokenizationSpaces: true };

  it('glues ## pieces and separates words with spaces', () => {
    expect(decodeWordPieces(['un', '##aff', '##able', 'world'], options)).toBe('unaffable world');
    expect(decodeWordPieces(['##x', 'y'], options)).toBe('##x y');
    expect(decodeWordPieces([], options)).toBe('');
  });

  it('removes spaces before punctuation and in contractions (transformers clean_up_tokenization)', () => {
    expect(decodeWordPieces(['hello', ',', 'world', '!', 'can', "'", 't', '.'], options)).toBe("hello, world! can't.");
    expect(cleanUpTokenization("i 'm sure they 're ok , are n't they ?")).toBe("i'm sure they're ok, aren't they?");
    expect(decodeWordPieces(['a', '.'], { ...options, cleanup: false, cleanUpTokenizationSpaces: false })).toBe('a .');
  });
});
