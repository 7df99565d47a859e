import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSquadV1, parseSquad } from '@bertweb/eval';
import { createReader } from '@bertweb/qa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/distilbert-qa', import.meta.url));
const devV11 = fileURLToPath(new URL('../../../../../shared/data/squad/dev-v1.1.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bertweb-squad-'));

const paragraphs = [
  {
    context:
      'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.',
    questions: ['In what country is Normandy located?', 'When were the Normans in Normandy?'],
  },
  {
    context: 'Super Bowl 50 was an American football game; the Denver Broncos defeated the Carolina Panthers 24–10. 🏈',
    questions: ['Which team won Super Bowl 50?', 'What was the score?', 'Who lost?'],
  },
];

function squadFile(version: string, gold: (question: string, index: number) => string[]): string {
  let id = 0;
  const data = [
    {
      title: 'hand-made',
      paragraphs: paragraphs.map((p) => ({
        context: p.context,
        qas: p.questions.map((q) => {
          const i = id++;
          return { id: `q${i}`, question: q, answers: gold(q, i).map((text) => ({ text, answer_start: 0 })) };
        }),
      })),
    },
  ];
  const path = join(dir, `squad-${version}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ version, data }));
  return path;
}

async function modelAnswers(): Promise<string[]> {
  const reader = await createReader(model, { backend: 'wasm' });
  const out: string[] = [];
  for (const p of paragraphs) for (const q of p.questions) out.push((await reader.answer(q, p.context)).text);
  await reader.dispose();
  return out;
}

describe('bertweb eval squad', () => {
  it('scores EM = F1 = 100 when the gold answers are the model’s own answers', async () => {
    const answers = await modelAnswers();
    const data = squadFile('1.1', (_, i) => ['something else entirely', answers[i] as string]);
    const io = memoryIO();
    expect(await runCli(['eval', 'squad', '--model', model, '--data', data], io)).toBe(0);
    expect(JSON.parse(io.stdout[0] as string)).toMatchObject({
      task: 'squad',
      version: '1.1',
      questions: 5,
      exact_match: 100,
      f1: 100,
    });
  });

  it('writes official-format predictions whose official scores equal the printed metrics', async () => {
    const data = squadFile('1.1', () => ['France', 'Denver Broncos']);
    const predictions = join(dir, 'predictions.json');
    const io = memoryIO();
    expect(await runCli(['eval', 'squad', '--model', model, '--data', data, '--predictions', predictions], io)).toBe(0);
    const printed = JSON.parse(io.stdout[0] as string);
    const preds = JSON.parse(readFileSync(predictions, 'utf8'));
    expect(Object.keys(preds)).toHaveLength(5);
    const expected = evaluateSquadV1(parseSquad(readFileSync(data, 'utf8')).questions, preds);
    expect(printed.exact_match).toBeCloseTo(expected.exact_match, 10);
    expect(printed.f1).toBeCloseTo(expected.f1, 10);
  });

  it('evaluates SQuAD 2.0 files with HasAns/NoAns splits and --limit', async () => {
    const data = squadFile('v2.0', (_, i) => (i % 2 === 0 ? [] : ['Denver Broncos']));
    const io = memoryIO();
    expect(await runCli(['eval', 'squad', '--model', model, '--data', data, '--limit', '4'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    expect(out).toMatchObject({ version: '2.0', questions: 4, total: 4, HasAns_total: 2, NoAns_total: 2 });
    for (const key of ['exact', 'f1', 'HasAns_exact', 'NoAns_f1']) {
      expect(out[key]).toBeGreaterThanOrEqual(0);
      expect(out[key]).toBeLessThanOrEqual(100);
    }
  });

  it('rejects a missing data file and an unknown target', async () => {
    const io = memoryIO();
    expect(await runCli(['eval', 'squad', '--model', model, '--data', join(dir, 'nope.json')], io)).toBe(1);
    expect(JSON.parse(io.stderr[0] as string).error.code).toBe('INPUT_INVALID');
    const unknown = memoryIO();
    expect(await runCli(['eval', 'nothing', '--model', model], unknown)).toBe(1);
    expect(JSON.parse(unknown.stderr[0] as string).error.message).toContain('squad');
  });

  it.runIf(existsSync(devV11))('runs on the SQuAD v1.1 dev set (first 60 questions)', async () => {
    const io = memoryIO();
    expect(await runCli(['eval', 'squad', '--model', model, '--data', devV11, '--limit', '60'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    expect(out).toMatchObject({ version: '1.1', questions: 60 });
    expect(out.f1).toBeGreaterThanOrEqual(out.exact_match);
    expect(out.f1).toBeLessThanOrEqual(100);
  });
});
