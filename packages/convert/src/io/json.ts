import { BertwebError } from '../core.js';
import { type ByteSource, readText } from './byte-source.js';

/** Metadata files (config.json, index files, module configs) larger than this are refused unread. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Nesting a metadata file may have. Real configs need 3 levels (`task_specific_params`); the limit keeps
 * `JSON.stringify` and every later reader, which recurse, far from the call-stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/** Depth of a parsed JSON value (iterative: JSON.parse accepts nesting that recursion would not survive). */
function depthExceeds(root: unknown, limit: number): boolean {
  const todo: [unknown, number][] = [[root, 1]];
  while (todo.length > 0) {
    const [value, depth] = todo.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) todo.push([child, depth + 1]);
  }
  return false;
}

/**
 * Parses JSON text from a model file: `MODEL_INVALID` naming the file when it is not JSON or nests deeper
 * than {@link MAX_JSON_DEPTH}.
 *
 * @example
 * ```ts
 * const config = parseJsonFile(text, 'config.json'); // unknown
 * ```
 */
export function parseJsonFile(text: string, name: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BertwebError('MODEL_INVALID', `${name} is not JSON`, { file: name });
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw new BertwebError('MODEL_INVALID', `${name} nests deeper than ${MAX_JSON_DEPTH} levels`, { file: name });
  }
  return value;
}

/**
 * Like {@link parseJsonFile}, and the value must be a JSON object.
 *
 * @example
 * ```ts
 * const config = parseJsonObject(text, 'config.json'); // Record<string, unknown>
 * ```
 */
export function parseJsonObject(text: string, name: string): Record<string, unknown> {
  const value = parseJsonFile(text, name);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BertwebError('MODEL_INVALID', `${name} must be a JSON object`, { file: name });
  }
  return value as Record<string, unknown>;
}

/**
 * Reads and parses a JSON object from a source, refusing files over {@link MAX_JSON_BYTES} before reading.
 *
 * @example
 * ```ts
 * const index = await readJsonObject(await files.open('model.safetensors.index.json'));
 * ```
 */
export async function readJsonObject(source: ByteSource): Promise<Record<string, unknown>> {
  if (source.size > MAX_JSON_BYTES) {
    throw new BertwebError('MODEL_INVALID', `${source.name} is ${source.size} bytes: too large for a metadata file`, {
      file: source.name,
    });
  }
  return parseJsonObject(await readText(source), source.name);
}
