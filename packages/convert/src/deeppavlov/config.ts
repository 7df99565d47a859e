/**
 * Reading a DeepPavlov 1.7 config JSON into what bertweb needs to run it: the task, the base transformer,
 * the tarballs and the files inside them, and the preprocessing and head settings the model was trained
 * with. Pure (no I/O): the caller downloads and unpacks. Semantics and citations: docs/deeppavlov-1.7.md.
 *
 * Variables are substituted exactly as DeepPavlov's `parse_config` does
 * (deeppavlov/core/commands/utils.py `_get_variables_from_config`, `_parse_config_property`): variables in
 * declaration order, each one a string formatted with the ones before it (Python `str.format`), and a
 * property that is exactly `"{NAME}"` replaced by the variable's value itself (so `"{BINARY_CLASSIFICATION}"`
 * becomes the boolean `false`, not the string).
 */
import { BertwebError } from '@bertweb/core';

/**
 * What a DeepPavlov config does, after its main model component.
 *
 * @example
 * ```ts
 * const task: DeepPavlovTask = parseDeepPavlovConfig(json).task; // 'ner'
 * ```
 */
export type DeepPavlovTask = 'ner' | 'classification' | 'squad' | 'ranking' | 'rel-ranking' | 'embedder';

/**
 * A JSON value as found in configs.
 *
 * @example
 * ```ts
 * const v: JsonValue = { max_seq_length: 512 };
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * One `metadata.download` entry, with `subdir` resolved.
 *
 * @example
 * ```ts
 * const [d] = parseDeepPavlovConfig(json).downloads; // { url, subdir, needed: true }
 * ```
 */
export interface DeepPavlovDownload {
  readonly url: string;
  /** Where DeepPavlov unpacks the archive (variables substituted, e.g. `~/.deeppavlov/models/ner_rus_bert_torch`). */
  readonly subdir: string;
  /** True when a file the pipeline loads lies under `subdir`; false for data sets (training only). */
  readonly needed: boolean;
}

/**
 * A file inside one of the downloads: `path` is relative to the archive's root.
 *
 * @example
 * ```ts
 * const f: DeepPavlovFile = { download: 0, path: 'model.pth.tar' };
 * ```
 */
export interface DeepPavlovFile {
  /** Index into {@link DeepPavlovConfig.downloads}. */
  readonly download: number;
  readonly path: string;
}

/**
 * Settings of the tokenizing component.
 *
 * @example
 * ```ts
 * parseDeepPavlovConfig(json).preprocessor.maxSubwordLength; // 15 for ner_rus_bert
 * ```
 */
export interface DeepPavlovPreprocessor {
  readonly className: string;
  /** Overrides the tokenizer files' own setting (DeepPavlov passes it to `AutoTokenizer.from_pretrained`). */
  readonly doLowerCase: boolean;
  readonly maxSeqLength: number;
  /** NER only: a word of more subtokens becomes one `[UNK]`; null = no limit. */
  readonly maxSubwordLength: number | null;
  /** NER only: which subtoken of a word carries its tag. */
  readonly subwordMaskMode: 'first' | 'last';
  /** NER only: DeepPavlov 1.7's word split ('1.7') — the split is in the component's code, not the config. */
  readonly wordSplit: '1.7' | null;
  /** SQuAD (DistilBERT): build segment ids although the tokenizer has none. */
  readonly addTokenTypeIds: boolean;
  /** The pipeline variables it reads, in order (e.g. `["text_a", "text_b"]`: a text pair). */
  readonly inputs: readonly string[];
}

/**
 * Settings of the model component and of the post-processing around it.
 *
 * @example
 * ```ts
 * parseDeepPavlovConfig(json).head.useCrf; // true for ner_ontonotes_bert_mult
 * ```
 */
export interface DeepPavlovHead {
  readonly className: string;
  /** `n_tags` / `n_classes`: a number, or `{ vocab }` when it is `#id.len` of a vocabulary (known after download). */
  readonly labels: number | { readonly vocab: 'tags' | 'classes' } | null;
  readonly useCrf: boolean;
  readonly multilabel: boolean;
  readonly isBinary: boolean;
  readonly returnProbas: boolean;
  /** proba2labels after the classifier, if any. */
  readonly proba2labels: {
    readonly maxProba: boolean;
    readonly confidenceThreshold: number | null;
    readonly isBinary: boolean;
  } | null;
}

