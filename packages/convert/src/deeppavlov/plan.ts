/**
 * A DeepPavlov config -> what loading it takes: the tarball to download (on a mirror if asked), the base
 * transformer whose config.json and tokenizer complete it, the files inside the tarball, and the head and
 * its options that reproduce the config's preprocessing and head (docs/deeppavlov-1.7.md).
 */
import { BertwebError, type DeepPavlovPlan, type ModelTask } from '../core.js';
import { type DeepPavlovConfig, type DeepPavlovTask, parseDeepPavlovConfig } from './config.js';
import { DEEPPAVLOV_1_7_CONFIGS } from './known-configs.js';

const TASKS: Readonly<Record<DeepPavlovTask, { readonly task: ModelTask; readonly head: DeepPavlovPlan['head'] }>> = {
  ner: { task: 'token-classification', head: 'tagger' },
  classification: { task: 'sequence-classification', head: 'classifier' },
  squad: { task: 'question-answering', head: 'reader' },
  ranking: { task: 'sequence-classification', head: 'ranker' },
  'rel-ranking': { task: 'sequence-classification', head: 'ranker' },
  embedder: { task: 'feature-extraction', head: 'embedder' },
};

/**
 * Options of {@link deepPavlovPlan}.
 *
 * @example
 * ```ts
 * deepPavlovPlan('ner_rus_bert', { filesBaseUrl: 'http://127.0.0.1:8080' });
 * ```
 */
export interface DeepPavlovPlanOptions {
  /** Replaces the scheme and host of the config's download URLs (a mirror of files.deeppavlov.ai). */
  readonly filesBaseUrl?: string;
}

/**
 * How to load a DeepPavlov config: its JSON (an object or JSON text), or the name of one of DeepPavlov
 * 1.7's BERT-family configs (`ner_rus_bert`, `squad_ru_bert`, ...). `INPUT_INVALID` for an unknown name,
 * `UNSUPPORTED` naming the component bertweb does not have, or when the config publishes no weights.
 *
 * @example
 * ```ts
 * const plan = deepPavlovPlan('ner_rus_bert');
 * plan.head; // 'tagger'
 * plan.archiveUrl; // 'http://files.deeppavlov.ai/v1/ner/ner_rus_bert_torch_new.tar.gz'
 * ```
 */
export function deepPavlovPlan(config: unknown, options: DeepPavlovPlanOptions = {}): DeepPavlovPlan {
  const cfg = readConfig(config);
  if (!cfg.weightsAvailable) {
    throw new BertwebError('UNSUPPORTED', `DeepPavlov config ${cfg.name} publishes no trained weights to download`, {
      config: cfg.name,
    });
  }
  const weightsFile = cfg.task === 'embedder' ? cfg.files.modelFolder : cfg.files.weights;
  if (!weightsFile) throw new BertwebError('MODEL_INVALID', `DeepPavlov config ${cfg.name} names no weights file`);
  const download = cfg.downloads[weightsFile.download];
  if (!download)
    throw new BertwebError('MODEL_INVALID', `DeepPavlov config ${cfg.name}: no download ${weightsFile.download}`);
  const { task, head } = TASKS[cfg.task];
  const path = (file: { readonly path: string } | undefined) => file?.path;
  const files = {
    ...(cfg.task === 'embedder' ? { folder: weightsFile.path } : { weights: weightsFile.path }),
    ...(cfg.files.crf ? { crf: path(cfg.files.crf) } : {}),
    ...(cfg.files.tagVocab ? { tagVocab: path(cfg.files.tagVocab) } : {}),
    ...(cfg.files.classVocab ? { classVocab: path(cfg.files.classVocab) } : {}),
  } as DeepPavlovPlan['files'];
  return {
    name: cfg.name,
    head,
    task,
    archiveUrl: mirrored(download.url, options.filesBaseUrl),
    ...(cfg.transformer ? { base: cfg.transformer } : {}),
    lowercase: cfg.preprocessor.doLowerCase,
    files,
    headOptions: headOptions(cfg),
  };
}

function readConfig(config: unknown): Omit<DeepPavlovConfig, 'variables'> {
  if (typeof config === 'string') {
    const text = config.trim();
    if (text.startsWith('{')) {
      try {
        return parseDeepPavlovConfig(JSON.parse(text));
      } catch (cause) {
        if (cause instanceof BertwebError) throw cause;
        throw new BertwebError('INPUT_INVALID', 'the DeepPavlov config is not valid JSON', undefined, { cause });
      }
    }
    const name =
      text
        .replace(/\.json$/, '')
        .split('/')
        .pop() ?? text;
    const known = Object.hasOwn(DEEPPAVLOV_1_7_CONFIGS, name) ? DEEPPAVLOV_1_7_CONFIGS[name] : undefined;
    if (!known) {
      throw new BertwebError(
        'INPUT_INVALID',
        `no DeepPavlov 1.7 BERT-family config named ${JSON.stringify(name)}; known: ${Object.keys(DEEPPAVLOV_1_7_CONFIGS).join(', ')}`,
        { config: name },
      );
    }
    if ('unsupported' in known) throw new BertwebError('UNSUPPORTED', known.unsupported, { config: name });
    return known.config;
  }
  if (typeof config === 'object' && config !== null && !Array.isArray(config)) return parseDeepPavlovConfig(config);
  throw new BertwebError('INPUT_INVALID', 'a DeepPavlov config is its JSON (object or text) or a 1.7 config name');
}

/** `url` on the mirror `base` (its scheme, host and port, and any path prefix), or as it is. */
function mirrored(url: string, base: string | undefined): string {
  if (base === undefined) return url;
  let mirror: URL;
  try {
    mirror = new URL(base);
  } catch {
    throw new BertwebError('INPUT_INVALID', `files base URL must be an http(s) URL, got ${JSON.stringify(base)}`);
  }
  const original = new URL(url);
  const prefix = mirror.pathname.replace(/\/+$/, '');
  return `${mirror.protocol}//${mirror.host}${prefix}${original.pathname}${original.search}`;
}

/** The head options that reproduce the config's preprocessing and head (docs/deeppavlov-1.7.md). */
function headOptions(cfg: Omit<DeepPavlovConfig, 'variables'>): Readonly<Record<string, unknown>> {
  const { preprocessor: pre, head } = cfg;
  switch (cfg.task) {
    case 'ner':
      return {
        maxLength: pre.maxSeqLength,
        maxSubwordPieces: pre.maxSubwordLength,
        subwordMaskMode: pre.subwordMaskMode,
        wordSplit: pre.wordSplit === '1.7' ? 'deeppavlov-1.7' : 'legacy',
        // The tag vocabulary and crf.json of the converted folder carry the rest (use_crf: crf.json or not).
        ...(head.useCrf ? {} : { crf: false }),
      };
    case 'classification':
      return {
        maxLength: pre.maxSeqLength,
        multilabel: head.multilabel,
        isBinary: head.isBinary,
        returnProbas: head.returnProbas,
        ...(typeof head.labels === 'number' ? { nClasses: head.labels } : {}),
      };
    case 'squad':
      return { maxLength: pre.maxSeqLength, answerRule: 'deeppavlov' };
    case 'ranking':
    case 'rel-ranking':
      return { maxLength: pre.maxSeqLength };
    case 'embedder':
      return { maxLength: pre.maxSeqLength };
  }
}
