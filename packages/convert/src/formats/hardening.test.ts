/**
 * Regression tests for reader failures found by fuzzing (issue 15): each input once crashed a reader
 * with a RangeError / TypeError (reported as INTERNAL) or took super-linear time; each must now be a
 * documented code, quickly.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertFiles, unpackArchive } from '../convert-files.js';
import { BertwebError, type ErrorCode } from '../core.js';
import { bytesSource } from '../io/byte-source.js';
import { parseLabelDict } from '../model/checkpoint.js';
import { convert } from '../node.js';
import { concat, makeTar, makeZip } from '../test-utils/archive-writers.js';
import { fixtureFiles } from '../test-utils/fixtures.js';
import { nestedPickle, nestedStateDict } from '../test-utils/pickle-gen.js';
import { PICKLE_LIMITS, PyDict, unpickle } from './pickle.js';
import { readSafetensors } from './safetensors.js';
import { readTorchCheckpoint } from './torch.js';
import { openZipEntry, readZipDirectory } from './zip.js';

const enc = new TextEncoder();

async function codeOf(run: () => unknown): Promise<ErrorCode | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof BertwebError) return error.code;
    throw error;
  }
}

/** A torch zip checkpoint whose data.pkl is `pkl`, as a folder with the bert-base config and vocab. */
function torchFolder(pkl: Uint8Array): Map<string, Uint8Array> {
  const files = fixtureFiles('bert-base');
  files.delete('model.safetensors');
  files.set(
    'pytorch_model.bin',
    makeZip([
      { name: 'archive/data.pkl', data: pkl },
      { name: 'archive/byteorder', data: enc.encode('little') },
    ]),
  );
  return files;
}