/**
 * A DeepPavlov config, normalized.
 *
 * @example
 * ```ts
 * const cfg: DeepPavlovConfig = parseDeepPavlovConfig(json, { name: 'squad_ru_bert' });
 * ```
 */
export interface DeepPavlovConfig {
  /** The config's name (file name without `.json`), as given by the caller. */
  readonly name: string;
  readonly task: DeepPavlovTask;
  /** Hub id of the base transformer, or null when the whole model folder comes from a download (embedders). */
  readonly transformer: string | null;
  /** The variables after substitution. */
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly downloads: readonly DeepPavlovDownload[];
  /** Files inside the downloads; absent entries do not apply to this task. */
  readonly files: {
    /** `model.pth.tar` (TorchModel: `load_path` with its suffix replaced by `.pth.tar`). */
    readonly weights?: DeepPavlovFile;
    /** `model_crf.pth.tar` when `use_crf`. */
    readonly crf?: DeepPavlovFile;
    readonly tagVocab?: DeepPavlovFile;
    readonly classVocab?: DeepPavlovFile;
    /** Embedders: the model folder (`pytorch_model.bin` inside), its config and vocab. */
    readonly modelFolder?: DeepPavlovFile;
    readonly modelConfig?: DeepPavlovFile;
    readonly vocab?: DeepPavlovFile;
  };
  /** False when the config names no download holding the weights (the model was never published). */
  readonly weightsAvailable: boolean;
  readonly preprocessor: DeepPavlovPreprocessor;
  readonly head: DeepPavlovHead;
  /** `chainer.in` and `chainer.out`. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Options of {@link parseDeepPavlovConfig}.
 *
 * @example
 * ```ts
 * parseDeepPavlovConfig(json, { name: 'russian_superglue_danetqa_rubert', variables: { BINARY_CLASSIFICATION: true } });
 * ```
 */
export interface ParseDeepPavlovOptions {
  /** Used in errors and as {@link DeepPavlovConfig.name}. */
  readonly name?: string;
  /** Variable overrides, like DeepPavlov's `DP_<NAME>` environment variables (applied before substitution). */
  readonly variables?: Readonly<Record<string, JsonValue>>;
}

const PREPROCESSORS = new Set([
  'torch_transformers_preprocessor',
  'torch_transformers_ner_preprocessor',
  'torch_squad_transformers_preprocessor',
  'torch_bert_ranker_preprocessor',
  'path_ranking_preprocessor',
  'transformers_bert_preprocessor',
]);
const MODELS: Readonly<Record<string, DeepPavlovTask>> = {
  torch_transformers_sequence_tagger: 'ner',
  torch_transformers_classifier: 'classification',
  torch_transformers_squad: 'squad',
  torch_bert_ranker: 'ranking',
  torch_transformers_nll_ranker: 'rel-ranking',
  transformers_bert_embedder: 'embedder',
};
/** Components that only shape training targets or map outputs; bertweb reproduces them in the heads. */
const HELPERS = new Set([
  'simple_vocab',
  'one_hotter',
  'proba2labels',
  'squad_bert_mapping',
  'squad_bert_ans_preprocessor',
  'squad_bert_ans_postprocessor',
]);
/** Transformer families bertweb runs; anything else in `TRANSFORMER` is UNSUPPORTED. */
const BERT_FAMILY = /(^|[/_-])(distil)?(ru|m)?bert|labse|minilm/i;
const NOT_BERT = /roberta|deberta|xlm|albert|electra|camembert|flaubert|mpnet|(^|[/_-])t5|bart|gpt|llama/i;

type Obj = { [key: string]: JsonValue };

function isObj(v: JsonValue | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(name: string, message: string, details: Record<string, unknown> = {}): BertwebError {
  return new BertwebError('MODEL_INVALID', `DeepPavlov config ${name}: ${message}`, { config: name, ...details });
}

/** Python's `str(value)` for the values configs hold. */
function pythonStr(value: JsonValue): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  return JSON.stringify(value);
}

/** Python `str.format(**variables)` for `{NAME}` fields and `{{` / `}}` escapes. */
function pyFormat(text: string, variables: Readonly<Record<string, JsonValue>>, name: string): string {
  return text.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const key = field ?? '';
    if (!(key in variables)) throw invalid(name, `unknown variable {${key}} in "${text}"`, { variable: key });
    return pythonStr(variables[key] as JsonValue);
  });
}

