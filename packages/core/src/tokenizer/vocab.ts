/**
 * WordPiece vocabularies: parsing `vocab.txt` and tokenizer.json `model.vocab` into the lookup
 * structures the encoder's hot loop uses.
 *
 * Two {@link TokenTable}s share one pool of code units: one holds every token (word-initial pieces),
 * the other the continuation pieces keyed WITHOUT their `##` prefix, so a continuation lookup never
 * builds `'##' + piece`. Loading is one pass over the tokens; memory is flat typed arrays plus the
 * id -> token strings, nothing per character.
 */

import { BertwebError } from '../errors.js';
import { FNV_OFFSET, FNV_PRIME, TokenTable } from './token-table.js';

/**
 * A WordPiece vocabulary with its lookup tables.
 *
 * @example
 * ```ts
 * const vocab: Vocab = parseVocabTxt(vocabText);
 * vocab.get('[CLS]'); // 101
 * ```
 */
export interface Vocab {
  /** id -> token (holes are `undefined`). */
  readonly idToToken: readonly (string | undefined)[];
  /** Every token. */
  readonly initial: TokenTable;
  /** Tokens that start with the prefix, keyed without it. */
  readonly continuation: TokenTable;
  readonly continuingSubwordPrefix: string;
  /** Largest id + 1. */
  readonly size: number;
  /** Id of a token, or undefined. */
  get(token: string): number | undefined;
}

/** Builds the tables from `idToToken`; calls `onDuplicate` for a token seen twice. */
function buildVocab(
  idToToken: (string | undefined)[],
  count: number,
  prefix: string,
  onDuplicate: (token: string, first: number, second: number) => never,
): Vocab {
  let units = 0;
  for (const token of idToToken) if (token !== undefined) units += token.length;
  const pool = new Uint16Array(units);
  const initial = new TokenTable(pool, count);
  let continuationCount = 0;
  if (prefix !== '') for (const token of idToToken) if (token?.startsWith(prefix)) continuationCount++;
  const continuation = new TokenTable(pool, continuationCount);
  const plen = prefix.length;
  let offset = 0;
  for (let id = 0; id < idToToken.length; id++) {
    const token = idToToken[id];
    if (token === undefined) continue;
    const n = token.length;
    let h = FNV_OFFSET;
    for (let j = 0; j < n; j++) {
      const c = token.charCodeAt(j);
      pool[offset + j] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const existing = initial.insert(offset, n, h, id);
    if (existing >= 0) onDuplicate(token, existing, id);
    if (plen > 0 && n >= plen && token.startsWith(prefix)) {
      let hc = FNV_OFFSET;
      for (let j = plen; j < n; j++) hc = Math.imul(hc ^ token.charCodeAt(j), FNV_PRIME);
      continuation.insert(offset + plen, n - plen, hc, id);
    }
    offset += n;
  }
  return {
    idToToken,
    initial,
    continuation,
    continuingSubwordPrefix: prefix,
    size: idToToken.length,
    get(token: string) {
      const id = initial.get(token);
      return id < 0 ? undefined : id;
    },
  };
}

/**
 * Parses `vocab.txt`: one token per line, the line number is the id (`\n` or `\r\n` line ends; a
 * final newline does not add a token).
 *
 * @throws BertwebError `TOKENIZER_MISMATCH` when the file is empty or a token appears twice.
 * @example
 * ```ts
 * const vocab = parseVocabTxt('[PAD]\n[UNK]\nhello\n##s\n');
 * vocab.get('hello'); // 2
 * ```
 */
export function parseVocabTxt(text: string, continuingSubwordPrefix = '##'): Vocab {
  if (typeof text !== 'string') throw new BertwebError('TOKENIZER_MISMATCH', 'vocab.txt must be text');
  const lines: (string | undefined)[] = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new BertwebError('TOKENIZER_MISMATCH', 'vocab.txt is empty');
  for (let id = 0; id < lines.length; id++) {
    const token = lines[id] as string;
    if (token.charCodeAt(token.length - 1) === 13) lines[id] = token.slice(0, -1);
  }
  return buildVocab(lines, lines.length, continuingSubwordPrefix, (token, first, second) => {
    throw new BertwebError(
      'TOKENIZER_MISMATCH',
      `vocab.txt lists the token ${JSON.stringify(token)} twice (lines ${first + 1} and ${second + 1})`,
      { token, ids: [first, second] },
    );
  });
}

/**
 * Builds a vocabulary from tokenizer.json's `model.vocab` object (`{token: id}`).
 *
 * @throws BertwebError `TOKENIZER_MISMATCH` when it is not an object of non-negative integer ids,
 *   is empty, gives two tokens the same id, or has a sparse id space.
 * @example
 * ```ts
 * const vocab = vocabFromObject({ '[UNK]': 0, hello: 1, '##s': 2 });
 * vocab.idToToken[1]; // 'hello'
 * ```
 */
export function vocabFromObject(vocab: unknown, continuingSubwordPrefix = '##'): Vocab {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json model.vocab must be an object of token -> id');
  }
  const record = vocab as Record<string, unknown>;
  const tokens: string[] = [];
  const ids: number[] = [];
  let maxId = -1;
  for (const token in record) {
    const id = record[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new BertwebError('TOKENIZER_MISMATCH', `vocab id of ${JSON.stringify(token)} is not a valid id`, {
        token,
        id,
      });
    }
    tokens.push(token);
    ids.push(id);
    if (id > maxId) maxId = id;
  }
  if (tokens.length === 0) throw new BertwebError('TOKENIZER_MISMATCH', 'tokenizer.json model.vocab is empty');
  // Ids index an embedding matrix: a few holes are tolerated, a sparse id space is a broken file.
  if (maxId >= 2 * tokens.length + 1024) {
    throw new BertwebError('TOKENIZER_MISMATCH', `vocab ids are sparse (largest ${maxId} for ${tokens.length} tokens)`);
  }
  const idToToken: (string | undefined)[] = new Array(maxId + 1).fill(undefined);
  for (let k = 0; k < tokens.length; k++) {
    const id = ids[k] as number;
    const other = idToToken[id];
    if (other !== undefined) {
      throw new BertwebError(
        'TOKENIZER_MISMATCH',
        `vocab gives id ${id} to two tokens (${JSON.stringify(other)} and ${JSON.stringify(tokens[k])})`,
        { id, tokens: [other, tokens[k]] },
      );
    }
    idToToken[id] = tokens[k];
  }
  return buildVocab(idToToken, tokens.length, continuingSubwordPrefix, (token) => {
    // JSON object keys are unique, so this only happens for keys equal after parsing.
    throw new BertwebError('TOKENIZER_MISMATCH', `vocab lists ${JSON.stringify(token)} twice`);
  });
}
