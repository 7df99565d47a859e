/**
 * The models each tab can use: the embedded default, the catalog (models/catalog.json), and, with the
 * test-only URL parameter `?models=fixtures`, the repo's tiny fixture models (no download needed).
 */
import embedded from 'virtual:bertweb-embedded';
import catalog from '../../../models/catalog.json';
import { cardSummary, type ModelCard } from './model-card.js';

/** The four task tabs. */
export type TabTask = 'ner' | 'qa' | 'similarity' | 'classification';

/** One entry of models/catalog.json. */
export interface CatalogEntry {
  readonly id: string;
  readonly name: string;
  readonly task: string;
  readonly tabs: readonly string[];
  readonly languages: readonly string[];
  readonly architecture: string;
  readonly license: string | null;
  readonly licenseNote?: string;
  readonly source: string;
  readonly paramsM: number;
  readonly sizesMB: Readonly<Record<'fp32' | 'fp16' | 'q8' | 'q4', number>>;
  readonly sizesApproximate: boolean;
  readonly onnx: boolean;
  readonly needsConversion: boolean;
  readonly onnxAlternative?: string;
  readonly convert?: string;
  readonly notes: string;
}

/** Every catalog entry. */
export const CATALOG: readonly CatalogEntry[] = catalog.models as CatalogEntry[];

/** A model the picker offers. */
export interface ModelChoice {
  readonly key: string;
  readonly label: string;
  readonly group: 'Embedded' | 'Test fixtures' | 'Hub, ready to run (ONNX)' | 'Hub, needs conversion';
  /** What `client.create` receives: an absolute URL of a folder, or a hub id. */
  readonly source: string;
  /** True when loading downloads from the Hugging Face hub (internet needed, cached afterwards). */
  readonly remote: boolean;
  readonly entry?: CatalogEntry;
  readonly note?: string;
}

const FIXTURES: Readonly<Record<TabTask, readonly string[]>> = {
  ner: ['bert-token-cls', 'distilbert-token-cls'],
  qa: ['distilbert-qa', 'bert-qa'],
  similarity: ['bert-base', 'distilbert-base'],
  classification: ['bert-seq-cls', 'distilbert-seq-cls'],
};

/** The hub model a tab falls back to when it has no embedded model (ONNX-ready, small). */
const HUB_DEFAULTS: Readonly<Record<TabTask, string>> = {
  ner: 'Xenova/bert-base-NER',
  qa: 'Xenova/distilbert-base-cased-distilled-squad',
  similarity: 'Xenova/all-MiniLM-L6-v2',
  classification: 'Xenova/distilbert-base-uncased-finetuned-sst-2-english',
};

function absolute(path: string): string {
  return new URL(path, document.baseURI).href;
}

/** The embedded model's choice (NER only). */
export function embeddedChoice(): ModelChoice {
  return {
    key: 'embedded',
    label: embedded.placeholder
      ? 'Embedded: test tagger (random weights, stand-in until ner-ru-tiny is converted)'
      : 'Embedded: ner-ru-tiny (Russian PER/ORG/LOC, q8)',
    group: 'Embedded',
    source: absolute(embedded.path.replace(/^\//, './')),
    remote: false,
    note: embedded.placeholder
      ? 'The trained Russian NER model is not in this build yet; a tiny random-weight model shows the pipeline (its entities are meaningless).'
      : `Ships with the app: works offline, nothing to download. ${cardSummary(embedded.card as ModelCard | null) ?? ''}`.trim(),
  };
}

function fixtureChoice(name: string): ModelChoice {
  return {
    key: `fixture:${name}`,
    label: `Fixture: ${name} (random weights, test only)`,
    group: 'Test fixtures',
    source: absolute(`./models/fixtures/${name}/`),
    remote: false,
    note: 'A tiny random-weight model from the test suite: outputs are meaningless but exercise the whole pipeline.',
  };
}

function catalogChoice(entry: CatalogEntry): ModelChoice {
  const size = entry.sizesMB.q8;
  return {
    key: `hub:${entry.id}`,
    label: `${entry.name} (${entry.id}, ≈${size} MB q8)`,
    group: entry.needsConversion ? 'Hub, needs conversion' : 'Hub, ready to run (ONNX)',
    source: entry.id,
    remote: true,
    entry,
  };
}

/** The choices of a tab, best first. */
export function choicesFor(tab: TabTask, fixtures: boolean): ModelChoice[] {
  const list: ModelChoice[] = [];
  if (tab === 'ner') list.push(embeddedChoice());
  if (fixtures) list.push(...FIXTURES[tab].map(fixtureChoice));
  const entries = CATALOG.filter((e) => e.tabs.includes(tab));
  const ready = entries.filter((e) => !e.needsConversion);
  const convert = entries.filter((e) => e.needsConversion);
  list.push(...ready.map(catalogChoice), ...convert.map(catalogChoice));
  return list;
}

/** The model a tab starts with: the fixture in test mode, else embedded (NER) or the hub default. */
export function defaultChoiceKey(tab: TabTask, fixtures: boolean): string {
  if (fixtures) return `fixture:${FIXTURES[tab][0]}`;
  if (tab === 'ner') return 'embedded';
  return `hub:${HUB_DEFAULTS[tab]}`;
}

/** The embedded model's facts for the model card. */
export { embedded };
