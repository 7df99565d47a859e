/**
 * The embedded model's card (models/ner-ru-tiny/model-card.json, written by
 * models/scripts/build_embedded.mjs): evaluation on factRuEval-2016 test, sizes, provenance.
 * Read defensively: any field may be missing.
 */
import { h } from './dom.js';
import { formatBytes } from './format.js';

interface Scores {
  readonly precision?: number;
  readonly recall?: number;
  readonly f1?: number;
  readonly support?: number;
}

interface Evaluation extends Scores {
  readonly sentences?: number;
  readonly words?: number;
  readonly wordsPerSecond?: number;
  readonly perType?: Readonly<Record<string, Scores>>;
}

/** The fields the demo shows. */
export interface ModelCard {
  readonly name?: string;
  readonly language?: string;
  readonly labels?: readonly string[];
  readonly trainedOn?: string;
  readonly evaluatedOn?: string;
  readonly q8?: Evaluation;
  readonly fp32?: Evaluation;
  readonly sizes?: { readonly q8Bytes?: number; readonly fp32Bytes?: number };
}

const num = (value: number | undefined, digits = 3): string =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';

/** One line for the model picker: `entity F1 0.64 on factRuEval-2016 test (q8)`. */
export function cardSummary(card: ModelCard | null): string | undefined {
  const f1 = card?.q8?.f1;
  if (typeof f1 !== 'number') return undefined;
  return `entity F1 ${f1.toFixed(2)} on factRuEval-2016 test (q8${typeof card?.fp32?.f1 === 'number' ? `; fp32 ${card.fp32.f1.toFixed(2)}` : ''})`;
}

/** The card as a definition list plus a per-type table. */
export function cardView(card: ModelCard): HTMLElement {
  const facts: [string, string][] = [];
  if (card.name) facts.push(['Name', card.name]);
  if (card.language) facts.push(['Language', card.language]);
  if (card.labels) facts.push(['Entity types', card.labels.join(', ')]);
  if (card.q8)
    facts.push(['Entity F1 (q8)', `${num(card.q8.f1)} (P ${num(card.q8.precision)}, R ${num(card.q8.recall)})`]);
  if (card.fp32)
    facts.push([
      'Entity F1 (fp32)',
      `${num(card.fp32.f1)} (P ${num(card.fp32.precision)}, R ${num(card.fp32.recall)})`,
    ]);
  if (card.sizes?.q8Bytes) facts.push(['Size (q8)', formatBytes(card.sizes.q8Bytes)]);
  if (card.q8?.wordsPerSecond)
    facts.push(['Speed at evaluation (Node, WASM)', `${Math.round(card.q8.wordsPerSecond)} words/s`]);
  if (card.trainedOn) facts.push(['Trained on', card.trainedOn]);
  if (card.evaluatedOn) facts.push(['Evaluated on', card.evaluatedOn]);
  const perType = Object.entries(card.q8?.perType ?? {});
  return h(
    'div',
    { class: 'model-card', 'data-testid': 'model-card' },
    h('dl', { class: 'facts' }, ...facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
    perType.length > 0
      ? h(
          'table',
          { class: 'per-type' },
          h('caption', {}, 'Per entity type, q8, factRuEval-2016 test'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Type'),
              ...['Precision', 'Recall', 'F1', 'Support'].map((t) => h('th', { scope: 'col', class: 'num' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            ...perType.map(([type, s]) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, type),
                h('td', { class: 'num' }, num(s.precision)),
                h('td', { class: 'num' }, num(s.recall)),
                h('td', { class: 'num' }, num(s.f1)),
                h('td', { class: 'num' }, s.support === undefined ? '–' : String(s.support)),
              ),
            ),
          ),
        )
      : null,
  );
}