function resolveVariables(config: Obj, options: ParseDeepPavlovOptions, name: string): Record<string, JsonValue> {
  const metadata = isObj(config.metadata) ? config.metadata : {};
  const declared = isObj(metadata.variables) ? metadata.variables : {};
  // DEEPPAVLOV_PATH is predefined by DeepPavlov (its install folder); a placeholder keeps paths readable.
  const variables: Record<string, JsonValue> = { DEEPPAVLOV_PATH: '{DEEPPAVLOV_PATH}' };
  for (const [key, raw] of Object.entries(declared)) {
    let value: JsonValue = options.variables && key in options.variables ? (options.variables[key] as JsonValue) : raw;
    const exact = typeof value === 'string' ? /^\{([^{}]*)\}$/.exec(value) : null;
    if (exact && (exact[1] as string) in variables) value = variables[exact[1] as string] as JsonValue;
    else if (typeof value === 'string') value = pyFormat(value, variables, name);
    variables[key] = value;
  }
  return variables;
}

function substitute(item: JsonValue, variables: Readonly<Record<string, JsonValue>>, name: string): JsonValue {
  if (typeof item === 'string') {
    const exact = /^\{([^{}]*)\}$/.exec(item);
    if (exact && (exact[1] as string) in variables) return variables[exact[1] as string] as JsonValue;
    return pyFormat(item, variables, name);
  }
  if (Array.isArray(item)) return item.map((v) => substitute(v, variables, name));
  if (isObj(item)) return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, substitute(v, variables, name)]));
  return item;
}

/** POSIX path normalization: collapses `//`, `/./` and a trailing `/` (paths here never contain `..`). */
function normalizePath(path: string): string {
  return path
    .split('/')
    .filter((part, i) => part !== '' || i === 0)
    .filter((part) => part !== '.')
    .join('/');
}

/** Python's `Path(path).with_suffix(suffix)`: replaces the last name's suffix (after its last dot, if any). */
function withSuffix(path: string, suffix: string): string {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 && dot < base.length - 1 ? base.slice(0, dot) : base;
  return `${path.slice(0, slash + 1)}${stem}${suffix}`;
}

function str(component: Obj, key: string): string | undefined {
  const v = component[key];
  return typeof v === 'string' ? v : undefined;
}

