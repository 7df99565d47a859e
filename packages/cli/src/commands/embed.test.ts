import { fileURLToPath } from 'node:url';
import { createEmbedder } from '@bertweb/embeddings';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../../models/fixtures/${name}`, import.meta.url));
const lines = ['Hello, world!', '', 'Москва — столица 🎉', 'a café'];

describe('bertweb embed', () => {
  it('writes one vector per line, equal to the embedder’s', async () => {
    const io = memoryIO(lines);
    expect(await runCli(['embed', '--model', fixture('bert-base'), '--pooling', 'max'], io)).toBe(0);
    const vectors = io.stdout.map((l) => JSON.parse(l) as number[]);
    expect(vectors).toHaveLength(4);
    const embedder = await createEmbedder(fixture('bert-base'), { backend: 'auto', pooling: 'max' });
    const expected = await embedder.embed(lines);
    await embedder.dispose();
    vectors.forEach((v, r) => {
      expect(v).toEqual(Array.from(expected.data.subarray(r * 4, r * 4 + 4)));
    });
    expect(vectors[1]).toEqual([0, 0, 0, 0]); // empty line: zero vector
  });

  it('normalizes with --normalize', async () => {
    const io = memoryIO(['one line', 'another line']);
    expect(await runCli(['embed', '--model', fixture('distilbert-base'), '--normalize'], io)).toBe(0);
    for (const line of io.stdout) {
      const v = JSON.parse(line) as number[];
      expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    }
  });

  it('reports pooler pooling on a model without a pooler as UNSUPPORTED', async () => {
    const io = memoryIO(['x']);
    expect(await runCli(['embed', '--model', fixture('distilbert-base'), '--pooling', 'pooler'], io)).toBe(1);
    expect(JSON.parse(io.stderr[0] as string).error.code).toBe('UNSUPPORTED');
    const bad = memoryIO(['x']);
    expect(await runCli(['embed', '--model', fixture('bert-base'), '--pooling', 'median'], bad)).toBe(1);
    expect(JSON.parse(bad.stderr[0] as string).error.code).toBe('INPUT_INVALID');
  });
});
