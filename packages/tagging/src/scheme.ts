/**
 * Tag schemes: reading `B-PER`-style labels, detecting BIO / BIOES / IO from a label set, and the
 * transitions each scheme allows (used to constrain decoding).
 */

/**
 * How entity boundaries are marked in the labels. BIOES is also known as IOBES (BILOU is read as BIOES).
 *
 * @example
 * ```ts
 * const scheme: TagScheme = detectScheme(['O', 'B-PER', 'I-PER']); // 'BIO'
 * ```
 */
export type TagScheme = 'BIO' | 'BIOES' | 'IO';

/**
 * A label split into its position prefix and entity type; `O` is outside any entity.
 *
 * @example
 * ```ts
 * const tag: ParsedTag = parseTag('E-LOC'); // { prefix: 'E', type: 'LOC' }
 * ```
 */
export interface ParsedTag {
  /** B(egin), I(nside), E(nd), S(ingle) or O(utside). */
  readonly prefix: 'B' | 'I' | 'E' | 'S' | 'O';
  /** Entity type (`PER`); empty for `O`. */
  readonly type: string;
}

const PREFIXED = /^([BIESLU])[-_](.+)$/;
const BILOU_TO_BIOES: Readonly<Record<string, ParsedTag['prefix']>> = {
  B: 'B',
  I: 'I',
  E: 'E',
  S: 'S',
  L: 'E',
  U: 'S',
};

/**
 * Reads one label. `B-X`/`I-X`/`E-X`/`S-X` (also with `_`, and BILOU's `L-`/`U-` as `E-`/`S-`);
 * `O` is outside; any other label (`PER`) is an entity type without a prefix, i.e. `I-PER`.
 *
 * @example
 * ```ts
 * parseTag('B-PER'); // { prefix: 'B', type: 'PER' }
 * parseTag('U-LOC'); // { prefix: 'S', type: 'LOC' }
 * parseTag('O');     // { prefix: 'O', type: '' }
 * ```
 */
export function parseTag(label: string): ParsedTag {
  if (label === 'O' || label === '') return { prefix: 'O', type: '' };
  const match = PREFIXED.exec(label);
  if (match) return { prefix: BILOU_TO_BIOES[match[1] as string] as ParsedTag['prefix'], type: match[2] as string };
  return { prefix: 'I', type: label };
}

/**
 * The scheme a label set uses: BIOES when any label ends or singles an entity (E-, S-, L-, U-),
 * BIO when any label begins one, IO otherwise.
 *
 * @example
 * ```ts
 * detectScheme(['O', 'B-PER', 'I-PER']); // 'BIO'
 * detectScheme(['O', 'S-LOC', 'B-LOC', 'I-LOC', 'E-LOC']); // 'BIOES'
 * detectScheme(['O', 'PER', 'LOC']); // 'IO'
 * ```
 */
export function detectScheme(labels: readonly string[]): TagScheme {
  const prefixes = new Set(labels.map((l) => parseTag(l).prefix));
  if (prefixes.has('E') || prefixes.has('S')) return 'BIOES';
  if (prefixes.has('B')) return 'BIO';
  return 'IO';
}

/**
 * Reads a label set under a scheme. Under IO every prefix is ignored (a word continues the entity
 * of the previous word when the types match), so a forced `'IO'` merges `B-X B-X` into one entity.
 *
 * @example
 * ```ts
 * parseTags(['O', 'B-PER'], 'IO'); // [{ prefix: 'O', type: '' }, { prefix: 'I', type: 'PER' }]
 * ```
 */
export function parseTags(labels: readonly string[], scheme: TagScheme): ParsedTag[] {
  return labels.map((label) => {
    const tag = parseTag(label);
    return scheme === 'IO' && tag.prefix !== 'O' ? { prefix: 'I', type: tag.type } : tag;
  });
}

/**
 * Which moves a scheme allows: at the start, between consecutive words, and at the end.
 *
 * @example
 * ```ts
 * const { start } = allowedMoves(['O', 'B-PER', 'I-PER'], 'BIO'); // [true, true, false]
 * ```
 */
export interface AllowedMoves {
  /** `start[j]`: a sequence may begin with tag j. */
  readonly start: readonly boolean[];
  /** `transitions[i * n + j]`: tag j may follow tag i. */
  readonly transitions: readonly boolean[];
  /** `end[i]`: a sequence may end with tag i. */
  readonly end: readonly boolean[];
}

/**
 * The valid moves between tags under a scheme. BIO: `I-X` only after `B-X` or `I-X`. BIOES: inside an
 * entity (after `B-X`/`I-X`) only `I-X`/`E-X`; outside (start, after `O`/`E-`/`S-`) only `O`/`B-`/`S-`;
 * the text must not end inside an entity. IO: everything is allowed.
 *
 * @example
 * ```ts
 * const moves = allowedMoves(['O', 'B-PER', 'I-PER'], 'BIO');
 * moves.transitions[0 * 3 + 2]; // false: O -> I-PER
 * ```
 */
export function allowedMoves(labels: readonly string[], scheme: TagScheme): AllowedMoves {
  const tags = parseTags(labels, scheme);
  const n = tags.length;
  const start: boolean[] = tags.map((t) => canOpen(t, scheme));
  const end: boolean[] = tags.map((t) => scheme !== 'BIOES' || !isOpenInside(t));
  const transitions: boolean[] = new Array(n * n);
  for (let i = 0; i < n; i++) {
    const from = tags[i] as ParsedTag;
    for (let j = 0; j < n; j++) {
      const to = tags[j] as ParsedTag;
      transitions[i * n + j] = isAllowed(from, to, scheme);
    }
  }
  return { start, transitions, end };
}

function isOpenInside(tag: ParsedTag): boolean {
  return tag.prefix === 'B' || tag.prefix === 'I';
}

/** Whether a tag may come where no entity is open. */
function canOpen(tag: ParsedTag, scheme: TagScheme): boolean {
  if (scheme === 'IO') return true;
  if (scheme === 'BIO') return tag.prefix !== 'I';
  return tag.prefix === 'O' || tag.prefix === 'B' || tag.prefix === 'S';
}

function isAllowed(from: ParsedTag, to: ParsedTag, scheme: TagScheme): boolean {
  if (scheme === 'IO') return true;
  if (scheme === 'BIO') {
    if (to.prefix !== 'I') return true;
    return from.prefix !== 'O' && from.type === to.type;
  }
  if (isOpenInside(from)) return (to.prefix === 'I' || to.prefix === 'E') && to.type === from.type;
  return canOpen(to, scheme);
}
