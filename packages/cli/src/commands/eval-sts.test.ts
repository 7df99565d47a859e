import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbedder, similarity } from '@bertweb/embeddings';
import { spearman } from '@bertweb/eval';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/bert-base', import.meta.url));
const stsbRu = fileURLToPath(new URL('../../../../../shared/data/stsb/stsb-ru-dev.csv', import.meta.url));

const pairs: [string, string, number][] = [
  ['A man is playing a guitar.', 'A man plays the guitar.', 4.8],
  ['A woman is slicing an onion.', 'A woman is cutting an onion, "fast".', 4.2],
  ['A cat sleeps.', 'The stock market fell.', 0.1],
  ['Two dogs run, then stop.', 'Dogs are running.', 3.0],
  ['A child reads a book.', 'A kid is reading.', 3.9],
  ['It rains in Paris.', 'Москва — столица России.', 0.0],
];

describe('bertweb eval sts', () => {
  it('prints the Spearman correlation of cosine similarity with the gold scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertweb-sts-'));
    const csv = join(dir, 'pairs.csv');
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
    writeFileSync(
      csv,
      `sentence1,sentence2,score\n${pairs.map(([a, b, s]) => `${quote(a)},${quote(b)},${s}`).join('\n')}\n`,
    );
    const io = memoryIO();
    expect(await runCli(['eval', 'sts', '--model', model, '--data', csv], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    const embedder = await createEmbedder(model, { backend: 'wasm' });
    const a = await embedder.embed(pairs.map((p) => p[0]));
    const b = await embedder.embed(pairs.map((p) => p[1]));
    await embedder.dispose();
    const cosines = pairs.map((_, i) =>
      similarity(a.data.subarray(i * 4, i * 4 + 4), b.data.subarray(i * 4, i * 4 + 4)),
    );
    expect(out).toMatchObject({ task: 'sts', pairs: 6 });
    expect(out.spearman).toBeCloseTo(
      spearman(
        cosines,
        pairs.map((p) => p[2]),
      ),
      12,
    );
  });

  it.runIf(existsSync(stsbRu))('runs on the Russian STS-B dev set (first 200 pairs)', async () => {
    const io = memoryIO();
    expect(await runCli(['eval', 'sts', '--model', model, '--data', stsbRu, '--limit', '200'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    expect(out.pairs).toBe(200);
    expect(Math.abs(out.spearman)).toBeLessThanOrEqual(1);
  });
});
