/**
 * The demo app: task tabs (NER, QA, similarity, classification) and "Models & cache", all model work in
 * one Web Worker. Tabs are built when first shown; the URL hash selects the tab.
 */
import { createAppClient } from './app/client.js';
import { h } from './app/dom.js';
import { showPlatform } from './app/platform.js';
import { registerServiceWorker } from './app/pwa.js';
import { readSettings } from './app/settings.js';
import type { TabContext } from './app/tab-frame.js';
import { classificationTab } from './tabs/classification.js';
import { modelsTab } from './tabs/models.js';
import { nerTab } from './tabs/ner.js';
import { qaTab } from './tabs/qa.js';
import { similarityTab } from './tabs/similarity.js';

interface TabDef {
  readonly id: string;
  readonly label: string;
  readonly build: (ctx: TabContext) => { panel: HTMLElement; onShow?: () => void };
}

const TABS: readonly TabDef[] = [
  { id: 'ner', label: 'NER', build: (ctx) => nerTab(ctx) },
  { id: 'qa', label: 'QA', build: (ctx) => qaTab(ctx) },
  { id: 'similarity', label: 'Similarity', build: (ctx) => similarityTab(ctx) },
  { id: 'classification', label: 'Classification', build: (ctx) => classificationTab(ctx) },
  { id: 'models', label: 'Models & cache', build: () => modelsTab(useModel) },
];

/** "Use in NER" of the models tab: shows the task tab and picks the model in its slot. */
function useModel(tab: string, key: string): void {
  history.replaceState(null, '', `#${tab}`);
  select(tab);
  const view = built.get(tab) as { slot?: { choose(key: string): boolean } } | undefined;
  view?.slot?.choose(key);
}

const settings = readSettings();
const crashBanner = h('div', { class: 'banner', role: 'alert', hidden: true });
const client = createAppClient((error) => {
  crashBanner.hidden = false;
  crashBanner.textContent = `${error.code}: ${error.message}. The next action starts a fresh worker.`;
});
const ctx: TabContext = { settings, client };

const tablist = document.getElementById('tabs') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;
main.append(crashBanner);
const built = new Map<string, { panel: HTMLElement; onShow?: () => void }>();
const buttons = TABS.map((tab) =>
  h(
    'button',
    {
      type: 'button',
      role: 'tab',
      id: `tab-${tab.id}`,
      'aria-controls': `panel-${tab.id}`,
      'aria-selected': 'false',
      tabindex: '-1',
    },
    tab.label,
  ),
);
tablist.append(...buttons);

function select(id: string, focus = false): void {
  const index = Math.max(
    0,
    TABS.findIndex((t) => t.id === id),
  );
  const tab = TABS[index] as TabDef;
  let view = built.get(tab.id);
  if (!view) {
    view = tab.build(ctx);
    built.set(tab.id, view);
    main.append(view.panel);
  }
  for (const [key, other] of built) other.panel.hidden = key !== tab.id;
  buttons.forEach((button, i) => {
    button.setAttribute('aria-selected', String(i === index));
    button.tabIndex = i === index ? 0 : -1;
  });
  if (focus) buttons[index]?.focus();
  view.onShow?.();
  document.title = `${tab.label} · bertweb demo`;
}

buttons.forEach((button, i) => {
  button.addEventListener('click', () => {
    history.replaceState(null, '', `#${TABS[i]?.id}`);
    select(TABS[i]?.id ?? 'ner');
  });
  // Arrow keys move between tabs (WAI-ARIA tabs pattern); Home/End jump.
  button.addEventListener('keydown', (event) => {
    const last = TABS.length - 1;
    const next =
      event.key === 'ArrowRight'
        ? i === last
          ? 0
          : i + 1
        : event.key === 'ArrowLeft'
          ? i === 0
            ? last
            : i - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    history.replaceState(null, '', `#${TABS[next]?.id}`);
    select(TABS[next]?.id ?? 'ner', true);
  });
});
window.addEventListener('hashchange', () => select(location.hash.slice(1)));

select(location.hash.slice(1) || 'ner');
void showPlatform(document.getElementById('platform') as HTMLElement);
registerServiceWorker();
document.documentElement.dataset.appReady = 'true';
