import { describe, expect, it } from 'vitest';
import { entitiesFromTags } from './entities.js';
import { parseTags } from './scheme.js';
import { splitWords } from './words.js';

describe('entitiesFromTags', () => {
  it('spans entities over their words with exact offsets and mean scores', () => {
    const text = 'Анна  Каренина 👋 met Vronsky.';
    const words = splitWords(text);
    const tags = parseTags(['B-PER', 'I-PER', 'O', 'O', 'I-PER', 'O'], 'BIO');
    const entities = entitiesFromTags(text, words, tags, [0.9, 0.7, 1, 1, 0.6, 1]);
    expect(entities).toHaveLength(2);
    expect(entities[0]).toMatchObject({ text: 'Анна  Каренина', label: 'PER', start: 0, end: 14 });
    expect(entities[0]?.score).toBeCloseTo(0.8, 12);
    expect(entities[1]).toMatchObject({ text: 'Vronsky', label: 'PER', score: 0.6 });
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('reads BIOES and IO sequences', () => {
    const text = 'a b c d e';
    const words = splitWords(text);
    const bioes = parseTags(['B-LOC', 'E-LOC', 'S-LOC', 'S-PER', 'O'], 'BIOES');
    expect(entitiesFromTags(text, words, bioes, [1, 1, 1, 1, 1]).map((e) => e.text)).toEqual(['a b', 'c', 'd']);
    const io = parseTags(['I-LOC', 'I-LOC', 'O', 'I-PER', 'I-LOC'], 'IO');
    expect(entitiesFromTags(text, words, io, [1, 1, 1, 1, 1]).map((e) => [e.text, e.label])).toEqual([
      ['a b', 'LOC'],
      ['d', 'PER'],
      ['e', 'LOC'],
    ]);
  });
});