function bool(component: Obj, key: string, fallback: boolean, name: string): boolean {
  const v = component[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  throw invalid(name, `${String(component.class_name)}.${key} must be a boolean, got ${JSON.stringify(v)}`);
}

function int(component: Obj, key: string, fallback: number | null, name: string): number | null {
  const v = component[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  throw invalid(name, `${String(component.class_name)}.${key} must be a positive integer, got ${JSON.stringify(v)}`);
}

function strings(v: JsonValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Parses a DeepPavlov 1.7 config (the JSON object) into a {@link DeepPavlovConfig}.
 *
 * Throws `BertwebError('UNSUPPORTED')` naming the component for pieces bertweb cannot run (an unknown
 * `class_name`, a non-BERT transformer, a multiple-choice or passage-classifier model), and
 * `MODEL_INVALID` for malformed configs (no chainer, unknown variable, bad setting types).
 *
 * @example
 * ```ts
 * const cfg = parseDeepPavlovConfig(JSON.parse(text), { name: 'ner_rus_bert' });
 * cfg.task; // 'ner'
 * cfg.transformer; // 'DeepPavlov/rubert-base-cased'
 * cfg.files.weights; // { download: 0, path: 'model.pth.tar' }
 * cfg.preprocessor.maxSubwordLength; // 15
 * ```
 */
export function parseDeepPavlovConfig(json: unknown, options: ParseDeepPavlovOptions = {}): DeepPavlovConfig {
  const name = options.name ?? 'config';
  if (!isObj(json as JsonValue)) throw invalid(name, 'not a JSON object');
  const raw = json as Obj;
  const variables = resolveVariables(raw, options, name);
  const config = substitute(raw, variables, name) as Obj;
  const chainer = config.chainer;
  if (!isObj(chainer) || !Array.isArray(chainer.pipe)) throw invalid(name, 'no chainer.pipe');

  const pipe = chainer.pipe.filter(isObj);
  const byId = new Map<string, Obj>();
  for (const c of pipe) if (typeof c.id === 'string') byId.set(c.id, c);
  let preprocessor: Obj | undefined;
  let model: Obj | undefined;
  let proba2labels: Obj | undefined;
  for (const c of pipe) {
    if (typeof c.ref === 'string') {
      if (!byId.has(c.ref)) throw invalid(name, `"ref": "${c.ref}" names no component`);
      continue;
    }
    const cls = str(c, 'class_name');
    if (!cls) throw invalid(name, 'a pipe component has no class_name');
    if (PREPROCESSORS.has(cls)) preprocessor ??= c;
    else if (cls in MODELS) {
      if (model)
        throw new BertwebError('UNSUPPORTED', `DeepPavlov config ${name}: two model components`, {
          config: name,
          component: cls,
        });
      model = c;
    } else if (cls === 'proba2labels') proba2labels = c;
    else if (!HELPERS.has(cls)) {
      throw new BertwebError(
        'UNSUPPORTED',
        `DeepPavlov config ${name}: component "${cls}" is not supported by bertweb`,
        {
          config: name,
          component: cls,
        },
      );
    }
  }
  if (!model)
    throw new BertwebError('UNSUPPORTED', `DeepPavlov config ${name}: no supported model component`, { config: name });
  if (!preprocessor) throw invalid(name, 'no tokenizing preprocessor before the model');
  const modelClass = str(model, 'class_name') as string;
  const task = MODELS[modelClass] as DeepPavlovTask;
  if (model.psg_cls === true) {
    throw new BertwebError(
      'UNSUPPORTED',
      `DeepPavlov config ${name}: torch_transformers_squad with psg_cls (passage classifier) is not supported`,
      {
        config: name,
        component: `${modelClass}.psg_cls`,
      },
    );
  }

  // ---- the base transformer ----
  const transformer =
    task === 'embedder' ? null : (str(model, 'pretrained_bert') ?? str(preprocessor, 'vocab_file') ?? null);
  if (task !== 'embedder') {
    if (!transformer) throw invalid(name, `${modelClass} has no pretrained_bert`);
    if (NOT_BERT.test(transformer) || !BERT_FAMILY.test(transformer)) {
      throw new BertwebError(
        'UNSUPPORTED',
        `DeepPavlov config ${name}: transformer "${transformer}" is not a BERT-family model`,
        {
          config: name,
          component: 'TRANSFORMER',
          transformer,
        },
      );
    }
  }

  // ---- downloads and the files inside them ----
  const metadata = isObj(config.metadata) ? config.metadata : {};
  const rawDownloads = Array.isArray(metadata.download) ? metadata.download : [];
  const downloads0 = rawDownloads.map((d) => {
    if (typeof d === 'string') return { url: d, subdir: normalizePath(String(variables.DOWNLOADS_PATH ?? '')) };
    if (!isObj(d) || typeof d.url !== 'string') throw invalid(name, 'a metadata.download entry has no url');
    return {
      url: d.url,
      subdir: normalizePath(typeof d.subdir === 'string' ? d.subdir : String(variables.DOWNLOADS_PATH ?? '')),
    };
  });
  const used = new Set<number>();
  const locate = (path: string | undefined): DeepPavlovFile | undefined => {
    if (!path) return undefined;
    const p = normalizePath(path);
    // The deepest subdir wins (two archives may unpack under one another).
    let best: { download: number; path: string } | undefined;
    downloads0.forEach((d, i) => {
      if (
        p.startsWith(`${d.subdir}/`) &&
        (!best || d.subdir.length > (downloads0[best.download]?.subdir.length ?? 0))
      ) {
        best = { download: i, path: p.slice(d.subdir.length + 1) };
      }
    });
    if (best) used.add(best.download);
    return best;
  };

  const loadPath = str(model, 'load_path');
  const files: { -readonly [K in keyof DeepPavlovConfig['files']]: DeepPavlovConfig['files'][K] } = {};
  // Keys are set only for files found inside a download (absent keys: not applicable, or not published).
  const put = (key: keyof DeepPavlovConfig['files'], file: DeepPavlovFile | undefined) => {
    if (file) files[key] = file;
  };
  if (task === 'embedder') {
    put('modelFolder', locate(loadPath));
    put('modelConfig', locate(str(model, 'bert_config_path')));
    put('vocab', locate(str(preprocessor, 'vocab_file')));
  } else if (loadPath) {
    put('weights', locate(withSuffix(loadPath, '.pth.tar')));
  }
  const useCrf = task === 'ner' && bool(model, 'use_crf', false, name);
  if (useCrf && loadPath) put('crf', locate(withSuffix(`${loadPath}_crf`, '.pth.tar')));

  // ---- vocabularies named by #id.len and by ref ----
  const vocabFile = (c: Obj | undefined) => (c ? locate(str(c, 'load_path')) : undefined);
  const labelsOf = (key: string): DeepPavlovHead['labels'] => {
    const v = model[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number') return v;
    const ref = typeof v === 'string' ? /^#([^.]+)\.len$/.exec(v) : null;
    if (!ref) throw invalid(name, `${modelClass}.${key} must be a number or "#id.len", got ${JSON.stringify(v)}`);
    const vocab = byId.get(ref[1] as string);
    if (!vocab || str(vocab, 'class_name') !== 'simple_vocab') throw invalid(name, `${v} names no simple_vocab`);
    return { vocab: task === 'ner' ? 'tags' : 'classes' };
  };
  let labels: DeepPavlovHead['labels'] = null;
  if (task === 'ner') {
    labels = labelsOf('n_tags');
    put('tagVocab', vocabFile([...byId.values()].find((c) => str(c, 'class_name') === 'simple_vocab')));
  } else if (task === 'classification' || task === 'ranking') {
    labels = labelsOf('n_classes') ?? (task === 'ranking' ? 2 : null);
    const classes = [...byId.values()].find((c) => str(c, 'class_name') === 'simple_vocab');
    put('classVocab', vocabFile(classes));
  }
  const downloads = downloads0.map((d, i) => ({ ...d, needed: used.has(i) }));
  const weightsAvailable = task === 'embedder' ? files.modelFolder !== undefined : files.weights !== undefined;

  // ---- settings ----
  const preClass = str(preprocessor, 'class_name') as string;
  const isNer = preClass === 'torch_transformers_ner_preprocessor';
  // Component defaults: the NER and embedder preprocessors keep case, the others lowercase.
  const defaultLower = !(isNer || preClass === 'transformers_bert_preprocessor');
  const mode = str(preprocessor, 'subword_mask_mode') ?? 'first';
  if (mode !== 'first' && mode !== 'last')
    throw invalid(name, `subword_mask_mode must be "first" or "last", got "${mode}"`);
  const pre: DeepPavlovPreprocessor = {
    className: preClass,
    doLowerCase: bool(preprocessor, 'do_lower_case', defaultLower, name),
    maxSeqLength: int(
      preprocessor,
      'max_seq_length',
      preClass === 'path_ranking_preprocessor' ? 67 : 512,
      name,
    ) as number,
    maxSubwordLength: isNer ? int(preprocessor, 'max_subword_length', null, name) : null,
    subwordMaskMode: mode,
    wordSplit: isNer ? '1.7' : null,
    addTokenTypeIds: bool(preprocessor, 'add_token_type_ids', false, name),
    inputs: strings(preprocessor.in),
  };
  const isBinary = task === 'classification' && bool(model, 'is_binary', false, name);
  const head: DeepPavlovHead = {
    className: modelClass,
    labels,
    useCrf,
    multilabel: task === 'classification' && bool(model, 'multilabel', false, name),
    isBinary,
    returnProbas: bool(model, 'return_probas', task === 'ranking', name),
    proba2labels: proba2labels
      ? {
          maxProba: bool(proba2labels, 'max_proba', false, name),
          confidenceThreshold:
            typeof proba2labels.confidence_threshold === 'number' ? proba2labels.confidence_threshold : null,
          isBinary: bool(proba2labels, 'is_binary', false, name),
        }
      : null,
  };
  return {
    name,
    task,
    transformer,
    variables,
    downloads,
    files,
    weightsAvailable,
    preprocessor: pre,
    head,
    inputs: strings(chainer.in),
    outputs: strings(chainer.out),
  };
}
