/**
 * Property-based fuzzing of every checkpoint reader (issue 15): random bytes, real fixtures mutated
 * (truncations, bit flips, lengths set to 0 / 2^31 / 2^64-1, inserted, deleted and duplicated slices),
 * generated pickles, containers nested up to 200,000 deep, zip bombs by declared size, tar path
 * traversal and duplicate names. Every case must parse or reject with a documented code
 * (MODEL_INVALID, UNSUPPORTED, INPUT_INVALID; MODEL_NOT_FOUND where a whole folder is read) within a
 * time bound: never a TypeError, a blown stack, INTERNAL or a hang.
 *
 * `pnpm test` runs BERTWEB_FUZZ_RUNS=100 cases per property (a tenth of that for whole conversions);
 * `BERTWEB_FUZZ_RUNS=10000 pnpm exec vitest run packages/convert/src/formats/readers.fuzz.test.ts` is
 * the long mode. Each reader prints a `fuzz {...}` line with its case count and outcomes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { afterAll, describe, it } from 'vitest';
import { convertFiles, unpackArchive } from '../convert-files.js';
import { type ByteSource, bytesSource, readAll } from '../io/byte-source.js';
import { memoryFileSet } from '../io/file-set.js';
import { findStateDict, openCheckpoint, parseLabelDict } from '../model/checkpoint.js';
import { makeTar, makeZip } from '../test-utils/archive-writers.js';
import { FIXTURES, fixtureFiles } from '../test-utils/fixtures.js';
import {
  expectParsesOrRejects,
  FUZZ_CONVERSION_RUNS,
  FUZZ_RUNS,
  fuzzParameters,
  mutate,
  mutationsArb,
  printTallies,
  READER_CODES,
} from '../test-utils/fuzz.js';
import { hubRepoFiles } from '../test-utils/hub-fixtures.js';
import { nestedPickle, nestedStateDict, nestingArb, pickleArb } from '../test-utils/pickle-gen.js';
import { PickleNeedsMoreBytes, unpickle } from './pickle.js';
import { readSafetensors } from './safetensors.js';
import { readTorchCheckpoint } from './torch.js';
import { openZipEntry, readZipDirectory } from './zip.js';

const fixture = (...parts: string[]) => new Uint8Array(readFileSync(path.join(FIXTURES, ...parts)));
const ZIP_CHECKPOINT = fixture('bert-token-cls', 'pytorch_model.bin');
const LEGACY_CHECKPOINT = fixture('bert-qa', 'pytorch_model.bin');
const SAFETENSORS = fixture('bert-base', 'model.safetensors');
const TAR_GZ = fixture('deeppavlov-ner.tar.gz');
const TAR = new Uint8Array(gunzipSync(TAR_GZ));
const ZIP_MEMBERS = unzipSync(ZIP_CHECKPOINT);
const DATA_PKL = Object.entries(ZIP_MEMBERS).find(([n]) => n.endsWith('data.pkl'))?.[1] as Uint8Array;
const HOSTILE = [fixture('hostile-system.bin'), fixture('hostile-eval-legacy.bin')];
/** Codes for whole folders: a mutated file set may also lack its weights or a shard. */
const FOLDER_CODES = [...READER_CODES, 'MODEL_NOT_FOUND'] as const;

/** Reads a checkpoint as the converter does: the file, then its state dict. */
async function readCheckpoint(source: ByteSource): Promise<void> {
  findStateDict(await readTorchCheckpoint(source), source.name);
}

/** Reads a zip's directory and every member (as the torch reader would). */
async function readZipFully(source: ByteSource): Promise<void> {
  for (const entry of await readZipDirectory(source)) await readAll(await openZipEntry(source, entry));
}

const check = <T>(property: fc.IAsyncProperty<T>, runs = FUZZ_RUNS): Promise<void> =>
  fc.assert(property, fuzzParameters<T>(runs));

/** Vitest's limit per property: the long mode runs 100x the cases (each also bounded, see fuzz.ts). */
const PROPERTY_TIMEOUT = Math.max(120_000, FUZZ_RUNS * 250);

afterAll(printTallies);

describe('pickle', () => {
  it('random bytes', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (bytes, partial) =>
        expectParsesOrRejects('pickle: random bytes', () => {
          try {
            return unpickle(bytes, 0, { partial });
          } catch (error) {
            // Partial mode asks the caller for more bytes: that is the caller's signal, not a failure.
            if (error instanceof PickleNeedsMoreBytes) return undefined;
            throw error;
          }
        }),
      ),
    ),
  );

  it('generated opcode sequences (hostile globals included)', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(pickleArb, (bytes) =>
        expectParsesOrRejects('pickle: generated opcodes', () =>
          unpickle(bytes, 0, { persistentLoad: (pid) => ({ pid }) }),
        ),
      ),
    ),
  );

  it('containers nested up to 200,000 deep', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(nestingArb, ({ depth, kind }) =>
        expectParsesOrRejects('pickle: nested containers', () => unpickle(nestedPickle(depth, kind))),
      ),
    ),
  );

  it('mutated data.pkl of a real torch checkpoint, storages intact', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('pickle: mutated data.pkl', () => {
          const members = Object.entries(ZIP_MEMBERS).map(([name, data]) => ({
            name,
            data: name.endsWith('data.pkl') ? mutate(data, mutations) : data,
          }));
          return readCheckpoint(bytesSource('pytorch_model.bin', makeZip(members)));
        }),
      ),
    ),
  );
});

