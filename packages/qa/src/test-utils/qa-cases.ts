/**
 * Deterministic question/context cases for the PyTorch parity test (reader.parity.test.ts) and the
 * script that dumps their tokenization for models/scripts/ref_qa.py (dump-qa-inputs.ts).
 *
 * - squad: a SQuAD v1.1 dev paragraph with its first real question;
 * - generated: a paragraph with a question generated from its own words;
 * - long: consecutive dev paragraphs joined until the context is >= 12,000 characters (over 2,300
 *   tokens: more than 5 windows of 384), with a question taken from one of them or generated;
 * - unicode: hand-written contexts with emoji, ZWJ sequences, accents, combining marks and Cyrillic.
 */
import { readFileSync } from 'node:fs';

/** One parity case. */
export interface QaCase {
  readonly id: string;
  readonly kind: 'squad' | 'generated' | 'long' | 'unicode';
  readonly question: string;
  readonly context: string;
}

/** The SQuAD dev file the cases are drawn from (read in place, never copied). */
export const SQUAD_DEV_V11 = new URL('../../../../../shared/data/squad/dev-v1.1.json', import.meta.url);

const UNICODE_CASES: readonly [string, string][] = [
  ['Where is the café?', 'The café 🏙️ near the Musée d’Orsay opens at 9:00; crème brûlée costs €7.'],
  ['Кто написал роман?', 'Роман «Война и мир» написал Лев Толстой. Он жил в Ясной Поляне 🌳 под Тулой.'],
  [
    'Who is in the family?',
    'The family emoji 👩‍👩‍👧‍👦 has four people; the flag 🇫🇷 is French, and 👍🏽 is a thumbs-up.',
  ],
  ['What is naïve?', 'A naïve façade, a coöperative rôle, and the Zürich–Genève train: all in São Paulo’s résumé.'],
  ['Что такое Ёлка?', 'Ёлка — это новогоднее дерево. В Москве 🎄 ставят ёлку на Красной площади каждый год.'],
  [
    'What does the combining mark do?',
    'Decomposed: Cafe\u0301 and nai\u0308ve and A\u030Angstro\u0308m; composed: Café.',
  ],
  ['Where did they go?', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters 𝐀𝐁𝐂 and 😀😃😄 surround the answer: they went to Kraków.'],
  ['Which city?', 'Mixed script: Москва (Moscow), Kyiv (Київ), Αθήνα (Athens), 東京 (Tokyo) and 서울 (Seoul).'],
  ['What is the price?', '  Leading spaces,\ttabs,\nnewlines\r\nand the price: ¥1,200 (≈ $8.50) — tax incl.  '],
  ['Who won?', 'Ángel Di María scored; Łukasz Piszczek 🇵🇱 and Søren Kierkegaard… were not there.'],
  [
    'Где находится Эрмитаж?',
    'Государственный Эрмитаж находится в Санкт-Петербурге 🏛️, на Дворцовой набережной, дом 34.',
  ],
  ['What is the emoji?', '🙂'.repeat(50) + ' The emoji above is a slightly smiling face. ' + '🎉 '.repeat(30)],
];

/** A small seeded PRNG (mulberry32): the same cases on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMPLATES = ['What is {}?', 'Who {}?', 'When did {} happen?', 'Where is {}?', 'Why does {}?', 'How many {}?'];

function generatedQuestion(context: string, rand: () => number): string {
  const words = context.split(/\s+/).filter((w) => w.length > 0);
  const length = 2 + Math.floor(rand() * 3);
  const start = Math.floor(rand() * Math.max(1, words.length - length));
  const phrase = words.slice(start, start + length).join(' ');
  const template = TEMPLATES[Math.floor(rand() * TEMPLATES.length)] as string;
  return template.replace('{}', phrase);
}

interface Paragraph {
  readonly context: string;
  readonly questions: readonly string[];
}

function readParagraphs(path: URL): Paragraph[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as {
    data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
  };
  return data.data.flatMap((article) =>
    article.paragraphs.map((p) => ({ context: p.context, questions: p.qas.map((qa) => qa.question) })),
  );
}

/**
 * The hand-written Unicode cases (no data file needed).
 *
 * @example
 * ```ts
 * unicodeCases().length; // 12
 * ```
 */
export function unicodeCases(): QaCase[] {
  return UNICODE_CASES.map(([question, context], i) => ({ id: `unicode-${i}`, kind: 'unicode', question, context }));
}

/**
 * All 212 cases (80 squad, 80 generated, 40 long, 12 unicode), in a fixed order.
 *
 * @example
 * ```ts
 * const cases = qaCases(); // throws when the SQuAD file is absent
 * ```
 */
export function qaCases(path: URL = SQUAD_DEV_V11): QaCase[] {
  const paragraphs = readParagraphs(path);
  const at = (i: number) => paragraphs[i % paragraphs.length] as Paragraph;
  const rand = prng(20240611);
  const cases: QaCase[] = [];
  for (let i = 0; i < 80; i++) {
    const p = at(7 + 25 * i);
    cases.push({ id: `squad-${i}`, kind: 'squad', question: p.questions[0] ?? 'What?', context: p.context });
  }
  for (let i = 0; i < 80; i++) {
    const p = at(13 + 25 * i);
    cases.push({
      id: `generated-${i}`,
      kind: 'generated',
      question: generatedQuestion(p.context, rand),
      context: p.context,
    });
  }
  for (let i = 0; i < 40; i++) {
    const parts: Paragraph[] = [];
    let length = 0;
    for (let j = 51 * i; length < 12_000; j++) {
      const p = at(j);
      parts.push(p);
      length += p.context.length + 2;
    }
    const context = parts.map((p) => p.context).join('\n\n');
    const source = parts[Math.floor(rand() * parts.length)] as Paragraph;
    const question =
      i % 2 === 0
        ? (source.questions[Math.floor(rand() * source.questions.length)] ?? 'What?')
        : generatedQuestion(source.context, rand);
    cases.push({ id: `long-${i}`, kind: 'long', question, context });
  }
  cases.push(...unicodeCases());
  return cases;
}
