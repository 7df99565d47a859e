/**
 * Readers for NER evaluation data, from file contents (no file system access, so they run anywhere):
 * CoNLL-style `word<TAB>TAG` files and factRuEval-2016 documents.
 */
import { BertwebError } from '@bertweb/core';

/**
 * One sentence of gold data: words and one tag per word.
 *
 * @example
 * ```ts
 * const [sentence]: TaggedSentence[] = parseConll('Anna\tB-PER\n'); // { words: ['Anna'], tags: ['B-PER'] }
 * ```
 */
export interface TaggedSentence {
  readonly words: string[];
  readonly tags: string[];
}

/**
 * Reads CoNLL-style data: one word per line, the word in the first column and its tag in the last
 * (tab-separated, or whitespace-separated when the line has no tab), a blank line between sentences,
 * `-DOCSTART-` lines skipped.
 *
 * @example
 * ```ts
 * parseConll('Anna\tB-PER\nlives\tO\n\nParis\tB-LOC\n');
 * // [{ words: ['Anna', 'lives'], tags: ['B-PER', 'O'] }, { words: ['Paris'], tags: ['B-LOC'] }]
 * ```
 */
export function parseConll(content: string): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  let words: string[] = [];
  let tags: string[] = [];
  const flush = () => {
    if (words.length > 0) sentences.push({ words, tags });
    words = [];
    tags = [];
  };
  content.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('-DOCSTART-')) {
      flush();
      return;
    }
    const columns = line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
    if (columns.length < 2 || columns[0] === '' || columns[columns.length - 1]?.trim() === '') {
      throw new BertwebError(
        'INPUT_INVALID',
        `CoNLL line ${index + 1}: expected "word<TAB>TAG", got ${JSON.stringify(line)}`,
      );
    }
    words.push(columns[0] as string);
    tags.push((columns[columns.length - 1] as string).trim());
  });
  flush();
  return sentences;
}

/**
 * The files of one factRuEval-2016 document (`.tokens`, `.spans`, `.objects` contents).
 *
 * @example
 * ```ts
 * const doc: FactRuEvalDocument = { name: 'book_1', tokens, spans, objects };
 * parseFactRuEval(doc);
 * ```
 */
export interface FactRuEvalDocument {
  readonly name?: string;
  readonly tokens: string;
  readonly spans?: string;
  readonly objects?: string;
}

/** How factRuEval object types map to entity labels (other types, e.g. Facility, are ignored). */
export const FACTRUEVAL_LABELS: Readonly<Record<string, string>> = {
  Person: 'PER',
  Org: 'ORG',
  Location: 'LOC',
  LocOrg: 'LOC',
};

/** Tie order when two mentions of equal length overlap: the more specific type wins. */
const LABEL_PRIORITY: Readonly<Record<string, number>> = { PER: 0, ORG: 1, LOC: 2 };

interface Mention {
  readonly first: number;
  readonly last: number;
  readonly label: string;
}

/**
 * Converts one factRuEval-2016 document to word-level BIO sentences with PER / ORG / LOC tags.
 * Words and sentences are the corpus tokens and sentences. Each mention (`.objects` line of type
 * Person, Org, Location or LocOrg) covers the tokens from the first to the last token of its spans.
 * Nested and overlapping mentions keep only the outermost: longer mentions first, and a mention that
 * overlaps one already kept is dropped (equal lengths: earlier start, then PER before ORG before LOC).
 * A mention crossing a sentence boundary is dropped.
 *
 * @example
 * ```ts
 * const sentences = parseFactRuEval({ tokens, spans, objects });
 * sentences[0]; // { words: ['Александр', 'Вертинский', '.'], tags: ['B-PER', 'I-PER', 'O'] }
 * ```
 */
export function parseFactRuEval(doc: FactRuEvalDocument): TaggedSentence[] {
  const where = doc.name ?? 'factRuEval document';
  const sentences: string[][] = [];
  const position = new Map<string, number>(); // token id -> position in the document
  const sentenceOf: number[] = [];
  let current: string[] = [];
  for (const line of doc.tokens.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 4) {
      if (current.length > 0) sentences.push(current);
      current = [];
      continue;
    }
    position.set(fields[0] as string, sentenceOf.length);
    sentenceOf.push(sentences.length);
    current.push(fields[3] as string);
  }
  if (current.length > 0) sentences.push(current);

  const spans = new Map<string, { first: number; count: number }>();
  for (const fields of annotationLines(doc.spans)) {
    if (fields.length < 6) continue;
    const first = position.get(fields[4] as string);
    if (first === undefined)
      throw new BertwebError('INPUT_INVALID', `${where}: span ${fields[0]} starts at unknown token ${fields[4]}`);
    spans.set(fields[0] as string, { first, count: Number(fields[5]) });
  }

  const mentions: Mention[] = [];
  for (const [, type, ...spanIds] of annotationLines(doc.objects)) {
    const label = FACTRUEVAL_LABELS[type as string];
    if (!label || spanIds.length === 0) continue;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const id of spanIds) {
      const span = spans.get(id);
      if (!span) throw new BertwebError('INPUT_INVALID', `${where}: a mention refers to unknown span ${id}`);
      first = Math.min(first, span.first);
      last = Math.max(last, span.first + span.count - 1);
    }
    if (sentenceOf[first] !== sentenceOf[last]) continue;
    mentions.push({ first, last, label });
  }

  const tags = new Array<string>(sentenceOf.length).fill('O');
  const taken = new Uint8Array(sentenceOf.length);
  mentions.sort(
    (a, b) =>
      b.last - b.first - (a.last - a.first) ||
      a.first - b.first ||
      (LABEL_PRIORITY[a.label] ?? 9) - (LABEL_PRIORITY[b.label] ?? 9),
  );
  for (const { first, last, label } of mentions) {
    if (taken.subarray(first, last + 1).some((t) => t === 1)) continue;
    taken.fill(1, first, last + 1);
    for (let p = first; p <= last; p++) tags[p] = `${p === first ? 'B' : 'I'}-${label}`;
  }

  let offset = 0;
  return sentences.map((words) => {
    const sentence = { words, tags: tags.slice(offset, offset + words.length) };
    offset += words.length;
    return sentence;
  });
}

/** Whitespace-separated fields of each annotation line, without the `# ...` comment. */
function annotationLines(content: string | undefined): string[][] {
  if (!content) return [];
  return content
    .split(/\r?\n/)
    .map((line) => (line.split('#', 1)[0] as string).trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/));
}