describe('torch checkpoints', () => {
  it('mutated zip-format checkpoint', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('torch zip: mutated', () =>
          readCheckpoint(bytesSource('pytorch_model.bin', mutate(ZIP_CHECKPOINT, mutations))),
        ),
      ),
    ),
  );

  it('mutated legacy (pre-1.6 pickle) checkpoint', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('torch legacy: mutated', () =>
          readCheckpoint(bytesSource('pytorch_model.bin', mutate(LEGACY_CHECKPOINT, mutations))),
        ),
      ),
    ),
  );

  it('generated and deeply nested data.pkl inside a torch zip', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(
        fc.oneof(
          pickleArb,
          nestingArb.map(({ depth, kind }) => nestedStateDict(depth, kind)),
        ),
        (pkl) =>
          expectParsesOrRejects('torch zip: generated data.pkl', () =>
            readCheckpoint(
              bytesSource(
                'pytorch_model.bin',
                makeZip([
                  { name: 'archive/data.pkl', data: pkl },
                  { name: 'archive/byteorder', data: new TextEncoder().encode('little') },
                  { name: 'archive/data/0', data: new Uint8Array(64) },
                ]),
              ),
            ),
          ),
      ),
    ),
  );

  it('mutated hostile pickles are still refused (or rejected as corrupt)', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(fc.constantFrom(...HOSTILE), mutationsArb, (bytes, mutations) =>
        expectParsesOrRejects('torch: mutated hostile', async () => {
          const source = bytesSource('hostile.bin', mutate(bytes, mutations));
          const checkpoint = await readTorchCheckpoint(source);
          // A mutation may remove the payload (a flipped GLOBAL name becomes another refusal, or data):
          // what must never happen is a call. The reader has no way to call anything; the state dict
          // search then fails on the remains.
          findStateDict(checkpoint, source.name);
        }),
      ),
    ),
  );
});

describe('zip', () => {
  const members = [
    { name: 'archive/data.pkl', data: DATA_PKL },
    { name: 'archive/data/0', data: new Uint8Array(4096).fill(7), deflate: true },
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ];
  const SMALL_ZIP = makeZip(members);

  it('mutated small archive (directory, local headers, sizes)', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('zip: mutated', () => readZipFully(bytesSource('t.zip', mutate(SMALL_ZIP, mutations)))),
      ),
    ),
  );

  it('zip bombs by declared size, duplicate and hostile names', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(
        fc.array(
          fc.record({
            name: fc.oneof(
              fc.constantFrom('archive/data.pkl', '../../etc/passwd', '/abs', 'a\\b', 'archive/data/0', ''),
              fc.string({ maxLength: 20 }),
            ),
            data: fc.uint8Array({ maxLength: 256 }),
            deflate: fc.boolean(),
            declaredSize: fc.option(
              fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(2 ** 32 - 1, 2 ** 31)),
              {
                nil: undefined,
              },
            ),
          }),
          { maxLength: 6 },
        ),
        (entries) =>
          expectParsesOrRejects('zip: crafted members', () =>
            readZipFully(
              bytesSource(
                't.zip',
                makeZip(
                  entries.map((e) => ({
                    ...e,
                    ...(e.declaredSize === undefined ? {} : { declaredSize: e.declaredSize }),
                  })),
                ),
              ),
            ),
          ),
      ),
    ),
  );
});

