/**
 * Offsets for tokens produced by @huggingface/tokenizers, which returns token strings but no
 * offsets. Each token is turned back into the text it stands for (byte-level BPE bytes decoded as
 * UTF-8, the Metaspace `▁` as a space, the WordPiece `##` dropped) and its characters are matched,
 * in order, against the input after a lenient fold (lowercase, compatibility decomposition, marks
 * removed), so normalization done by the tokenizer does not break the alignment.
 *
 * This is an alignment, not a replay of the normalizer: for ordinary text it gives Hugging Face's
 * offsets (trimmed of surrounding spaces); a token whose text is not found (an unknown token) spans
 * the gap between its neighbours. Offsets are always in bounds and non-decreasing.
 */

/** How token strings encode their text. */
export type SurfaceStyle = 'byte-level' | 'metaspace' | 'wordpiece' | 'plain';

/** GPT-2's byte <-> printable character table used by byte-level BPE. */
function byteLevelDecoder(): Map<number, number> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n);
      n++;
    }
  }
  const map = new Map<number, number>();
  for (let i = 0; i < bytes.length; i++) map.set(chars[i] as number, bytes[i] as number);
  return map;
}

let byteDecoder: Map<number, number> | undefined;

const MARK_RE = /\p{M}/gu;
const SPACE_RE = /^\s$/u;
const foldCache = new Map<string, string>();

/** Lenient comparison form of one character. */
function fold(ch: string): string {
  let f = foldCache.get(ch);
  if (f === undefined) {
    f = ch.toLowerCase().normalize('NFKD').replace(MARK_RE, '');
    if (foldCache.size < 100_000) foldCache.set(ch, f);
  }
  return f;
}

interface SurfaceChar {
  readonly ch: string;
  readonly firstToken: number;
  readonly lastToken: number;
}

/** Characters of the tokens' text, each with the token(s) it belongs to. */
function surfaceChars(tokens: readonly string[], skip: readonly boolean[], style: SurfaceStyle): SurfaceChar[] {
  const out: SurfaceChar[] = [];
  const pushText = (text: string, token: number) => {
    for (const c of text) for (const f of fold(c)) out.push({ ch: f, firstToken: token, lastToken: token });
  };
  if (style !== 'byte-level') {
    tokens.forEach((token, t) => {
      if (skip[t]) return;
      let text = token;
      if (style === 'metaspace') text = text.replaceAll('\u2581', ' ');
      else if (style === 'wordpiece' && text.startsWith('##')) text = text.slice(2);
      pushText(text, t);
    });
    return out;
  }
  byteDecoder ??= byteLevelDecoder();
  const decoder = byteDecoder;
  // Concatenate all bytes with their token, then decode UTF-8 so a character split across tokens
  // belongs to every token holding one of its bytes.
  const bytes: number[] = [];
  const owners: number[] = [];
  tokens.forEach((token, t) => {
    if (skip[t]) return;
    for (const c of token) {
      const b = decoder.get(c.codePointAt(0) as number);
      if (b === undefined) {
        // Not a byte-level character (an added token): use its UTF-8 bytes.
        for (const x of new TextEncoder().encode(c)) {
          bytes.push(x);
          owners.push(t);
        }
      } else {
        bytes.push(b);
        owners.push(t);
      }
    }
  });
  const decoderUtf8 = new TextDecoder('utf-8', { fatal: false });
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    const end = Math.min(bytes.length, i + len);
    const text = decoderUtf8.decode(new Uint8Array(bytes.slice(i, end)));
    for (const c of text) {
      for (const f of fold(c))
        out.push({ ch: f, firstToken: owners[i] as number, lastToken: owners[end - 1] as number });
    }
    i = end;
  }
  return out;
}

/** Tokens (not unknown) whose text is only whitespace once decoded. */
function surfaceIsBlank(tokens: readonly string[], unknown: readonly boolean[], style: SurfaceStyle): boolean[] {
  return tokens.map((token, t) => {
    if (unknown[t]) return false;
    const text =
      style === 'byte-level'
        ? token.replaceAll('\u0120', ' ').replaceAll('\u010a', '\n').replaceAll('\u0109', '\t')
        : token.replaceAll('\u2581', ' ');
    return /^\s*$/u.test(text);
  });
}

/**
 * `[start, end)` offsets (UTF-16 units of `text`) for each token.
 *
 * @param unknown true for tokens that stand for text they do not spell (the unknown token).
 */
export function alignTokenOffsets(
  text: string,
  tokens: readonly string[],
  unknown: readonly boolean[],
  style: SurfaceStyle,
): [number, number][] {
  const original: { ch: string; start: number; end: number }[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const c = text.slice(i, i + width);
    if (!SPACE_RE.test(c)) for (const f of fold(c)) original.push({ ch: f, start: i, end: i + width });
    i += width;
  }
  const starts = new Array<number>(tokens.length).fill(-1);
  const ends = new Array<number>(tokens.length).fill(-1);
  const WINDOW = 64;
  let p = 0;
  for (const sc of surfaceChars(tokens, unknown, style)) {
    if (SPACE_RE.test(sc.ch) || sc.ch === '') continue;
    const limit = Math.min(original.length, p + WINDOW);
    let q = p;
    while (q < limit && original[q]?.ch !== sc.ch) q++;
    if (q >= limit) continue;
    const o = original[q] as { start: number; end: number };
    for (let t = sc.firstToken; t <= sc.lastToken; t++) {
      if ((starts[t] as number) < 0) starts[t] = o.start;
      ends[t] = Math.max(ends[t] as number, o.end);
    }
    p = q + 1;
  }
  // Tokens with no matched character: a token that spells only whitespace (a lone `Ġ` or `▁`) gets
  // an empty range where the next text starts (trimmed, like Hugging Face's trim_offsets); any
  // other (an unknown token) spans the gap between its neighbours. Then force monotonicity.
  const blank = surfaceIsBlank(tokens, unknown, style);
  const offsets: [number, number][] = [];
  let prevEnd = 0;
  for (let t = 0; t < tokens.length; t++) {
    let s = starts[t] as number;
    let e = ends[t] as number;
    if (s < 0) {
      let next = text.length;
      for (let u = t + 1; u < tokens.length; u++) {
        if ((starts[u] as number) >= 0) {
          next = starts[u] as number;
          break;
        }
      }
      s = prevEnd;
      e = Math.max(prevEnd, next);
      while (s < e && SPACE_RE.test(text[s] as string)) s++;
      if (blank[t]) e = s;
      while (e > s && SPACE_RE.test(text[e - 1] as string)) e--;
    }
    if (s < (offsets[t - 1]?.[0] ?? 0)) s = offsets[t - 1]?.[0] ?? 0;
    if (e < s) e = s;
    offsets.push([s, e]);
    prevEnd = Math.max(prevEnd, e);
  }
  return offsets;
}
