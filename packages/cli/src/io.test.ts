import { describe, expect, it } from 'vitest';
import { forEachLineBatch, memoryIO } from './io.js';

describe('forEachLineBatch', () => {
  it('hands lines over in order, in batches of the given size, the last one short', async () => {
    const lines = Array.from({ length: 130 }, (_, i) => `line ${i}`);
    const batches: string[][] = [];
    await forEachLineBatch(
      memoryIO(lines).lines(),
      (line, n) => `${n}:${line}`,
      async (b) => {
        batches.push(b);
      },
    );
    expect(batches.map((b) => b.length)).toEqual([64, 64, 2]);
    expect(batches.flat()).toEqual(lines.map((line, i) => `${i + 1}:${line}`));
  });

  it('stops at a line parse rejects, after handling the batches before it', async () => {
    const handled: number[][] = [];
    const run = forEachLineBatch(
      memoryIO(['1', '2', '3', 'x', '5']).lines(),
      (line, n) => {
        if (Number.isNaN(Number(line))) throw new Error(`line ${n} is not a number`);
        return Number(line);
      },
      async (b) => {
        handled.push(b);
      },
      2,
    );
    await expect(run).rejects.toThrow('line 4 is not a number');
    expect(handled).toEqual([[1, 2]]);
  });
});
