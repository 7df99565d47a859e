/** File names inside a model folder: validation, normalization and drag-and-drop root detection. */

import { BertwebError } from '../errors.js';

/**
 * Normalizes a model-folder file name (`onnx\\model.onnx`, `./config.json`) to the canonical
 * `/`-separated relative form. Names that climb out of the folder (`..`), absolute paths and empty
 * names are rejected with `INPUT_INVALID`: a model folder never needs them, and allowing them would
 * let a name read files outside the folder.
 */
export function normalizeFileName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new BertwebError('INPUT_INVALID', 'a model file name must be a non-empty string', { name });
  }
  const parts = name.replace(/\\/g, '/').split('/');
  const kept: string[] = [];
  for (const [index, part] of parts.entries()) {
    if (part === '' && index === 0 && parts.length > 1) {
      throw new BertwebError('INPUT_INVALID', `model file names are relative to the model folder: "${name}"`, {
        name,
      });
    }
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new BertwebError('INPUT_INVALID', `model file names may not leave the model folder: "${name}"`, { name });
    }
    kept.push(part);
  }
  if (kept.length === 0) throw new BertwebError('INPUT_INVALID', `not a file name: "${name}"`, { name });
  return kept.join('/');
}

/** A file name as a URL path: each segment percent-encoded, the `/` separators kept. */
export function fileNameToUrlPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Files whose presence marks the root of a model folder (DESIGN.md layout). */
const ROOT_MARKERS = new Set(['config.json', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json']);

/**
 * The folder prefix (with trailing `/`, or `''`) that drag-and-drop put in front of every name, found
 * as the folder of the shallowest root marker (`config.json`, `tokenizer.json`, ...). Dropping the
 * folder `mymodel` yields `mymodel/config.json`, `mymodel/onnx/model.onnx`: the prefix is `mymodel/`.
 * Without a marker, or when some name lies outside that folder, nothing is stripped (`onnx/model.onnx`
 * next to `1_Pooling/config.json` must stay as it is).
 */
export function detectDroppedRoot(names: readonly string[]): string {
  let best: string | undefined;
  for (const name of names) {
    const slash = name.lastIndexOf('/');
    const base = name.slice(slash + 1);
    if (!ROOT_MARKERS.has(base)) continue;
    const prefix = name.slice(0, slash + 1);
    if (best === undefined || prefix.split('/').length < best.split('/').length) best = prefix;
  }
  if (best === undefined || best === '') return '';
  const prefix = best;
  return names.every((name) => name.startsWith(prefix)) ? prefix : '';
}
