/**
 * Inputs of the browser benchmark, read in a fixed order so every run sees the same texts:
 * SQuAD v1.1 dev questions (file order) for embedding, factRuEval-2016 test-set sentences (documents
 * in sorted order, sentences as the .tokens file splits them) for tagging. Read in place from
 * ../shared/data (never copied into the repository).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sharedData = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');
const squadFile = path.join(sharedData, 'squad', 'dev-v1.1.json');
const factRuDir = path.join(sharedData, 'factRuEval-2016', 'testset');

interface Squad {
  readonly data: { readonly paragraphs: { readonly qas: { readonly question: string }[] }[] }[];
}

/**
 * The first `n` questions of SQuAD v1.1 dev, in file order.
 *
 * @example
 * ```ts
 * squadQuestions(2); // ['Which NFL team represented the AFC at Super Bowl 50?', ...]
 * ```
 */
export function squadQuestions(n: number): string[] {
  if (!existsSync(squadFile)) throw new Error(`SQuAD v1.1 dev not found at ${squadFile}`);
  const squad = JSON.parse(readFileSync(squadFile, 'utf8')) as Squad;
  const out: string[] = [];
  for (const article of squad.data) {
    for (const paragraph of article.paragraphs) {
      for (const qa of paragraph.qas) {
        out.push(qa.question.trim());
        if (out.length === n) return out;
      }
    }
  }
  return out;
}

/**
 * The first `n` sentences of the factRuEval-2016 test set: documents sorted by name, each sentence the
 * text from its first to its last token (.tokens offsets count code points; blank lines end sentences).
 *
 * @example
 * ```ts
 * factRuSentences(1)[0]; // a Russian news sentence
 * ```
 */
export function factRuSentences(n: number): string[] {
  if (!existsSync(factRuDir)) throw new Error(`factRuEval-2016 test set not found at ${factRuDir}`);
  const out: string[] = [];
  const bases = readdirSync(factRuDir)
    .filter((f) => f.endsWith('.tokens'))
    .map((f) => path.join(factRuDir, f.slice(0, -'.tokens'.length)))
    .sort();
  for (const base of bases) {
    const text = Array.from(readFileSync(`${base}.txt`, 'utf8'));
    let first: number | undefined;
    let last = 0;
    const flush = () => {
      if (first !== undefined) out.push(text.slice(first, last).join(''));
      first = undefined;
    };
    for (const line of readFileSync(`${base}.tokens`, 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length !== 4) {
        flush();
        if (out.length >= n) return out.slice(0, n);
        continue;
      }
      const start = Number(fields[1]);
      first ??= start;
      last = start + Number(fields[2]);
    }
    flush();
    if (out.length >= n) return out.slice(0, n);
  }
  return out;
}
