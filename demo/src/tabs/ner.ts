/**
 * NER tab: entities highlighted inline (label badge, score in the tooltip), per-word tags on hover, and
 * a table of spans. Every highlight is `text.slice(start, end)` of the input, so offsets are visible.
 */
import { field, h } from '../app/dom.js';
import { markFirstResult } from '../app/first-result.js';
import { formatScore } from '../app/format.js';
import { labelClass } from '../app/labels.js';
import { type TabContext, TabFrame } from '../app/tab-frame.js';

const SAMPLES: readonly { label: string; text: string }[] = [
  {
    label: 'Russian news',
    text: 'Президент России Владимир Путин провёл переговоры с канцлером Германии Ангелой Меркель в Москве. Компания «Газпром» подписала соглашение с банком ВТБ.',
  },
  {
    label: 'Russian, long',
    text: 'Министр иностранных дел Сергей Лавров прибыл в Женеву, где встретится с госсекретарём США Энтони Блинкеном. Ранее в МИД России заявили, что Москва готова к диалогу. В Санкт-Петербурге тем временем открылся экономический форум, на котором выступил глава Сбербанка Герман Греф.',
  },
  {
    label: 'English',
    text: 'Angela Merkel met Emmanuel Macron in Paris to discuss the future of Airbus and the European Union.',
  },
];

interface Entity {
  readonly text: string;
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

interface WordTag {
  readonly start: number;
  readonly end: number;
  readonly tag: string;
  readonly score: number;
}

/** Builds the NER tab. */
export function nerTab(ctx: TabContext): TabFrame<'tagger'> {
  const frame = new TabFrame(
    'ner',
    'tagger',
    'Named entities',
    'Finds people, organizations and places. Each word takes the tag of its first subtoken (as in DeepPavlov), with CRF decoding when the model ships crf.json.',
    ctx,
  );
  const input = h('textarea', { name: 'text', rows: 5, spellcheck: 'false' });
  input.value = SAMPLES[0]?.text ?? '';
  const samples = h(
    'div',
    { class: 'samples', role: 'group', 'aria-label': 'Sample texts' },
    ...SAMPLES.map((sample) =>
      h('button', { type: 'button', class: 'chip', onclick: () => (input.value = sample.text) }, sample.label),
    ),
  );
  const card = frame.addForm('Input text', [field('Text', input), samples], 'Find entities', async () => {
    const text = input.value;
    const result = await frame.run(
      async (tagger, signal) => {
        const [entities = []] = await tagger.tag([text], { signal });
        return entities;
      },
      { items: 1, chars: text.length },
    );
    if (!result) return;
    card.show(...renderEntities(text, result, []));
    frame.slot.metrics.firstResult(markFirstResult());
    // Per-word tags for the hover titles: a second, separate call so the timed call stays `tag()`.
    const tagger = frame.slot.head;
    if (!tagger) return;
    try {
      const [encoded] = await tagger.encode([text]);
      const words = encoded?.words ?? [];
      const [wordTags] = await tagger.tagWords([words.map((w) => w.text)]);
      const tags: WordTag[] = words.map((w, i) => ({
        start: w.start,
        end: w.end,
        tag: wordTags?.tags[i] ?? '?',
        score: wordTags?.scores[i] ?? Number.NaN,
      }));
      card.show(...renderEntities(text, result, tags));
    } catch {
      // Hover tags are a nicety; the entities are already shown.
    }
  });
  return frame;
}

/** Highlighted text + table. Word spans carry their tag on hover; marks carry their entity. */
function renderEntities(text: string, entities: readonly Entity[], words: readonly WordTag[]): HTMLElement[] {
  const highlighted = h('p', { class: 'ner-text', 'data-testid': 'ner-text', lang: 'und' });
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  let cursor = 0;
  const pushPlain = (parent: HTMLElement, from: number, to: number) => {
    let at = from;
    for (const word of words) {
      if (word.start < from || word.end > to) continue;
      if (word.start > at) parent.append(text.slice(at, word.start));
      parent.append(
        h(
          'span',
          { class: 'word', title: `${word.tag} ${formatScore(word.score)}`, 'data-tag': word.tag },
          text.slice(word.start, word.end),
        ),
      );
      at = word.end;
    }
    if (to > at) parent.append(text.slice(at, to));
  };
  for (const entity of sorted) {
    if (entity.start < cursor) continue; // overlapping spans cannot be shown inline
    pushPlain(highlighted, cursor, entity.start);
    const mark = h('mark', {
      class: `entity ${labelClass(entity.label)}`,
      'data-label': entity.label,
      'data-start': entity.start,
      'data-end': entity.end,
      title: `${entity.label} · score ${formatScore(entity.score)}`,
    });
    pushPlain(mark, entity.start, entity.end);
    highlighted.append(mark);
    cursor = entity.end;
  }
  pushPlain(highlighted, cursor, text.length);

  const table = h(
    'table',
    { class: 'spans', 'data-testid': 'ner-table' },
    h('caption', {}, `${entities.length} entit${entities.length === 1 ? 'y' : 'ies'}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Text'),
        h('th', { scope: 'col' }, 'Label'),
        h('th', { scope: 'col', class: 'num' }, 'Start–end'),
        h('th', { scope: 'col', class: 'num' }, 'Score'),
      ),
    ),
    h(
      'tbody',
      {},
      ...sorted.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, e.text),
          h('td', {}, h('span', { class: `tag ${labelClass(e.label)}` }, e.label)),
          h('td', { class: 'num' }, `${e.start}–${e.end}`),
          h('td', { class: 'num' }, formatScore(e.score)),
        ),
      ),
    ),
  );
  const hint = h('p', { class: 'hint' }, 'Hover a word to see its tag and score.');
  return [h('h3', {}, 'Entities'), highlighted, words.length > 0 ? hint : h('span'), table];
}
