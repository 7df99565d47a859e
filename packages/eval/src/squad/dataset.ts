/** Reading SQuAD JSON files (`{version, data: [{title, paragraphs: [{context, qas}]}]}`). */
import { BertwebError } from '@bertweb/core';
import type { SquadQuestion } from './metrics.js';

/**
 * A parsed SQuAD file.
 *
 * @example
 * ```ts
 * const { version, questions }: SquadDataset = parseSquad(text);
 * ```
 */
export interface SquadDataset {
  /** '2.0' when the file says so (`version` "v2.0") or has unanswerable questions, else '1.1'. */
  readonly version: '1.1' | '2.0';
  readonly questions: readonly SquadQuestion[];
}

/**
 * Parses a SQuAD v1.1 / v2.0 file (text or already parsed JSON), in file order.
 *
 * @example
 * ```ts
 * const { version, questions } = parseSquad(await readFile('dev-v1.1.json', 'utf8'));
 * ```
 */
export function parseSquad(input: string | unknown): SquadDataset {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new BertwebError('INPUT_INVALID', `not a SQuAD JSON file: ${(error as Error).message}`);
    }
  }
  const data = (json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new BertwebError('INPUT_INVALID', 'a SQuAD file needs a "data" array');
  const questions: SquadQuestion[] = [];
  let unanswerable = false;
  for (const article of data as { paragraphs?: unknown }[]) {
    if (!Array.isArray(article?.paragraphs)) {
      throw new BertwebError('INPUT_INVALID', 'every SQuAD article needs a "paragraphs" array');
    }
    for (const paragraph of article.paragraphs as { context?: unknown; qas?: unknown }[]) {
      const context = paragraph?.context;
      if (typeof context !== 'string' || !Array.isArray(paragraph.qas)) {
        throw new BertwebError('INPUT_INVALID', 'every SQuAD paragraph needs a "context" string and a "qas" array');
      }
      for (const qa of paragraph.qas as { id?: unknown; question?: unknown; answers?: unknown }[]) {
        if (typeof qa?.id !== 'string' || typeof qa.question !== 'string' || !Array.isArray(qa.answers)) {
          throw new BertwebError('INPUT_INVALID', 'every SQuAD question needs "id", "question" and "answers"');
        }
        const answers = (qa.answers as { text?: unknown }[]).map((a) => {
          if (typeof a?.text !== 'string') throw new BertwebError('INPUT_INVALID', `answer without text in ${qa.id}`);
          return a.text;
        });
        if (answers.length === 0) unanswerable = true;
        questions.push({ id: qa.id, question: qa.question, context, answers });
      }
    }
  }
  const declared = String((json as { version?: unknown }).version ?? '');
  const version = declared.replace(/^v/, '') === '2.0' || unanswerable ? '2.0' : '1.1';
  return { version, questions };
}
