// Issue 15 (cache poisoning without a hash) on the tagger's own file: a crf.json cached without a
// sha256 whose bytes no longer parse made every later createTagger fail with MODEL_INVALID. crf.json is
// now read with the model's files (ExtraRead), so a damaged copy is discarded and fetched once more.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryModelCache } from '../../core/src/sources/cache/memory-cache.js';
import { type ModelServer, rejection, startModelServer } from '../../core/src/sources/test-utils/index.js';
import { createTagger } from './tagger.js';

const FIXTURE = new URL('../../../models/fixtures/bert-token-cls/', import.meta.url).pathname;
const FILES: Record<string, Uint8Array> = {};
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [relative(FIXTURE, full)];
  });
for (const file of walk(FIXTURE))
  if (file !== 'reference.json') FILES[`m/${file}`] = new Uint8Array(readFileSync(join(FIXTURE, file)));
const CRF = FILES['m/crf.json'] as Uint8Array;
const OPTIONS = { backend: 'wasm', retries: 0, retryDelayMs: 1 } as const;
const TEXT = 'Anna met Vronsky in Moscow.';

let server: ModelServer;
let base: string;
beforeEach(async () => {
  server = await startModelServer({ files: FILES });
  base = `${server.url}m/`;
});
afterEach(() => server.close());

/** crf.json with its first byte flipped: same length, no longer JSON. */
function poisoned(): Uint8Array {
  const bytes = CRF.slice();
  bytes[0] = (bytes[0] as number) ^ 0xff;
  return bytes;
}

describe("the tagger's crf.json repairs itself", () => {
  it('a poisoned cached crf.json (no sha256) is discarded and fetched again; the tagger loads with its CRF', async () => {
    const cache = new MemoryModelCache();
    const first = await createTagger(base, { ...OPTIONS, cache });
    const expected = await first.tag([TEXT]);
    await first.dispose();
    await cache.put(`${base}crf.json`, poisoned());
    server.clearRequests();

    const tagger = await createTagger(base, { ...OPTIONS, cache });
    expect(tagger.crf?.transitions).toHaveLength(7);
    expect(await tagger.tag([TEXT])).toEqual(expected);
    await tagger.dispose();
    expect(server.count({ method: 'GET', path: 'm/crf.json' })).toBe(1);
    expect(Buffer.from((await cache.get(`${base}crf.json`)) ?? []).equals(Buffer.from(CRF))).toBe(true);
  });

  it('a crf.json that does not fit the labels is refetched once, then MODEL_INVALID saying so, and not cached', async () => {
    const cache = new MemoryModelCache();
    server.setFile('m/crf.json', JSON.stringify({ transitions: [[0]], start: [0], end: [0] }));
    const error = await rejection(createTagger(base, { ...OPTIONS, cache }));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/crf\.json.*discarded and re-fetched/);
    expect(error.details?.refetched).toEqual(['crf.json']);
    expect(server.count({ method: 'GET', path: 'm/crf.json' })).toBe(2);
    expect(await cache.get(`${base}crf.json`)).toBeUndefined();
  });

  it("labels given in the options that crf.json does not fit are the caller's error: no refetch", async () => {
    const labels = ['O', 'B-PER', 'I-PER'];
    const error = await rejection(createTagger(base, { ...OPTIONS, cache: false, labels }));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.details?.refetched).toBeUndefined();
    expect(server.count({ method: 'GET', path: 'm/crf.json' })).toBe(1);
  });
});
