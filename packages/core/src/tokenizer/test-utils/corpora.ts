/**
 * Test-only access to the real data in `../shared/data` (read in place, never copied): SQuAD,
 * factRuEval-2016, STS-B and the tokenizer files. Tests call {@link sharedDataDir} and skip with a
 * clear message when it is absent.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/core/src/tokenizer/test-utils/corpora.ts). */
export const repoRoot: string = fileURLToPath(new URL('../../../../../', import.meta.url));

/** `../shared/data` relative to the repository root, or undefined when it is not there. */
export function sharedDataDir(): string | undefined {
  const dir = path.resolve(repoRoot, '../shared/data');
  return existsSync(path.join(dir, 'tokenizers')) ? dir : undefined;
}

/** Message for `describe.skipIf` when the data is absent. */
export const NO_DATA_MESSAGE = 'skipped: ../shared/data (real corpora and tokenizer files) is not present';

function read(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), 'utf8');
}

/** Files of the all-MiniLM-L6-v2 tokenizer and the bert-base-uncased vocab. */
export function tokenizerFiles(dir: string): {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap: Record<string, unknown>;
  bertBaseUncasedVocab: string;
} {
  return {
    tokenizerJson: JSON.parse(read(dir, 'tokenizers/all-MiniLM-L6-v2/tokenizer.json')),
    tokenizerConfig: JSON.parse(read(dir, 'tokenizers/all-MiniLM-L6-v2/tokenizer_config.json')),
    specialTokensMap: JSON.parse(read(dir, 'tokenizers/all-MiniLM-L6-v2/special_tokens_map.json')),
    bertBaseUncasedVocab: read(dir, 'tokenizers/bert-base-uncased/vocab.txt'),
  };
}

/** One expected tokenization of tokenization-references.json. */
export interface ReferenceCase {
  readonly name: string;
  readonly text: string;
  readonly text_pair?: string;
  readonly tokens: string[];
  readonly ids: number[];
  readonly decoded: string;
}

/** The `Xenova/bert-base-uncased` cases of tokenization-references.json. */
export function bertBaseUncasedReferences(dir: string): ReferenceCase[] {
  const all = JSON.parse(read(dir, 'tokenizers/tokenization-references.json')) as {
    models: Record<string, Record<string, Omit<ReferenceCase, 'name'>>>;
  };
  const cases = all.models['Xenova/bert-base-uncased'] ?? {};
  return Object.entries(cases).map(([name, c]) => ({ name, ...c }));
}

/** SQuAD v1.1 dev: every paragraph context, every question, and (question, context) pairs. */
export function squadDev(dir: string): { contexts: string[]; questions: string[]; pairs: [string, string][] } {
  const squad = JSON.parse(read(dir, 'squad/dev-v1.1.json')) as {
    data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
  };
  const contexts: string[] = [];
  const questions: string[] = [];
  const pairs: [string, string][] = [];
  for (const article of squad.data) {
    for (const p of article.paragraphs) {
      contexts.push(p.context);
      for (const qa of p.qas) {
        questions.push(qa.question);
        pairs.push([qa.question, p.context]);
      }
    }
  }
  return { contexts, questions, pairs };
}

/** Raw texts of factRuEval-2016 dev and test (`*.txt`). */
export function factRuEvalTexts(dir: string): string[] {
  const texts: string[] = [];
  for (const split of ['devset', 'testset']) {
    const folder = path.join(dir, 'factRuEval-2016', split);
    for (const name of readdirSync(folder).sort()) {
      if (name.endsWith('.txt')) texts.push(readFileSync(path.join(folder, name), 'utf8'));
    }
  }
  return texts;
}

/** Fields of one CSV line (RFC 4180 quoting). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

/** Every sentence (both columns) of STS-B en and ru, all splits. */
export function stsbSentences(dir: string): { en: string[]; ru: string[] } {
  const out = { en: [] as string[], ru: [] as string[] };
  for (const lang of ['en', 'ru'] as const) {
    for (const split of ['train', 'dev', 'test']) {
      for (const line of read(dir, `stsb/stsb-${lang}-${split}.csv`).split('\n')) {
        if (line.trim() === '') continue;
        const [a, b] = parseCsvLine(line);
        if (a !== undefined) out[lang].push(a);
        if (b !== undefined) out[lang].push(b);
      }
    }
  }
  return out;
}
