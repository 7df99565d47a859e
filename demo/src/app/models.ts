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

/** One DeepPavlov 1.7 config of models/catalog.json (`deeppavlovConfigs`) that bertweb runs. */
export interface DeepPavlovEntry {
  readonly config: string;
  /** DeepPavlov's kind of config: `ner`, `classification`, `squad`, `ranking`, `rel-ranking`, `embedder`. */
  readonly task: string;
  /** The config's `TRANSFORMER` hub id (config.json and tokenizer); absent when the tarball holds a whole model. */
  readonly base: string | null;
  readonly architecture: string;
  readonly downloads: readonly { readonly url: string; readonly needed: boolean }[];
  /** False when the config names no trained weights (nothing to download and convert). */
  readonly weightsAvailable: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Sizes of the converted ONNX model (approximate). */
  readonly sizesMB: Readonly<Record<'fp32' | 'fp16' | 'q8' | 'q4', number>>;
}

/** The DeepPavlov configs each tab can run (by the head DeepPavlov's config kind maps to). */
const DEEPPAVLOV_TASKS: Readonly<Record<TabTask, string>> = {
  ner: 'ner',
  qa: 'squad',
  similarity: 'embedder',
  classification: 'classification',
};

/** The DeepPavlov 1.7 configs of the catalog that have weights and a config kind bertweb runs. */
export const DEEPPAVLOV_CONFIGS: readonly DeepPavlovEntry[] = (
  catalog.deeppavlovConfigs as readonly Partial<DeepPavlovEntry>[]
).filter((e): e is DeepPavlovEntry => typeof e.task === 'string' && e.weightsAvailable === true);

/** A model the picker offers. */
export interface ModelChoice {
  readonly key: string;
  readonly label: string;
  readonly group:
    | 'Embedded'
    | 'Test fixtures'
    | 'Hub, ready to run (ONNX)'
    | 'Hub, converted on load (PyTorch weights)'
    | 'DeepPavlov 1.7 configs, converted on load';
  /**
   * What `client.create` receives: an absolute URL of a folder, or a hub id; for a DeepPavlov config its
   * name (the slot makes it `{ deeppavlov, filesBaseUrl }`).
   */
  readonly source: string;
  /** True when loading downloads from the Hugging Face hub (internet needed, cached afterwards). */
  readonly remote: boolean;
  readonly entry?: CatalogEntry;
  /** Set for a DeepPavlov config. */
  readonly deeppavlov?: DeepPavlovEntry;
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
    group: entry.needsConversion ? 'Hub, converted on load (PyTorch weights)' : 'Hub, ready to run (ONNX)',
    source: entry.id,
    remote: true,
    entry,
  };
}

/** The tab that runs a DeepPavlov config (`ner` for `ner_rus_bert`), `undefined` for kinds no tab runs (rankers). */
export function deepPavlovTab(entry: DeepPavlovEntry): TabTask | undefined {
  return (Object.keys(DEEPPAVLOV_TASKS) as TabTask[]).find((tab) => DEEPPAVLOV_TASKS[tab] === entry.task);
}

/** The key of a DeepPavlov config's choice: `dp:ner_rus_bert`. */
export function deepPavlovKey(config: string): string {
  return `dp:${config}`;
}

function deepPavlovChoice(entry: DeepPavlovEntry): ModelChoice {
  return {
    key: deepPavlovKey(entry.config),
    label: `${entry.config} (${entry.base ?? 'whole model in the tarball'}, ≈${entry.sizesMB.q8} MB q8)`,
    group: 'DeepPavlov 1.7 configs, converted on load',
    source: entry.config,
    remote: true,
    deeppavlov: entry,
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
  list.push(...DEEPPAVLOV_CONFIGS.filter((e) => e.task === DEEPPAVLOV_TASKS[tab]).map(deepPavlovChoice));
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
