/** Self-repairing reads: a model file that fails to validate is discarded and fetched once more. */

import { BertwebError, toBertwebError } from '../errors.js';
import { type DiscardedFile, suspectFilesOf, TrackedFiles } from './files/tracked-files.js';
import type { ModelFiles } from './types.js';

/** The first failure of a repaired read and what it discarded. */
interface Repair {
  readonly error: BertwebError;
  readonly discarded: readonly DiscardedFile[];
}

/**
 * Runs `read` over the files of a model so that a damaged copy cannot stick: when `read` fails with an
 * error that {@link TrackedFiles.check} blamed on files (they did not parse or validate), the copies of
 * those files that nothing vouches for (cached or downloaded without a verified sha256) are discarded,
 * from the cache too, and `read` runs once more; only the discarded files are fetched again, everything
 * else comes from the first attempt. When nothing could be discarded (local files, verified ones), the
 * error is final at once. When `read` fails for good, whatever it downloaded without a sha256 and
 * had not validated yet (a part cancelled by another's failure) is discarded as well, so the cache
 * keeps only verified or validated files. A failure after a repair is discarded again (the cache never
 * keeps a file known to be bad) and reported with `details.refetched` (file names), `details.discarded`
 * (`{file, copy}`) and `details.firstError`; its message says what was discarded and re-fetched.
 *
 * @example
 * ```ts
 * const info = await readWithRepair(resolveSource(url), (tracked) =>
 *   tracked.check(['config'], async () => parseModelConfig(await tracked.part('config').json('config.json'))),
 * );
 * ```
 */
export async function readWithRepair<T>(files: ModelFiles, read: (tracked: TrackedFiles) => Promise<T>): Promise<T> {
  const tracked = new TrackedFiles(files);
  let repair: Repair | undefined;
  for (;;) {
    tracked.resetParts();
    try {
      return await read(tracked);
    } catch (error) {
      // Not a failure of these files (e.g. "no ONNX file: convert the checkpoint"): nothing to repair or drop.
      if ((error as { keepsFiles?: unknown }).keepsFiles === true) throw error;
      const blamed = suspectFilesOf(error);
      if (repair) {
        if (blamed) await tracked.evict(blamed).catch(() => []);
        await tracked.discardUnvalidated().catch(() => []);
        throw afterRepair(error, repair);
      }
      const discarded = blamed ? await tracked.evict(blamed).catch(() => []) : [];
      if (discarded.length === 0) {
        // Clean-up is best effort: the caller needs the failure, not a clean-up's.
        await tracked.discardUnvalidated().catch(() => []);
        throw error;
      }
      repair = { error: error as BertwebError, discarded };
    }
  }
}

/** The final error of a read that was repaired once, saying so. */
function afterRepair(error: unknown, repair: Repair): BertwebError {
  const coded = toBertwebError(error, 'MODEL_INVALID');
  if (coded.code === 'ABORTED') return coded;
  const files = repair.discarded.map((d) => d.file);
  const copies = describeCopies(repair.discarded);
  const message =
    suspectFilesOf(error) !== undefined
      ? `${coded.message} (${copies} failed to validate before, so ${plural(files, 'it was', 'they were')} discarded and re-fetched; the fresh ${plural(files, 'copy', 'copies')} failed too)`
      : `${coded.message} (while re-fetching ${files.join(', ')}: ${copies} failed to validate and ${plural(files, 'was', 'were')} discarded: ${repair.error.message})`;
  return new BertwebError(
    coded.code,
    message,
    {
      ...coded.details,
      refetched: files,
      discarded: repair.discarded,
      firstError: { code: repair.error.code, message: repair.error.message, details: repair.error.details },
    },
    { cause: coded },
  );
}

/** `the cached copy of config.json`, `the cached copies of vocab.txt and the downloaded copy of x.json`. */
function describeCopies(discarded: readonly DiscardedFile[]): string {
  const groups: string[] = [];
  for (const copy of ['cached', 'downloaded'] as const) {
    const names = discarded.filter((d) => d.copy === copy).map((d) => d.file);
    if (names.length > 0) groups.push(`the ${copy} ${plural(names, 'copy', 'copies')} of ${names.join(', ')}`);
  }
  return groups.join(' and ');
}

function plural(items: readonly unknown[], one: string, many: string): string {
  return items.length === 1 ? one : many;
}
