/** RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes) and the STS-B pair format. */
import { BertwebError } from '@bertweb/core';

/**
 * Parses CSV text into rows of fields. A trailing newline does not make an empty row.
 *
 * @example
 * ```ts
 * parseCsv('a,"b ""c"", d"\n'); // [['a', 'b "c", d']]
 * ```
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      endRow();
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new BertwebError('INPUT_INVALID', 'CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * One STS pair with its gold similarity (0-5 in STS-B).
 *
 * @example
 * ```ts
 * const [{ sentence1, sentence2, score }]: StsPair[] = parseStsCsv(csvText);
 * ```
 */
export interface StsPair {
  readonly sentence1: string;
  readonly sentence2: string;
  readonly score: number;
}

/**
 * Reads `sentence1,sentence2,score` rows (an optional header row whose score field is not a number is
 * skipped; blank lines are ignored).
 *
 * @example
 * ```ts
 * parseStsCsv('"A man, a hat.",A man.,4.5\n'); // [{sentence1: 'A man, a hat.', sentence2: 'A man.', score: 4.5}]
 * ```
 */
export function parseStsCsv(text: string): StsPair[] {
  const pairs: StsPair[] = [];
  parseCsv(text).forEach((fields, index) => {
    if (fields.length === 1 && fields[0] === '') return;
    if (fields.length !== 3) {
      throw new BertwebError('INPUT_INVALID', `STS row ${index + 1} has ${fields.length} fields, expected 3`);
    }
    const [sentence1, sentence2, raw] = fields as [string, string, string];
    const score = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(score)) {
      if (index === 0) return; // header
      throw new BertwebError('INPUT_INVALID', `STS row ${index + 1} has a non-numeric score ${JSON.stringify(raw)}`);
    }
    pairs.push({ sentence1, sentence2, score });
  });
  return pairs;
}
