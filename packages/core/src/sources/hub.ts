/** Hugging Face hub ids and file URLs. */

import { env } from '../env.js';
import { BertwebError } from '../errors.js';
import { fileNameToUrlPath } from './names.js';
import { readEnv } from './platform.js';

/** The public hub, used when neither an option, `env.hubBaseUrl` nor the environment names another. */
export const DEFAULT_HUB_BASE_URL = 'https://huggingface.co';
/** Environment variable (Node) that names a hub mirror: `BERTWEB_HUB_BASE_URL=https://hf-mirror.example`. */
export const HUB_BASE_URL_ENV = 'BERTWEB_HUB_BASE_URL';
/**
 * A hub repo at a revision.
 *
 * @example
 * ```ts
 * const ref: HubRef = { repo: 'owner/model', revision: 'main', baseUrl: 'https://huggingface.co' };
 * ```
 */
export interface HubRef {
  /** `owner/name` (or a legacy id without an owner, `bert-base-uncased`). */
  readonly repo: string;
  readonly revision: string;
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
}

/** `owner/name`: hub naming (letters, digits, `-`, `_`, `.`; neither part starts with `.` or `-`). */
const HUB_REPO = /^[A-Za-z0-9_][\w.-]*\/[A-Za-z0-9_][\w.-]*$/;
/** A legacy id without an owner (`bert-base-uncased`): the hub still serves these, and DeepPavlov configs name them. */
const OWNERLESS_REPO = /^[A-Za-z0-9_][\w.-]*$/;

/**
 * Splits `owner/name` or `owner/name@revision` (revisions may contain `/`, as in `refs/pr/1`).
 * Returns `undefined` when the string is not shaped like a hub id. With `ownerless`, a legacy id
 * without an owner (`bert-base-uncased`) is one too (the explicit `{ hub }` source form accepts them; a
 * bare string of that shape stays a local path).
 *
 * @example
 * ```ts
 * parseHubId('DeepPavlov/rubert-base-cased@v1'); // { repo: 'DeepPavlov/rubert-base-cased', revision: 'v1' }
 * parseHubId('bert-base-uncased', { ownerless: true }); // { repo: 'bert-base-uncased' }
 * ```
 */
export function parseHubId(
  id: string,
  options: { readonly ownerless?: boolean } = {},
): { readonly repo: string; readonly revision?: string } | undefined {
  const at = id.indexOf('@');
  const repo = at < 0 ? id : id.slice(0, at);
  const revision = at < 0 ? undefined : id.slice(at + 1);
  const shaped = HUB_REPO.test(repo) || (options.ownerless === true && OWNERLESS_REPO.test(repo));
  if (!shaped || repo.endsWith('.git')) return undefined;
  if (revision !== undefined) return revision === '' ? undefined : { repo, revision };
  return { repo };
}

/**
 * The hub base URL to use: explicit value, else `env.hubBaseUrl`, else `$BERTWEB_HUB_BASE_URL` (Node),
 * else {@link DEFAULT_HUB_BASE_URL}; without a trailing slash.
 *
 * @example
 * ```ts
 * hubBaseUrl('http://127.0.0.1:8080/'); // 'http://127.0.0.1:8080'
 * ```
 */
export function hubBaseUrl(explicit?: string): string {
  const base = explicit ?? env.hubBaseUrl ?? readEnv(HUB_BASE_URL_ENV) ?? DEFAULT_HUB_BASE_URL;
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new BertwebError('INPUT_INVALID', `hub base URL must be an http(s) URL, got "${base}"`, { baseUrl: base });
  }
  return base.replace(/\/+$/, '');
}

/**
 * URL of one file of a hub repo: `${baseUrl}/${repo}/resolve/${revision}/${file}` (the revision
 * percent-encoded as a single segment, as the hub expects for `refs/pr/1`).
 *
 * @example
 * ```ts
 * hubFileUrl({ repo: 'owner/model', revision: 'main', baseUrl: 'https://huggingface.co' }, 'onnx/model.onnx');
 * // 'https://huggingface.co/owner/model/resolve/main/onnx/model.onnx'
 * ```
 */
export function hubFileUrl(ref: HubRef, file: string): string {
  return `${ref.baseUrl}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${fileNameToUrlPath(file)}`;
}
