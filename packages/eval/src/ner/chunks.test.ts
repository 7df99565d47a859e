import { chunkSpans } from '@bertweb/tagging';
import { describe, expect, it } from 'vitest';
import { seqevalTag } from './metrics.js';

function chunksOf(labels: string[]) {
  const tags = labels.map(seqevalTag);
  return chunkSpans(
    tags.map((t) => t.prefix),
    tags.map((t) => t.type),
  ).map((c) => [c.type, c.first, c.last]);
}

describe('chunkSpans (seqeval get_entities)', () => {
  it('reads well-formed BIO', () => {
    expect(chunksOf(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 3],
    ]);
    expect(chunksOf(['B-PER', 'B-PER', 'I-PER'])).toEqual([
      ['PER', 0, 0],
      ['PER', 1, 2],
    ]);
  });

  it('starts an entity at an I- without B- and splits on a type change', () => {
    expect(chunksOf(['O', 'I-PER', 'I-PER', 'O'])).toEqual([['PER', 1, 2]]);
    expect(chunksOf(['I-PER', 'I-LOC'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 1],
    ]);
    expect(chunksOf(['B-PER', 'I-LOC', 'I-LOC'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 2],
    ]);
  });

  it('reads BIOES, closing at E- and S-', () => {
    expect(chunksOf(['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'S-LOC', 'O'])).toEqual([
      ['PER', 0, 2],
      ['LOC', 3, 3],
      ['LOC', 4, 4],
    ]);
    // Ill-formed: E- after E- and after O start new entities; an entity left open at the end is kept.
    expect(chunksOf(['E-PER', 'E-PER', 'O', 'B-LOC', 'I-LOC'])).toEqual([
      ['PER', 0, 0],
      ['PER', 1, 1],
      ['LOC', 3, 4],
    ]);
  });

  it('merges IO runs of one type', () => {
    expect(chunksOf(['I-PER', 'I-PER', 'O', 'I-LOC', 'I-LOC', 'I-PER'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 4],
      ['PER', 5, 5],
    ]);
  });

  it('returns nothing for empty or all-O input', () => {
    expect(chunkSpans([], [])).toEqual([]);
    expect(chunksOf(['O', 'O'])).toEqual([]);
  });
});
