import { readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { unpackArchive } from '../convert-files.js';
import { bytesSource, readAll } from '../io/byte-source.js';
import { FIXTURES } from '../test-utils/fixtures.js';
import { extractTar } from './tar.js';
import { openZipEntry, readZipDirectory } from './zip.js';

function tarHeader(name: string, size: number, type = '0'): Uint8Array {
  const header = new Uint8Array(512);
  const text = new TextEncoder();
  header.set(text.encode(name.slice(0, 100)), 0);
  header.set(text.encode('0000644\0'), 100);
  header.set(text.encode(`${size.toString(8).padStart(11, '0')}\0`), 124);
  header.set(text.encode('00000000000\0'), 136);
  header[156] = type.charCodeAt(0);
  header.set(text.encode('ustar\0'), 257);
  header.set(text.encode('00'), 263);
  header.fill(32, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  header.set(text.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return header;
}

function tar(entries: [string, Uint8Array, string?][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data, type] of entries) {
    parts.push(tarHeader(name, data.byteLength, type), data, new Uint8Array((512 - (data.byteLength % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

const stream = (bytes: Uint8Array, chunk = 700) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.byteLength; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
      controller.close();
    },
  });

describe('tar', () => {
  it('unpacks the DeepPavlov fixture (gzip, GNU format) with member contents intact', async () => {
    const files = await unpackArchive(new Blob([readFileSync(path.join(FIXTURES, 'deeppavlov-ner.tar.gz'))]));
    expect([...files.keys()].sort()).toEqual([
      'ner_fixture_bert_torch/model.pth.tar',
      'ner_fixture_bert_torch/model_crf.pth.tar',
      'ner_fixture_bert_torch/tag.dict',
    ]);
    expect(await files.get('ner_fixture_bert_torch/tag.dict')?.text()).toMatch(/^O\t100\nB-PER\t93\n/);
  });

  it('handles GNU long names, skips directories, streams across chunk borders', async () => {
    const long = `${'d'.repeat(120)}/weights.bin`;
    const data = Uint8Array.from({ length: 1500 }, (_, i) => i % 251);
    const archive = tar([
      ['dir/', new Uint8Array(0), '5'],
      ['././@LongLink', new TextEncoder().encode(`${long}\0`), 'L'],
      ['truncated-name', data],
    ]);
    const seen = new Map<string, Uint8Array[]>();
    await extractTar(stream(archive), {
      file: (name) => {
        const parts: Uint8Array[] = [];
        seen.set(name, parts);
        return { write: (c) => void parts.push(c), close: () => undefined };
      },
    });
    expect([...seen.keys()]).toEqual([long]);
    expect(new Uint8Array(await new Blob(seen.get(long) as BlobPart[]).arrayBuffer())).toEqual(data);
  });

  it('rejects bad checksums and truncation', async () => {
    const archive = tar([['a.txt', new Uint8Array(600)]]);
    const bad = archive.slice();
    bad[0] = 0x41;
    const sink = { file: () => ({ write: () => undefined, close: () => undefined }) };
    await expect(extractTar(stream(bad), sink)).rejects.toThrow(/checksum/);
    await expect(extractTar(stream(archive.subarray(0, 900)), sink)).rejects.toThrow(/truncated/);
  });
});

describe('zip', () => {
  it('reads stored members in place and inflates deflated ones', async () => {
    const text = new TextEncoder().encode('hello '.repeat(100));
    const zip = zipSync({ 'a/stored.txt': [text, { level: 0 }], 'a/deflated.txt': [text, { level: 9 }] });
    const source = bytesSource('t.zip', zip);
    const entries = await readZipDirectory(source);
    expect(entries.map((e) => [e.name, e.method])).toEqual([
      ['a/stored.txt', 0],
      ['a/deflated.txt', 8],
    ]);
    for (const entry of entries) expect(await readAll(await openZipEntry(source, entry))).toEqual(text);
  });

  it('finds the central directory behind a trailing comment and rejects a cut archive', async () => {
    const plain = zipSync({ 'x.bin': new Uint8Array(10) });
    // append a 500-byte archive comment (the EOCD record ends with its length)
    const zip = new Uint8Array(plain.byteLength + 500).fill(0x63);
    zip.set(plain);
    new DataView(zip.buffer).setUint16(plain.byteLength - 2, 500, true);
    expect((await readZipDirectory(bytesSource('t.zip', zip))).map((e) => e.name)).toEqual(['x.bin']);
    await expect(readZipDirectory(bytesSource('t.zip', zip.subarray(0, 40)))).rejects.toThrow(/truncated or not a zip/);
  });
});