describe('tar and gzip', () => {
  it('mutated DeepPavlov tar (uncompressed)', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('tar: mutated', () => unpackArchive(new Blob([mutate(TAR, mutations) as BlobPart]))),
      ),
    ),
  );

  it('mutated DeepPavlov tar.gz', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('gzip: mutated tar.gz', () =>
          unpackArchive(new Blob([mutate(TAR_GZ, mutations) as BlobPart])),
        ),
      ),
    ),
  );

  it('path traversal, duplicate names, lying sizes, odd types', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(
        fc.array(
          fc.record({
            name: fc.oneof(
              fc.constantFrom(
                'model.pth.tar',
                '../evil',
                '/etc/passwd',
                'a/../../b',
                './tag.dict',
                'C:\\x',
                'x'.repeat(150),
              ),
              fc.string({ maxLength: 30 }),
            ),
            data: fc.uint8Array({ maxLength: 700 }),
            type: fc.constantFrom('0', '0', '0', '5', '2', 'L', 'x', 'g', '7'),
            declaredSize: fc.option(fc.integer({ min: 0, max: 2 ** 33 }), { nil: undefined }),
          }),
          { maxLength: 5 },
        ),
        (members) =>
          expectParsesOrRejects('tar: crafted members', async () => {
            const tar = makeTar(
              members.map((m) => ({ ...m, ...(m.declaredSize === undefined ? {} : { declaredSize: m.declaredSize }) })),
            );
            const files = await unpackArchive(new Blob([tar as BlobPart]));
            // Whatever was accepted is a safe relative name.
            for (const name of files.keys()) {
              if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe member ${name}`);
            }
          }),
      ),
    ),
  );
});

describe('safetensors', () => {
  it('mutated file', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(mutationsArb, (mutations) =>
        expectParsesOrRejects('safetensors: mutated', () =>
          readSafetensors(bytesSource('model.safetensors', mutate(SAFETENSORS, mutations))),
        ),
      ),
    ),
  );

  it('generated headers (any JSON, any dtype, shape and offsets)', { timeout: PROPERTY_TIMEOUT }, () => {
    const entry = fc.oneof(
      fc.record({
        dtype: fc.oneof(
          fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F8_E4M3', 'constructor', '__proto__'),
          fc.jsonValue(),
        ),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 4 }), fc.jsonValue()),
        data_offsets: fc.oneof(
          fc.tuple(fc.integer({ min: -1, max: 600 }), fc.integer({ min: -1, max: 600 })),
          fc.jsonValue(),
        ),
      }),
      fc.jsonValue(),
    );
    return check(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 10 }), entry, { maxKeys: 6 }),
        fc.integer({ min: 0, max: 512 }),
        (header, dataBytes) =>
          expectParsesOrRejects('safetensors: generated headers', () => {
            const json = new TextEncoder().encode(JSON.stringify(header));
            const file = new Uint8Array(8 + json.byteLength + dataBytes);
            new DataView(file.buffer).setBigUint64(0, BigInt(json.byteLength), true);
            file.set(json, 8);
            return readSafetensors(bytesSource('model.safetensors', file));
          }),
      ),
    );
  });
});

describe('metadata files', () => {
  it('label dicts of any text', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.constant(`${' '.repeat(20_000)}x`)), (text) =>
        expectParsesOrRejects('label dict: any text', () => parseLabelDict(text)),
      ),
    ),
  );
});

describe('whole conversions of mutated checkpoint folders', () => {
  const cases = [
    ['bert-base', 'model.safetensors'],
    ['bert-base', 'config.json'],
    ['bert-token-cls', 'pytorch_model.bin'],
    ['bert-qa', 'pytorch_model.bin'],
    ['bert-seq-cls', 'model.safetensors.index.json'],
    ['distilbert-qa', 'model.pth.tar'],
  ] as const;
  const folders = new Map(cases.map(([name]) => [name, fixtureFiles(name)]));

  it('mutate one file, convert to fp32', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(fc.constantFrom(...cases), mutationsArb, ([name, file], mutations) =>
        expectParsesOrRejects(
          'convertFiles: mutated folder',
          () => {
            const files = new Map(folders.get(name));
            files.set(file, mutate(files.get(file) as Uint8Array, mutations));
            return convertFiles(files, { dtypes: ['fp32'] });
          },
          FOLDER_CODES,
        ),
      ),
      FUZZ_CONVERSION_RUNS,
    ),
  );

  it('mutated sentence-transformers module files (LaBSE layout)', { timeout: PROPERTY_TIMEOUT }, () => {
    const labse = hubRepoFiles('sentence-transformers/LaBSE');
    labse.delete('pytorch_model.bin'); // one encoder weights file is enough here
    const targets = [
      'modules.json',
      '1_Pooling/config.json',
      '2_Dense/config.json',
      '2_Dense/pytorch_model.bin',
    ] as const;
    return check(
      fc.asyncProperty(fc.constantFrom(...targets), mutationsArb, (file, mutations) =>
        expectParsesOrRejects(
          'convertFiles: mutated ST modules',
          () => {
            const files = new Map(labse);
            files.set(file, mutate(files.get(file) as Uint8Array, mutations));
            return convertFiles(files, { dtypes: ['fp32'] });
          },
          FOLDER_CODES,
        ),
      ),
      FUZZ_CONVERSION_RUNS,
    );
  });

  it('any JSON merged into config.json', { timeout: PROPERTY_TIMEOUT }, () =>
    check(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'architectures',
            'model_type',
            'hidden_act',
            'vocab_size',
            'hidden_size',
            'num_attention_heads',
            'num_hidden_layers',
            'id2label',
            'layer_norm_eps',
            'constructor',
            '__proto__',
          ),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (patch) =>
          expectParsesOrRejects(
            'convertFiles: config.json values',
            async () => {
              const files = new Map(folders.get('bert-base'));
              const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
              files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, ...patch })));
              const folder = await openCheckpoint(memoryFileSet('fuzz', files));
              if (!folder.config) throw new Error('config.json was not read');
              return convertFiles(files, { dtypes: ['fp32'] });
            },
            FOLDER_CODES,
          ),
      ),
      FUZZ_CONVERSION_RUNS,
    ),
  );
});
