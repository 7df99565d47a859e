/** "Models & cache" tab: the embedded model's card, the catalog of hub models, and the cache manager. */
import { CacheManager } from '../app/cache-manager.js';
import { h } from '../app/dom.js';
import { formatApproxMB } from '../app/format.js';
import { cardView, type ModelCard } from '../app/model-card.js';
import { CATALOG, type CatalogEntry, embedded } from '../app/models.js';

/** The tab panel and a hook to refresh the cache list when the tab is shown. */
export function modelsTab(): { panel: HTMLElement; onShow: () => void } {
  const cache = new CacheManager();
  const panel = h(
    'section',
    { class: 'panel', role: 'tabpanel', id: 'panel-models', 'aria-labelledby': 'tab-models', tabindex: '-1' },
    h('h2', {}, 'Models & cache'),
    embeddedCard(),
    cache.element,
    catalogTable(),
  );
  return { panel, onShow: () => void cache.refresh() };
}

function embeddedCard(): HTMLElement {
  const card = embedded.card as ModelCard | null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'embedded-heading' },
    h('h3', { id: 'embedded-heading' }, 'Embedded model'),
    embedded.placeholder
      ? h(
          'p',
          {},
          'This build embeds a tiny random-weight test tagger (',
          h('code', {}, embedded.folder),
          ') in place of the Russian NER model, which has not been converted yet. It shows the pipeline working offline; its entities are meaningless.',
        )
      : h(
          'p',
          {},
          'A small Russian NER model (PER, ORG, LOC), trained from scratch for this demo, ships with the app in ',
          h('code', {}, embedded.path),
          ': it works offline with no download.',
        ),
    card ? cardView(card) : null,
    h('p', { class: 'hint' }, `Files: ${embedded.files.join(', ')}`),
  );
}

function catalogTable(): HTMLElement {
  const rows = CATALOG.map((entry) => catalogRow(entry));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'catalog-heading' },
    h('h3', { id: 'catalog-heading' }, 'Catalog'),
    h(
      'p',
      { class: 'hint' },
      'Known BERT-family models on the Hugging Face hub. Sizes are approximate (estimated from parameter counts). Repos without ONNX files need conversion with @bertweb/convert first; any other hub id or folder URL can be typed into a tab’s model picker.',
    ),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': 'Catalog table', tabindex: '0' },
      h(
        'table',
        { class: 'catalog', 'data-testid': 'catalog' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Model', 'Task', 'Languages', 'License', 'fp32', 'fp16', 'q8', 'q4', 'ONNX'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

function catalogRow(e: CatalogEntry): HTMLElement {
  return h(
    'tr',
    {},
    h(
      'th',
      { scope: 'row' },
      h('a', { href: e.source, target: '_blank', rel: 'noopener' }, e.id),
      h('br'),
      h('small', {}, e.name),
    ),
    h('td', {}, e.task),
    h('td', {}, e.languages.join(', ')),
    h('td', {}, e.license ?? h('span', { title: e.licenseNote ?? '' }, 'not stated')),
    ...(['fp32', 'fp16', 'q8', 'q4'] as const).map((d) => h('td', { class: 'num' }, formatApproxMB(e.sizesMB[d]))),
    h(
      'td',
      {},
      e.needsConversion
        ? h('span', { title: e.convert ?? '' }, e.onnxAlternative ? `convert (or ${e.onnxAlternative})` : 'convert')
        : 'ready',
    ),
  );
}
