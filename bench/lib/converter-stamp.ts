/**
 * Benchmarks generate their models once and reuse them across runs. A model converted by an older
 * @bertweb/convert would silently measure an old graph (it happened: q8 rows once timed DequantizeLinear
 * graphs after the default had moved to MatMulInteger), so each generated model folder carries a stamp of
 * the converter sources that wrote it, and is rebuilt when the stamp differs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const convertSources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/convert/src');
const STAMP_FILE = '.converter-stamp';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'test-utils' ? [] : sourceFiles(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

/** SHA-256 over the converter's non-test sources (paths and contents). */
export function converterStamp(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(convertSources)) {
    hash.update(path.relative(convertSources, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** True when every file exists in `modelDir` and the folder was written by the current converter. */
export function isCurrentModel(modelDir: string, files: readonly string[]): boolean {
  const stamp = path.join(modelDir, STAMP_FILE);
  return (
    files.every((f) => existsSync(path.join(modelDir, f))) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === converterStamp()
  );
}

/** Records that `modelDir` was just written by the current converter. */
export function markCurrentModel(modelDir: string): void {
  writeFileSync(path.join(modelDir, STAMP_FILE), converterStamp());
}
