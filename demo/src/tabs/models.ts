/**
 * "Models & cache" tab: the embedded model's card, the catalog of hub models, the DeepPavlov 1.7 configs
 * (each with a button that picks it in the tab that runs it), and the cache manager.
 */
import { CacheManager } from '../app/cache-manager.js';
import { h } from '../app/dom.js';
import { formatApproxMB } from '../app/format.js';
import { cardView, type ModelCard } from '../app/model-card.js';
import {
  CATALOG,
  type CatalogEntry,
  DEEPPAVLOV_CONFIGS,
  type DeepPavlovEntry,
  deepPavlovKey,
  deepPavlovTab,
  embedded,
  type TabTask,
} from '../app/models.js';

/** Picks a model (by its picker key) in a task tab and shows that tab. */
export type UseModel = (tab: TabTask, key: string) => void;

const TAB_LABELS: Readonly<Record<TabTask, string>> = {
  ner: 'NER',
  qa: 'QA',
  similarity: 'Similarity',
  classification: 'Classification',
};

/** The tab panel and a hook to refresh the cache list when the tab is shown. */
export function modelsTab(use?: UseModel): { panel: HTMLElement; onShow: () => void } {
  const cache = new CacheManager();
  const panel = h(
    'section',
    { class: 'panel', role: 'tabpanel', id: 'panel-models', 'aria-labelledby': 'tab-models', tabindex: '-1' },
    h('h2', {}, 'Models & cache'),
    embeddedCard(),
    cache.element,
    catalogTable(),
    deepPavlovTable(use),
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
      'Known BERT-family models on the Hugging Face hub. Sizes are approximate (estimated from parameter counts). Repos without ONNX files (PyTorch weights only) are converted in the page on their first load and cached converted; any other hub id or folder URL can be typed into a tab’s model picker.',
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
        ? h(
            'span',
            {
              title: `converted in the page on first load, then cached${e.convert ? `; or ahead of time: ${e.convert}` : ''}`,
            },
            e.onnxAlternative ? `converted on load (or ${e.onnxAlternative})` : 'converted on load',
          )
        : 'ready',
    ),
  );
}

function deepPavlovTable(use: UseModel | undefined): HTMLElement {
  const entries = DEEPPAVLOV_CONFIGS.filter((e) => deepPavlovTab(e) !== undefined);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'deeppavlov-heading' },
    h('h3', { id: 'deeppavlov-heading' }, 'DeepPavlov 1.7 configs'),
    h(
      'p',
      { class: 'hint' },
      'DeepPavlov configs with trained weights that a tab runs. On first load the config’s tarball (from files.deeppavlov.ai, or the mirror in the tab’s “DeepPavlov files server” field) and its base model’s config and tokenizer are downloaded, unpacked and converted in the page, with the config’s settings; the converted model is cached. Sizes are those of the converted model (approximate).',
    ),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': 'DeepPavlov configs table', tabindex: '0' },
      h(
        'table',
        { class: 'catalog', 'data-testid': 'deeppavlov-configs' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Config', 'Kind', 'Base model', 'q8', ''].map((t) => h('th', { scope: 'col' }, t))),
        ),
        h('tbody', {}, ...entries.map((entry) => deepPavlovRow(entry, use))),
      ),
    ),
  );
}

function deepPavlovRow(e: DeepPavlovEntry, use: UseModel | undefined): HTMLElement {
  const tab = deepPavlovTab(e) as TabTask;
  return h(
    'tr',
    { 'data-config': e.config },
    h('th', { scope: 'row' }, h('code', {}, e.config)),
    h('td', {}, e.task),
    h('td', {}, e.base ?? 'in the tarball'),
    h('td', { class: 'num' }, formatApproxMB(e.sizesMB.q8)),
    h(
      'td',
      {},
      use
        ? h(
            'button',
            {
              type: 'button',
              'aria-label': `Use ${e.config} in the ${TAB_LABELS[tab]} tab`,
              onclick: () => use(tab, deepPavlovKey(e.config)),
            },
            `Use in ${TAB_LABELS[tab]}`,
          )
        : TAB_LABELS[tab],
    ),
  );
}
