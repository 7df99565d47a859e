/** Classification tab: one text per line (or text pairs) -> labels with scores (softmax or sigmoid). */
import { field, h } from '../app/dom.js';
import { formatScore } from '../app/format.js';
import { type TabContext, TabFrame } from '../app/tab-frame.js';

const TEXTS = [
  'I absolutely loved this film, the acting was superb.',
  'The service was slow and the food arrived cold.',
  'It was fine, nothing special.',
];

interface LabelScore {
  readonly label: string;
  readonly score: number;
}

interface Classification {
  readonly labels: readonly LabelScore[];
  readonly truncated: boolean;
}

/** How the loaded head decides (shown next to the scores). */
interface Decision {
  readonly activation: string;
  /** Sigmoid models: labels above this count as predicted. */
  readonly threshold: number | undefined;
}

/** Builds the classification tab. */
export function classificationTab(ctx: TabContext): TabFrame<'classifier'> {
  const frame = new TabFrame(
    'classification',
    'classifier',
    'Classification',
    'Text (or text-pair) classification: softmax over the labels, or independent sigmoids for multi-label models.',
    ctx,
  );
  const texts = h('textarea', { name: 'texts', rows: 5 });
  texts.value = TEXTS.join('\n');
  const pairs = h('textarea', {
    name: 'pairs',
    rows: 3,
    placeholder: 'Optional: second texts, one per line (NLI, paraphrase)',
  });
  const card = frame.addForm(
    'Texts',
    [field('Texts, one per line', texts), field('Second texts for pair models (optional)', pairs)],
    'Classify',
    async () => {
      const list = texts.value
        .split('\n')
        .map((t) => t.trim())
        .filter(Boolean)
        .slice(0, 100);
      const second = pairs.value.split('\n').map((t) => t.trim());
      const usePairs = second.some(Boolean);
      const inputs = usePairs ? list.map((text, i) => [text, second[i] ?? ''] as const) : list;
      let decision: Decision = { activation: 'softmax', threshold: undefined };
      const results = await frame.run(
        (classifier, signal) => {
          const threshold = classifier.activation === 'sigmoid' ? (classifier.threshold ?? 0.5) : undefined;
          decision = { activation: classifier.activation, threshold };
          // Every label with its score (threshold 0 keeps all); the predicted ones are marked below.
          return classifier.classify(inputs, { signal, topK: classifier.labels.length, threshold: 0 });
        },
        { items: list.length, chars: list.join('').length + (usePairs ? second.join('').length : 0) },
      );
      if (results) card.show(renderResults(list, results, decision));
    },
  );
  return frame;
}

function renderResults(texts: readonly string[], results: readonly Classification[], decision: Decision): HTMLElement {
  const rule =
    decision.threshold === undefined
      ? 'softmax: the top label is the prediction'
      : `sigmoid (multi-label): labels above ${decision.threshold} are predicted`;
  return h(
    'div',
    {},
    h('p', { class: 'hint' }, rule),
    h(
      'ol',
      { class: 'classes', 'data-testid': 'classes' },
      ...texts.map((text, i) => {
        const result = results[i];
        const scores = [...(result?.labels ?? [])].sort((a, b) => b.score - a.score);
        const predicted = (s: LabelScore, rank: number) =>
          decision.threshold === undefined ? rank === 0 : s.score > decision.threshold;
        return h(
          'li',
          {},
          h('p', { class: 'text' }, text, result?.truncated ? h('small', { class: 'hint' }, ' (truncated)') : null),
          h(
            'ul',
            { class: 'bars' },
            ...scores.map((s, rank) =>
              h(
                'li',
                { 'data-label': s.label, 'data-predicted': String(predicted(s, rank)) },
                h('span', { class: 'label' }, predicted(s, rank) ? h('strong', {}, `${s.label} ✓`) : s.label),
                h('meter', { min: 0, max: 1, value: s.score, 'aria-label': `${s.label} score` }),
                h('span', { class: 'score' }, formatScore(s.score)),
              ),
            ),
          ),
        );
      }),
    ),
  );
}
