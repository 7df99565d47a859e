import { describe, expect, it } from 'vitest';
import { allowedMoves, detectScheme, parseTag, parseTags } from './scheme.js';

describe('tag schemes', () => {
  it('parses prefixed, BILOU and bare labels', () => {
    expect(parseTag('B-PER')).toEqual({ prefix: 'B', type: 'PER' });
    expect(parseTag('I_ORG')).toEqual({ prefix: 'I', type: 'ORG' });
    expect(parseTag('L-LOC')).toEqual({ prefix: 'E', type: 'LOC' });
    expect(parseTag('U-LOC')).toEqual({ prefix: 'S', type: 'LOC' });
    expect(parseTag('B-GEO-POLIT')).toEqual({ prefix: 'B', type: 'GEO-POLIT' });
    expect(parseTag('PER')).toEqual({ prefix: 'I', type: 'PER' });
    expect(parseTag('O')).toEqual({ prefix: 'O', type: '' });
  });

  it('detects the scheme from the label set', () => {
    expect(detectScheme(['O', 'B-PER', 'I-PER'])).toBe('BIO');
    expect(detectScheme(['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER'])).toBe('BIOES');
    expect(detectScheme(['O', 'B-PER', 'I-PER', 'L-PER', 'U-PER'])).toBe('BIOES');
    expect(detectScheme(['O', 'I-PER', 'I-LOC'])).toBe('IO');
    expect(detectScheme(['O', 'PER', 'LOC'])).toBe('IO');
  });

  it('ignores prefixes under a forced IO scheme', () => {
    expect(parseTags(['B-PER', 'S-LOC', 'O'], 'IO').map((t) => t.prefix)).toEqual(['I', 'I', 'O']);
  });

  it('forbids I- after O or another type under BIO', () => {
    const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
    const { start, transitions, end } = allowedMoves(labels, 'BIO');
    const ok = (from: string, to: string) => transitions[labels.indexOf(from) * labels.length + labels.indexOf(to)];
    expect(start).toEqual([true, true, false, true, false]);
    expect(end).toEqual([true, true, true, true, true]);
    expect(ok('O', 'I-PER')).toBe(false);
    expect(ok('B-PER', 'I-LOC')).toBe(false);
    expect(ok('I-PER', 'I-LOC')).toBe(false);
    expect(ok('B-PER', 'I-PER')).toBe(true);
    expect(ok('I-PER', 'I-PER')).toBe(true);
    expect(ok('I-PER', 'B-LOC')).toBe(true);
    expect(ok('I-LOC', 'O')).toBe(true);
  });

  it('keeps BIOES entities closed and well-typed', () => {
    const labels = ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC'];
    const { start, transitions, end } = allowedMoves(labels, 'BIOES');
    const n = labels.length;
    const ok = (from: string, to: string) => transitions[labels.indexOf(from) * n + labels.indexOf(to)];
    expect(labels.filter((_, i) => start[i])).toEqual(['O', 'B-PER', 'S-PER', 'B-LOC', 'S-LOC']);
    expect(labels.filter((_, i) => end[i])).toEqual(['O', 'E-PER', 'S-PER', 'E-LOC', 'S-LOC']);
    expect(labels.filter((l) => ok('B-PER', l))).toEqual(['I-PER', 'E-PER']);
    expect(labels.filter((l) => ok('I-LOC', l))).toEqual(['I-LOC', 'E-LOC']);
    expect(labels.filter((l) => ok('E-PER', l))).toEqual(['O', 'B-PER', 'S-PER', 'B-LOC', 'S-LOC']);
    expect(labels.filter((l) => ok('O', l))).toEqual(['O', 'B-PER', 'S-PER', 'B-LOC', 'S-LOC']);
  });

  it('allows everything under IO', () => {
    const { start, transitions, end } = allowedMoves(['O', 'I-PER', 'I-LOC'], 'IO');
    expect([...start, ...transitions, ...end].every(Boolean)).toBe(true);
  });
});
