// Issue 15 reproducer, at the CLI: a checkpoint whose pickle nests 10,000 levels deep made `bertweb
// convert` fail with `INTERNAL: Maximum call stack size exceeded`. It is MODEL_INVALID now, reported as
// the CLI reports errors (exit 1, one JSON line on stderr), with no output folder left behind. The
// readers' own regression tests are in packages/convert/src/formats/hardening.test.ts.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeZip } from '../../../convert/src/test-utils/archive-writers.js';
import { fixtureFiles } from '../../../convert/src/test-utils/fixtures.js';
import { nestedStateDict } from '../../../convert/src/test-utils/pickle-gen.js';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const scratch = mkdtempSync(join(tmpdir(), 'bertweb-cli-nested-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The bert-base checkpoint folder with its weights replaced by a torch zip whose data.pkl is `pkl`. */
function checkpointWith(pkl: Uint8Array): string {
  const dir = mkdtempSync(join(scratch, 'ckpt-'));
  const files = fixtureFiles('bert-base');
  files.delete('model.safetensors');
  files.set(
    'pytorch_model.bin',
    makeZip([
      { name: 'archive/data.pkl', data: pkl },
      { name: 'archive/byteorder', data: new TextEncoder().encode('little') },
    ]),
  );
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe('bertweb convert on a deeply nested pickle', () => {
  it.each([10_000, 100_000])('nested %i deep: exit 1, MODEL_INVALID (never INTERNAL), no output', async (depth) => {
    const from = checkpointWith(nestedStateDict(depth, 'list-append'));
    const out = join(scratch, `out-${depth}`);
    const io = memoryIO();
    expect(await runCli(['convert', '--from', from, '--out', out, '--dtype', 'fp32'], io)).toBe(1);
    const { error } = JSON.parse(io.stderr[0] as string) as { error: { code: string; message: string } };
    expect(error.code, error.message).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/nested more than \d+ deep/);
    expect(existsSync(out)).toBe(false);
  });
});
