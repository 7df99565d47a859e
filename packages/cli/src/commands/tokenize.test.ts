import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/bert-base', import.meta.url));

describe('bertweb tokenize', () => {
  it('writes ids, tokens and offsets per line', async () => {
    const io = memoryIO(['Hello, Wörld!', '']);
    expect(await runCli(['tokenize', '--model', model], io)).toBe(0);
    const [first, empty] = io.stdout.map((l) => JSON.parse(l));
    expect(first.tokens).toEqual(['[CLS]', 'hello', ',', 'world', '!', '[SEP]']);
    expect(first.ids).toEqual([101, 7592, 1010, 2088, 999, 102]);
    expect(first.offsets).toEqual([
      [0, 0],
      [0, 5],
      [5, 6],
      [7, 12],
      [12, 13],
      [0, 0],
    ]);
    expect(empty.tokens).toEqual(['[CLS]', '[SEP]']);
  });

  it('encodes tab-separated pairs with type ids and truncation', async () => {
    const io = memoryIO(['who is there\tthe quick brown fox jumps over the lazy dog']);
    expect(await runCli(['tokenize', '--model', model, '--pair', '--max-length', '10'], io)).toBe(0);
    const out = JSON.parse(io.stdout[0] as string);
    expect(out.ids).toHaveLength(10);
    expect(out.typeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('reports a missing model as a JSON error', async () => {
    const io = memoryIO(['x']);
    expect(await runCli(['tokenize', '--model', '/nonexistent/model'], io)).toBe(1);
    expect(JSON.parse(io.stderr[0] as string).error.code).toBe('MODEL_NOT_FOUND');
  });
});
