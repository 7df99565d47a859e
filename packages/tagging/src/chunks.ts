/**
 * Chunking a tag sequence into entity spans with seqeval's rules (default mode), which read BIO,
 * BIOES and IO alike and give ill-formed sequences a sane meaning: an `I-X` after `O` or after
 * another type starts an entity, a type change ends one, `E-`/`S-` close one.
 */

/**
 * One entity span over word positions, `first` and `last` inclusive.
 *
 * @example
 * ```ts
 * const [chunk] = chunkSpans(['B', 'I'], ['PER', 'PER']); // { type: 'PER', first: 0, last: 1 }
 * ```
 */
export interface Chunk {
  readonly type: string;
  readonly first: number;
  readonly last: number;
}

/**
 * Entity spans of a sequence of (prefix, type) pairs, exactly as seqeval's `get_entities`
 * (prefix is `B`, `I`, `E`, `S` or `O`; `O` has no type).
 *
 * @example
 * ```ts
 * chunkSpans(['B', 'I', 'O', 'I'], ['PER', 'PER', '', 'LOC']);
 * // [{ type: 'PER', first: 0, last: 1 }, { type: 'LOC', first: 3, last: 3 }]
 * ```
 */
export function chunkSpans(prefixes: readonly string[], types: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let prevPrefix = 'O';
  let prevType = '';
  let begin = 0;
  const n = prefixes.length;
  for (let i = 0; i <= n; i++) {
    // A final `O` flushes the last open chunk (seqeval appends one).
    const prefix = i < n ? (prefixes[i] as string) : 'O';
    const type = i < n ? (types[i] as string) : '';
    if (endsChunk(prevPrefix, prefix, prevType, type)) chunks.push({ type: prevType, first: begin, last: i - 1 });
    if (startsChunk(prevPrefix, prefix, prevType, type)) begin = i;
    prevPrefix = prefix;
    prevType = type;
  }
  return chunks;
}

function endsChunk(prev: string, tag: string, prevType: string, type: string): boolean {
  if (prev === 'E' || prev === 'S') return true;
  if ((prev === 'B' || prev === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prev !== 'O' && prev !== '.' && prevType !== type;
}

function startsChunk(prev: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prev === 'E' || prev === 'S' || prev === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}
