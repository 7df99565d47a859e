import { createRanker } from '@bertweb/classify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertedFixture,
  dpReference,
  removeConvertedFixtures,
} from '../../../classify/src/test-utils/deeppavlov-fixtures.js';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';
import { COMMANDS } from './index.js';
import { rankCommand } from './rank.js';

// Registered here until commands/index.ts lists it.
const commands = COMMANDS.some((c) => c.name === 'rank') ? COMMANDS : [...COMMANDS, rankCommand];
// DeepPavlov's ranking_ubuntu_v2_torch_bert_uncased fixture, reference from models/scripts/dp_reference.py
// `bert_rank` (deeppavlov/models/torch_bert/torch_bert_ranker.py; docs/deeppavlov-1.7.md "Ranking").
const [ubuntu] = dpReference().ranking_ubuntu_v2_torch_bert_uncased.cases;
if (!ubuntu) throw new Error('reference.json has no ranking case');

describe('bertweb rank', () => {
  let model: string;
  beforeAll(async () => {
    model = await convertedFixture('ranking_ubuntu_v2_torch_bert_uncased');
  });
  afterAll(removeConvertedFixtures);

  it("writes one score per candidate line, in input order: DeepPavlov's scores within 1e-4", async () => {
    const io = memoryIO(ubuntu.candidates);
    expect(
      await runCli(['rank', '--model', model, '--query', ubuntu.context, '--max-length', '128'], io, commands),
    ).toBe(0);
    const scores = io.stdout.map((l) => JSON.parse(l) as number);
    expect(scores).toHaveLength(3);
    scores.forEach((s, j) => {
      expect(Math.abs(s - (ubuntu.scores[j] as number))).toBeLessThanOrEqual(1e-4);
    });
    const segments = memoryIO(ubuntu.candidates);
    const argv = ['rank', '--model', model, '--query', ubuntu.context, '--token-types', 'segments'];
    expect(await runCli(argv, segments, commands)).toBe(0);
    segments.stdout.forEach((l, j) => {
      expect(
        Math.abs((JSON.parse(l) as number) - (ubuntu.scores_if_token_types_passed[j] as number)),
      ).toBeLessThanOrEqual(1e-4);
    });
  });

  it('streams many lines in batches, as the ranker scores them; --details adds the truncation flag', async () => {
    const lines = Array.from({ length: 70 }, (_, i) => (i === 5 ? 'word '.repeat(40) : `candidate ${i}`));
    lines[3] = '';
    const io = memoryIO(lines);
    const argv = ['rank', '--model', model, '--query', 'a query', '--max-length', '32', '--details'];
    expect(await runCli(argv, io, commands)).toBe(0);
    const ranker = await createRanker(model, { backend: 'wasm', maxLength: 32 });
    const { scores, truncated } = await ranker.score('a query', lines);
    await ranker.dispose();
    const got = io.stdout.map((l) => JSON.parse(l) as { score: number; truncated: boolean });
    expect(got.map((g) => g.truncated)).toEqual(truncated);
    expect(got[5]?.truncated).toBe(true);
    got.forEach((g, j) => {
      // Batches of 64 lines pad differently from one call of 70: float rounding only.
      expect(Math.abs(g.score - (scores[j] as number))).toBeLessThanOrEqual(1e-6);
    });
  });

  it('writes the K best as {index, text, score, truncated}, best first, with --top-k', async () => {
    const io = memoryIO(ubuntu.candidates);
    expect(await runCli(['rank', '--model', model, '--query', ubuntu.context, '--top-k', '2'], io, commands)).toBe(0);
    const ranked = io.stdout.map((l) => JSON.parse(l));
    const best = ubuntu.scores.indexOf(Math.max(...ubuntu.scores));
    expect(ranked).toHaveLength(2);
    expect(ranked[0]).toMatchObject({ index: best, text: ubuntu.candidates[best], truncated: false });
    expect(ranked[0].score).toBeGreaterThanOrEqual(ranked[1].score);
  });

  it('needs --query; bad flags are INPUT_INVALID; no candidates write nothing', async () => {
    const io = memoryIO(['x']);
    expect(await runCli(['rank', '--model', model], io, commands)).not.toBe(0);
    expect(JSON.parse(io.stderr[0] as string).error).toMatchObject({ code: 'INPUT_INVALID' });
    const bad = memoryIO(['x']);
    expect(await runCli(['rank', '--model', model, '--query', 'q', '--scoring', 'max'], bad, commands)).not.toBe(0);
    expect(JSON.parse(bad.stderr[0] as string).error.message).toMatch(/--scoring/);
    const empty = memoryIO([]);
    expect(await runCli(['rank', '--model', model, '--query', 'q'], empty, commands)).toBe(0);
    expect(empty.stdout).toEqual([]);
  });
});
