import { describe, expect, it } from 'vitest';
import { memoryIO } from './io.js';
import { stderrProgress } from './progress.js';

describe('stderrProgress', () => {
  it('writes a done line per file and, for files of 1 MiB or more, a line per tenth; never on stdout', () => {
    const io = memoryIO();
    const report = stderrProgress(io);
    const total = 10 << 20;
    report({ status: 'initiate', file: 'pytorch_model.bin', loaded: 0, total: 0 });
    report({ status: 'download', file: 'pytorch_model.bin', loaded: 0, total });
    for (let loaded = 0; loaded <= total; loaded += 1 << 18) {
      report({ status: 'progress', file: 'pytorch_model.bin', loaded, total });
    }
    report({ status: 'done', file: 'pytorch_model.bin', loaded: total, total });
    report({ status: 'progress', file: 'vocab.txt', loaded: 10, total: 100 });
    report({ status: 'done', file: 'vocab.txt', loaded: 100, total: 100, cached: true });
    const lines = io.stderr.map((l) => JSON.parse(l).progress);
    expect(io.stdout).toEqual([]);
    const steps = lines.filter((l) => l.status === 'progress').map((l) => Math.floor((l.loaded * 10) / total));
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lines.filter((l) => l.status === 'done')).toEqual([
      { status: 'done', file: 'pytorch_model.bin', loaded: total, total },
      { status: 'done', file: 'vocab.txt', loaded: 100, total: 100, cached: true },
    ]);
  });

  it('steps by 64 MiB when the size is unknown', () => {
    const io = memoryIO();
    const report = stderrProgress(io);
    for (let loaded = 0; loaded < 200 << 20; loaded += 1 << 20) {
      report({ status: 'progress', file: 'model.safetensors', loaded, total: 0 });
    }
    expect(io.stderr.map((l) => JSON.parse(l).progress.loaded)).toEqual([0, 64 << 20, 128 << 20, 192 << 20]);
  });
});