const root = mkdtempSync(path.join(tmpdir(), 'bertweb-hardening-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('deeply nested pickles (the issue 15 reproducer)', () => {
  it.each([3_000, 10_000, 100_000])(
    'a state dict nested %i deep is MODEL_INVALID through convert() and convertFiles',
    async (depth) => {
      const files = torchFolder(nestedStateDict(depth, 'list-append'));
      const error = await convertFiles(files, { dtypes: ['fp32'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BertwebError);
      expect((error as BertwebError).code).toBe('MODEL_INVALID');
      expect((error as Error).message).toMatch(/nested more than 100 deep/);

      // `bertweb convert` goes through convert(): same code, and no output left behind.
      const dir = path.join(root, `deep-${depth}`);
      rmSync(dir, { recursive: true, force: true });
      const srcDir = mkdtempSync(path.join(root, `ckpt-${depth}-`));
      for (const [name, bytes] of files) writeFileSync(path.join(srcDir, name), bytes);
      const disk = await convert({ from: srcDir, out: dir, dtypes: ['fp32'] }).catch((e: unknown) => e);
      expect((disk as BertwebError).code).toBe('MODEL_INVALID');
      expect(readdirSync(root).filter((n) => n.startsWith(`deep-${depth}`))).toEqual([]);
    },
  );

  it('nesting up to the limit parses; one level more is refused, for every container encoding', () => {
    for (const kind of ['list-append', 'tuple1', 'mark-tuple', 'dict-setitem', 'list-mark'] as const) {
      expect(() => unpickle(nestedPickle(PICKLE_LIMITS.maxDepth - 1, kind)), kind).not.toThrow();
      expect(() => unpickle(nestedPickle(PICKLE_LIMITS.maxDepth + 1, kind)), kind).toThrow(/nested more than/);
    }
  });

  it('a shared subtree referenced many times is measured once (linear time) and cycles add no depth', () => {
    // l = [1]; l = [l, l] repeated 60 times via DUP: 2^60 paths, 60 levels.
    const parts = [Uint8Array.of(0x80, 2, 0x5d, 0x4b, 1, 0x61)];
    for (let i = 0; i < 60; i++) parts.push(Uint8Array.of(0x32, 0x86)); // DUP TUPLE2
    parts.push(Uint8Array.of(0x2e));
    expect(() => unpickle(concat(parts))).not.toThrow();
    // A list appended to itself: [x] with x = the list.
    const cycle = Uint8Array.of(0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e); // ] BINPUT 0 BINGET 0 APPEND
    const value = unpickle(cycle).value as unknown[];
    expect(value[0]).toBe(value);
  });
});

describe('pickle resource limits', () => {
  it('APPENDS of 300,000 items does not overflow the stack (push(...items) did)', () => {
    const n = 300_000;
    const body = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) body.set([0x4b, i & 0xff], i * 2);
    const pkl = concat([Uint8Array.of(0x80, 2, 0x5d, 0x28), body, Uint8Array.of(0x65, 0x2e)]);
    expect((unpickle(pkl).value as unknown[]).length).toBe(n);
  });

  it('a LONG4 of 100 MB declared length or a 1 MB text integer is refused without work', () => {
    expect(() => unpickle(Uint8Array.of(0x80, 2, 0x8b, 0, 0, 0x40, 6, 1, 0x2e))).toThrow(/integer of/);
    expect(() => unpickle(enc.encode(`I${'9'.repeat(1_000_000)}\n.`))).toThrow(/bad INT/);
  });

  it('a negative BINSTRING length is MODEL_INVALID (it moved the cursor backwards into a TypeError)', () => {
    // Found by the long fuzz run: BINSTRING with length 0x80000000 (-2^31 as int32).
    expect(() => unpickle(Uint8Array.of(84, 0, 0, 0, 128))).toThrow(/negative length/);
    expect(() => unpickle(Uint8Array.of(0x80, 2, 84, 0xfe, 0xff, 0xff, 0xff, 0x2e))).toThrow(/negative length/);
  });

  it('a stack of more than a million values is refused (DUP bombs)', () => {
    const dups = new Uint8Array(PICKLE_LIMITS.maxStack + 10).fill(0x32);
    expect(() => unpickle(concat([Uint8Array.of(0x80, 2, 0x4e), dups, Uint8Array.of(0x2e)]))).toThrow(
      /values on the stack/,
    );
  });

  it('dict keys that are not strings stay out of messages', async () => {
    const dict = new PyDict();
    expect(dict.map.size).toBe(0);
    // {('a','b'): 1} as the whole checkpoint: no state dict, message lists key kinds only.
    const pkl = Uint8Array.of(0x80, 2, 0x7d, 0x8c, 1, 0x61, 0x8c, 1, 0x62, 0x86, 0x4b, 1, 0x73, 0x2e);
    const files = torchFolder(pkl);
    await expect(convertFiles(files, { dtypes: ['fp32'] })).rejects.toThrow(
      /no state dict found \(top-level keys: object\)/,
    );
  });
});

describe('torch checkpoint fields', () => {
  it('a legacy file whose pickle claims a huge bytes object fails as truncated without reading the file', async () => {
    // magic (LONG1), then BINBYTES8 of 2^40 bytes: the reader used to grow its prefix to the whole file.
    const magic = Uint8Array.of(0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
    const bomb = Uint8Array.of(0x80, 4, 0x8e, 0, 0, 0, 0, 0, 1, 0, 0);
    const file = concat([magic, Uint8Array.of(0x80, 2, 0x4d, 0xe9, 0x03, 0x2e), bomb, new Uint8Array(3 << 20)]);
    let bytesRead = 0;
    const source = bytesSource('legacy.bin', file);
    const counting = {
      ...source,
      read: (offset: number, length: number) => {
        bytesRead += length;
        return source.read(offset, length);
      },
    };
    expect(await codeOf(() => readTorchCheckpoint(counting))).toBe('MODEL_INVALID');
    // The first 1 MiB prefix, not the 3 MiB file (the old reader grew its prefix to the end).
    expect(bytesRead).toBeLessThanOrEqual((1 << 20) + 16);
  });
});

describe('zip', () => {
  it('an extra field running past the directory is MODEL_INVALID, not a RangeError', async () => {
    const zip = makeZip([{ name: 'a', data: new Uint8Array(4) }]);
    const cd = zip.byteLength - 22 - 47;
    new DataView(zip.buffer).setUint16(cd + 30, 60_000, true); // extra length
    expect(await codeOf(() => readZipDirectory(bytesSource('t.zip', zip)))).toBe('MODEL_INVALID');
  });

  it('a deflated member declaring 4 GiB (a zip bomb) is refused before any allocation', async () => {
    const zip = makeZip([
      { name: 'archive/data.pkl', data: new Uint8Array(100), deflate: true, declaredSize: 2 ** 32 - 2 },
    ]);
    const source = bytesSource('t.zip', zip);
    const [entry] = await readZipDirectory(source);
    await expect(openZipEntry(source, entry as never)).rejects.toThrow(/zip bomb/);
  });

  it('a deflated member that inflates past its declared size is refused (fflate stops silently)', async () => {
    const zip = makeZip([{ name: 'x', data: new Uint8Array(5000), deflate: true, declaredSize: 100 }]);
    const source = bytesSource('t.zip', zip);
    const [entry] = await readZipDirectory(source);
    await expect(openZipEntry(source, entry as never)).rejects.toThrow(/inflates to a size other than/);
  });

  it('duplicate member names are refused', async () => {
    const zip = makeZip([
      { name: 'archive/data.pkl', data: new Uint8Array(3) },
      { name: 'archive/data.pkl', data: new Uint8Array(5) },
    ]);
    await expect(readZipDirectory(bytesSource('t.zip', zip))).rejects.toThrow(/two members are named/);
  });
});

describe('tar', () => {
  it.each(['../evil.txt', 'a/../../evil.txt', '/etc/passwd', 'C:\\evil'])(
    'refuses member %s in memory and on disk',
    async (name) => {
      const tar = makeTar([{ name, data: enc.encode('x') }]);
      await expect(unpackArchive(new Blob([tar as BlobPart]))).rejects.toThrow(/points outside the archive/);
      const file = path.join(root, 'evil.tar');
      writeFileSync(file, tar);
      const error = await convert({ from: file, out: path.join(root, 'evil-out') }).catch((e: unknown) => e);
      expect((error as BertwebError).code).toBe('MODEL_INVALID');
      expect(readdirSync(root).filter((n) => n.startsWith('evil-out'))).toEqual([]);
    },
  );

  it('refuses duplicate member names and normalizes ./ prefixes', async () => {
    const dup = makeTar([
      { name: 'tag.dict', data: enc.encode('O 1\n') },
      { name: './tag.dict', data: enc.encode('B 1\n') },
    ]);
    await expect(unpackArchive(new Blob([dup as BlobPart]))).rejects.toThrow(/holds tag\.dict twice/);
    const ok = await unpackArchive(new Blob([makeTar([{ name: './a/./b.txt', data: enc.encode('b') }]) as BlobPart]));
    expect([...ok.keys()]).toEqual(['a/b.txt']);
  });
});

describe('safetensors and JSON metadata', () => {
  it('a header entry that is null or an array is MODEL_INVALID, not a TypeError', async () => {
    for (const header of ['{"a":null}', '{"a":[1]}', '{"a":{"dtype":"constructor","shape":[],"data_offsets":[0,0]}}']) {
      const json = enc.encode(header);
      const file = new Uint8Array(8 + json.byteLength);
      new DataView(file.buffer).setBigUint64(0, BigInt(json.byteLength), true);
      file.set(json, 8);
      expect(['MODEL_INVALID', 'UNSUPPORTED']).toContain(
        await codeOf(() => readSafetensors(bytesSource('m.safetensors', file))),
      );
    }
  });

  it('a config.json nested 100,000 deep is MODEL_INVALID (JSON.stringify of it overflowed the stack)', async () => {
    const files = fixtureFiles('bert-base');
    const config = new TextDecoder()
      .decode(files.get('config.json'))
      .replace(/\}\s*$/, `,"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    files.set('config.json', enc.encode(config));
    await expect(convertFiles(files, { dtypes: ['fp32'] })).rejects.toThrow(/nests deeper than 64 levels/);
  });

  it('hidden_act "constructor" is UNSUPPORTED (a prototype lookup once accepted it)', async () => {
    const files = fixtureFiles('bert-base');
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
    files.set('config.json', enc.encode(JSON.stringify({ ...config, hidden_act: 'constructor' })));
    await expect(convertFiles(files, { dtypes: ['fp32'] })).rejects.toThrow(
      /hidden_act "constructor" is not supported/,
    );
    files.set('config.json', enc.encode(JSON.stringify({ ...config, architectures: ['toString'] })));
    expect(await codeOf(() => convertFiles(files, { dtypes: ['fp32'] }))).toBe('UNSUPPORTED');
  });

  it('a sharded index whose shard names are not strings is MODEL_INVALID', async () => {
    const files = fixtureFiles('bert-seq-cls');
    const index = JSON.parse(new TextDecoder().decode(files.get('model.safetensors.index.json')));
    const first = Object.keys(index.weight_map)[0] as string;
    index.weight_map[first] = [[['deep']]];
    files.set('model.safetensors.index.json', enc.encode(JSON.stringify(index)));
    await expect(convertFiles(files, { dtypes: ['fp32'] })).rejects.toThrow(/is not a file name/);
  });

  it('a label dict line of 100,000 spaces parses with a linear scan (the old backtracking regex took 4 s here)', () => {
    expect(parseLabelDict(`O 3\n${' '.repeat(100_000)}x\nB-PER\t2\n`)).toEqual([
      'O',
      `${' '.repeat(100_000)}x`,
      'B-PER',
    ]);
  });
});
