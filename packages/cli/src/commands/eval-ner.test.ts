import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entityMetrics } from '@bertweb/eval';
import { createTagger } from '@bertweb/tagging';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/bert-token-cls', import.meta.url));
const factRuTest = fileURLToPath(new URL('../../../../../shared/data/factRuEval-2016/testset', import.meta.url));

const gold = [
  {
    words: ['Anna', 'Karenina', 'met', 'Vronsky', 'in', 'Moscow', '.'],
    tags: ['B-PER', 'I-PER', 'O', 'B-PER', 'O', 'B-LOC', 'O'],
  },
  { words: ['Google', 'opened', 'an', 'office', 'in', 'Paris'], tags: ['B-ORG', 'O', 'O', 'O', 'O', 'B-LOC'] },
];

describe('bertweb eval ner', () => {
  it('scores the model on a CoNLL file exactly as entityMetrics (seqeval) does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertweb-ner-'));
    const file = join(dir, 'gold.conll');
    writeFileSync(file, `${gold.map((s) => s.words.map((w, i) => `${w}\t${s.tags[i]}`).join('\n')).join('\n\n')}\n`);
    const io = memoryIO();
    expect(await runCli(['eval', 'ner', '--model', model, '--data', file, '--crf', 'off'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    const tagger = await createTagger(model, { backend: 'wasm', crf: false });
    const predicted = (await tagger.tagWords(gold.map((s) => s.words))).map((r) => r.tags);
    await tagger.dispose();
    const metrics = entityMetrics(
      gold.map((s) => s.tags),
      predicted,
    );
    expect(out).toMatchObject({
      task: 'ner',
      sentences: 2,
      words: 13,
      precision: metrics.micro.precision,
      recall: metrics.micro.recall,
      f1: metrics.micro.f1,
      support: 5,
      perType: JSON.parse(JSON.stringify(metrics.perType)),
    });
  });

  it('reads a factRuEval-2016 folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertweb-factru-'));
    mkdirSync(join(dir, 'testset'));
    const base = join(dir, 'testset', 'book_1');
    writeFileSync(`${base}.tokens`, '1 0 4 Анна\n2 5 5 живёт\n3 11 1 в\n4 13 6 Москве\n5 19 1 .\n');
    writeFileSync(`${base}.spans`, '10 name 0 4 1 1 # 1 Анна\n11 loc_name 13 6 4 1 # 4 Москве\n');
    writeFileSync(`${base}.objects`, '20 Person 10 # Анна\n21 Location 11 # Москве\n');
    const io = memoryIO();
    expect(await runCli(['eval', 'ner', '--model', model, '--data', join(dir, 'testset')], io)).toBe(0);
    expect(JSON.parse(io.stdout[0] as string)).toMatchObject({ sentences: 1, words: 5, support: 2 });
  });

  it.runIf(existsSync(factRuTest))('runs on the factRuEval-2016 test set (first 40 sentences)', async () => {
    const io = memoryIO();
    expect(await runCli(['eval', 'ner', '--model', model, '--data', factRuTest, '--limit', '40'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    expect(out.sentences).toBe(40);
    expect(out.support).toBeGreaterThan(20);
    expect(Object.keys(out.perType)).toEqual(expect.arrayContaining(['LOC', 'ORG', 'PER']));
  });

  it('rejects a missing data path', async () => {
    const io = memoryIO();
    expect(await runCli(['eval', 'ner', '--model', model, '--data', '/nonexistent/x.conll'], io)).not.toBe(0);
    expect(JSON.parse(io.stderr[0] as string).error.code).toBe('INPUT_INVALID');
  });
});
