import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@bertweb/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../args.js';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';
import { convertCommand, convertOptions } from './convert.js';

/** The flags as `bertweb convert` parses them. */
const parseConvertArgs = (argv: string[]) =>
  convertOptions(parseArgs(argv, { known: convertCommand.flags, booleans: convertCommand.booleanFlags ?? [] }));

const convertFixtures = fileURLToPath(new URL('../../../../models/fixtures/convert/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bertweb-cli-convert-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('bertweb convert', () => {
  it('converts a checkpoint folder into a model folder that bertweb runs (PyTorch parity)', async () => {
    const from = join(convertFixtures, 'bert-qa');
    const out = join(scratch, 'model');
    const io = memoryIO();
    expect(await runCli(['convert', '--from', from, '--out', out, '--dtype', 'fp32,q8'], io)).toBe(0);
    expect(JSON.parse(io.stdout[0] as string).out).toBe(out);
    expect(existsSync(join(out, 'onnx', 'model_quantized.onnx'))).toBe(true);

    const reference = JSON.parse(readFileSync(join(from, 'reference.json'), 'utf8'));
    const row = 0;
    const length = (reference.inputs.attention_mask[row] as number[]).filter((m) => m === 1).length;
    const ids = (reference.inputs.input_ids[row] as number[]).slice(0, length);
    const model = await loadModel(out, { backend: 'wasm', dtype: 'fp32' });
    const [result] = await model.infer([
      {
        ids,
        tokens: ids.map(String),
        typeIds: (reference.inputs.token_type_ids[row] as number[]).slice(0, length),
        attentionMask: ids.map(() => 1),
        specialTokensMask: ids.map(() => 0),
        wordIds: ids.map(() => null),
        sequenceIds: ids.map(() => 0),
        offsets: ids.map(() => [0, 0] as [number, number]),
        overflowing: [],
      },
    ]);
    await model.dispose();
    const expected = (reference.outputs.start_logits.data as number[]).slice(0, length);
    const got = Array.from(result?.start_logits?.data ?? []);
    expect(got).toHaveLength(length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - (expected[i] as number))))).toBeLessThanOrEqual(1e-4);
  });

  it('fails with a JSON error and leaves no output folder for a missing checkpoint', async () => {
    const out = join(scratch, 'never');
    const io = memoryIO();
    expect(await runCli(['convert', '--from', join(scratch, 'nope.bin'), '--out', out], io)).toBe(1);
    expect(JSON.parse(io.stderr[0] as string).error.code).toBe('MODEL_NOT_FOUND');
    expect(existsSync(out)).toBe(false);
  });
});

describe('convert flags', () => {
  it('parses the CLI contract', () => {
    expect(
      parseConvertArgs([
        '--from',
        'ner.tar.gz',
        '--base',
        'DeepPavlov/rubert-base-cased',
        '--out',
        'm',
        '--dtype=q8,q4',
        '--task',
        'ner',
        '--overwrite',
      ]),
    ).toEqual({
      from: 'ner.tar.gz',
      base: 'DeepPavlov/rubert-base-cased',
      out: 'm',
      dtypes: ['q8', 'q4'],
      task: 'ner',
      overwrite: true,
    });
    expect(parseConvertArgs(['--from', 'a', '--out', 'b']).dtypes).toEqual(['fp32', 'fp16', 'q8', 'q4']);
    expect(parseConvertArgs(['--from', 'a', '--out', 'b', '--float-embeddings']).quantizeEmbeddings).toBe(false);
    expect(parseConvertArgs(['--from', 'a', '--out', 'b'])).not.toHaveProperty('quantizeEmbeddings');
  });

  it('rejects bad arguments with the usage text', () => {
    expect(() => parseConvertArgs(['--out', 'b'])).toThrow(/--from is required/);
    expect(() => parseConvertArgs(['--from', 'a', '--out', 'b', '--dtype', 'int4'])).toThrow(/unknown dtype int4/);
    expect(() => parseConvertArgs(['--from', 'a', '--out', 'b', '--frobnicate'])).toThrow(
      /unknown option --frobnicate/,
    );
    expect(() => parseConvertArgs(['--from', '--out', 'b'])).toThrow(/--from needs a value/);
    expect(() => parseConvertArgs(['--from', 'a', '--out', 'b', '--task', 'x'])).toThrow(/unknown task/);
  });
});
