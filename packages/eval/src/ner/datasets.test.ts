import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConll, parseFactRuEval } from './datasets.js';
import { seqevalEntities } from './metrics.js';

const FACTRU = new URL('../../../../../shared/data/factRuEval-2016/', import.meta.url);

describe('parseConll', () => {
  it('reads word<TAB>tag lines, sentences, multi-column and DOCSTART', () => {
    const text = '-DOCSTART- O\n\nAnna\tB-PER\nlives\tO\n\n\nin NN O\nParis NNP B-LOC\r\n';
    expect(parseConll(text)).toEqual([
      { words: ['Anna', 'lives'], tags: ['B-PER', 'O'] },
      { words: ['in', 'Paris'], tags: ['O', 'B-LOC'] },
    ]);
  });

  it('rejects a line without a tag', () => {
    expect(() => parseConll('Anna\n')).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });
});

describe('parseFactRuEval', () => {
  // Tokens: "Мэр Москвы Сергей Собянин ." / "ООО Ромашка" ; the LocOrg "Москвы" sits inside the Org "Мэр Москвы".
  const tokens = '1 0 3 Мэр\n2 4 6 Москвы\n3 11 6 Сергей\n4 18 7 Собянин\n5 25 1 .\n\n6 27 3 ООО\n7 31 7 Ромашка\n';
  const spans = [
    '10 org_descr 0 3 1 1 # 1 Мэр',
    '11 loc_name 4 6 2 1 # 2 Москвы',
    '12 name 11 6 3 1 # 3 Сергей',
    '13 surname 18 7 4 1 # 4 Собянин',
    '14 org_name 31 7 7 1 # 7 Ромашка',
    '15 org_descr 27 3 6 1 # 6 ООО',
    '16 facility 0 3 1 2 # 1 2',
  ].join('\n');
  const objects = [
    '100 Org 10 11 # Мэр Москвы',
    '101 LocOrg 11 # Москвы',
    '102 Person 13 12 # Собянин Сергей',
    '103 Org 14 15 # Ромашка ООО',
    '104 Facility 16 # ignored type',
    '105 Person 13 14 # crosses a sentence boundary: dropped',
  ].join('\n');

  it('maps types, keeps the outermost mention and spans first to last token', () => {
    expect(parseFactRuEval({ tokens, spans, objects })).toEqual([
      { words: ['Мэр', 'Москвы', 'Сергей', 'Собянин', '.'], tags: ['B-ORG', 'I-ORG', 'B-PER', 'I-PER', 'O'] },
      { words: ['ООО', 'Ромашка'], tags: ['B-ORG', 'I-ORG'] },
    ]);
  });

  it('tags nothing without annotation files and rejects dangling references', () => {
    expect(parseFactRuEval({ tokens }).flatMap((s) => s.tags)).toEqual(new Array(7).fill('O'));
    expect(() => parseFactRuEval({ tokens, spans, objects: '1 Person 99' })).toThrow(/unknown span 99/);
  });

  it.skipIf(!existsSync(FACTRU))('agrees with models/scripts/ner_data.py on the real corpus entity counts', () => {
    // Expected counts from ner_data.py with its glued-sentence splitting turned off (that split cuts
    // names with initials such as "Н. Вертинская" in two, adding entities; this reader keeps corpus sentences).
    const expected = {
      devset: { sentences: 1769, words: 30940, LOC: 959, ORG: 733, PER: 728 },
      testset: { sentences: 3138, words: 59382, LOC: 1331, ORG: 1904, PER: 1347 },
    };
    for (const [split, want] of Object.entries(expected)) {
      const dir = new URL(`${split}/`, FACTRU);
      const names = readdirSync(dir)
        .filter((f) => f.endsWith('.tokens'))
        .map((f) => f.slice(0, -'.tokens'.length));
      const read = (name: string, ext: string) => {
        const url = new URL(`${name}${ext}`, dir);
        return existsSync(url) ? readFileSync(url, 'utf8') : undefined;
      };
      const sentences = names.flatMap((name) =>
        parseFactRuEval({
          name,
          tokens: read(name, '.tokens') ?? '',
          spans: read(name, '.spans'),
          objects: read(name, '.objects'),
        }),
      );
      const counts: Record<string, number> = {};
      for (const [type] of seqevalEntities(sentences.map((s) => s.tags))) counts[type] = (counts[type] ?? 0) + 1;
      expect({
        sentences: sentences.length,
        words: sentences.reduce((n, s) => n + s.words.length, 0),
        ...counts,
      }).toEqual(want);
    }
  });
});
