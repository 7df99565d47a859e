/** sha256 digests and the hub's habit of putting a file's sha256 into its ETag. */

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Lower-case hex sha256 of `bytes`, computed with WebCrypto (`crypto.subtle`, present in browsers on
 * secure origins, in workers and in Node 20).
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('crypto.subtle is not available (an insecure http: origin?)');
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** True when `crypto.subtle.digest` can be used for verification. */
export function canDigest(): boolean {
  return typeof globalThis.crypto?.subtle?.digest === 'function';
}

/**
 * The value of an ETag-like header without the weak marker and quotes, lower-cased: `W/"AbC"` -> `abc`.
 */
export function stripEtag(value: string): string {
  return value
    .trim()
    .replace(/^W\//i, '')
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
}

/**
 * The sha256 a response announces for its body, if any. The Hugging Face hub sends the sha256 of LFS
 * files (the large ones: weights) as `X-Linked-Etag` (and as `ETag` where no redirect intervenes); small
 * git-stored files carry a 40-hex git blob id instead, which is not a sha256 and is ignored here. Only a
 * value of exactly 64 hex digits counts.
 */
export function announcedSha256(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const value = headers.get(name);
    if (value === null) continue;
    const candidate = stripEtag(value);
    if (SHA256_HEX.test(candidate)) return candidate;
  }
  return undefined;
}
