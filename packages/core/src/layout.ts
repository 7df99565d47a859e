/**
 * The model folder contract (DESIGN.md "Model folder"): which file holds which weight precision, which
 * architectures bertweb knows and what task each implements, and the names of the metadata files. The
 * runtime reads folders by these names and `@bertweb/convert` writes them; both import them from here.
 */

/** Every weight precision, in the order the converter writes them by default. */
export const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;

/**
 * Weight precision of an ONNX variant: `fp32`, `fp16`, `q8` (int8 dynamic quantization, for WASM) or
 * `q4` (4-bit MatMulNBits, for WebGPU).
 *
 * @example
 * ```ts
 * const dtype: Dtype = 'q8';
 * DTYPE_FILES[dtype]; // 'onnx/model_quantized.onnx'
 * ```
 */
export type Dtype = (typeof DTYPES)[number];

/**
 * ONNX file of each dtype inside a model folder (Transformers.js names, so hub ONNX repos work as they are).
 *
 * @example
 * ```ts
 * await files.bytes(DTYPE_FILES.q4); // 'onnx/model_q4.onnx'
 * ```
 */
export const DTYPE_FILES: Readonly<Record<Dtype, string>> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

/**
 * Whether a value names a {@link Dtype}.
 *
 * @example
 * ```ts
 * isDtype('q8'); // true
 * isDtype('int4'); // false
 * ```
 */
export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/**
 * What a model computes, by its graph outputs (Hugging Face pipeline names): `feature-extraction`
 * (`last_hidden_state`, optional `pooler_output`), `token-classification` (`logits` per token),
 * `question-answering` (`start_logits`, `end_logits`), `sequence-classification` (`logits` per input).
 *
 * @example
 * ```ts
 * const task: ModelTask = model.info.task; // 'token-classification' for a NER model
 * ```
 */
export type ModelTask =
  | 'feature-extraction'
  | 'token-classification'
  | 'question-answering'
  | 'sequence-classification';

/** Every {@link ModelTask}. */
export const MODEL_TASKS: readonly ModelTask[] = [
  'feature-extraction',
  'token-classification',
  'question-answering',
  'sequence-classification',
];

/**
 * The graph outputs each task must have (DESIGN.md "Graph outputs by task").
 *
 * @example
 * ```ts
 * TASK_OUTPUTS['question-answering']; // ['start_logits', 'end_logits']
 * ```
 */
export const TASK_OUTPUTS: Readonly<Record<ModelTask, readonly string[]>> = {
  'feature-extraction': ['last_hidden_state'],
  'token-classification': ['logits'],
  'question-answering': ['start_logits', 'end_logits'],
  'sequence-classification': ['logits'],
};

/**
 * Encoder families bertweb runs and converts.
 *
 * @example
 * ```ts
 * const family: ModelFamily = ARCHITECTURES.DistilBertModel.family; // 'distilbert'
 * ```
 */
export type ModelFamily = 'bert' | 'distilbert';

/**
 * Known `config.json` architectures and what they are. Masked-LM and pretraining heads count as
 * feature extraction: their encoder is what bertweb runs (the converter drops the LM head).
 *
 * @example
 * ```ts
 * ARCHITECTURES.BertForTokenClassification; // { family: 'bert', task: 'token-classification' }
 * ```
 */
export const ARCHITECTURES: Readonly<Record<string, { readonly family: ModelFamily; readonly task: ModelTask }>> = {
  BertModel: { family: 'bert', task: 'feature-extraction' },
  BertForMaskedLM: { family: 'bert', task: 'feature-extraction' },
  BertForPreTraining: { family: 'bert', task: 'feature-extraction' },
  BertForNextSentencePrediction: { family: 'bert', task: 'feature-extraction' },
  BertForTokenClassification: { family: 'bert', task: 'token-classification' },
  BertForQuestionAnswering: { family: 'bert', task: 'question-answering' },
  BertForSequenceClassification: { family: 'bert', task: 'sequence-classification' },
  DistilBertModel: { family: 'distilbert', task: 'feature-extraction' },
  DistilBertForMaskedLM: { family: 'distilbert', task: 'feature-extraction' },
  DistilBertForTokenClassification: { family: 'distilbert', task: 'token-classification' },
  DistilBertForQuestionAnswering: { family: 'distilbert', task: 'question-answering' },
  DistilBertForSequenceClassification: { family: 'distilbert', task: 'sequence-classification' },
};

const TASK_SUFFIXES: readonly (readonly [string, ModelTask])[] = [
  ['ForTokenClassification', 'token-classification'],
  ['ForQuestionAnswering', 'question-answering'],
  ['ForSequenceClassification', 'sequence-classification'],
];

/**
 * The task of an architecture name: from {@link ARCHITECTURES}, else from its Hugging Face suffix
 * (`...ForTokenClassification`), else feature extraction (an encoder without a known head).
 *
 * @example
 * ```ts
 * taskOfArchitecture('BertForQuestionAnswering'); // 'question-answering'
 * taskOfArchitecture(undefined); // 'feature-extraction'
 * ```
 */
export function taskOfArchitecture(architecture: string | undefined): ModelTask {
  if (architecture === undefined) return 'feature-extraction';
  const known = Object.hasOwn(ARCHITECTURES, architecture) ? ARCHITECTURES[architecture] : undefined;
  if (known) return known.task;
  for (const [suffix, task] of TASK_SUFFIXES) if (architecture.endsWith(suffix)) return task;
  return 'feature-extraction';
}

/**
 * The architecture name a converted model's config.json states for a family and task.
 *
 * @example
 * ```ts
 * architectureName('distilbert', 'question-answering'); // 'DistilBertForQuestionAnswering'
 * ```
 */
export function architectureName(family: ModelFamily, task: ModelTask): string {
  const prefix = family === 'bert' ? 'Bert' : 'DistilBert';
  switch (task) {
    case 'feature-extraction':
      return `${prefix}Model`;
    case 'token-classification':
      return `${prefix}ForTokenClassification`;
    case 'question-answering':
      return `${prefix}ForQuestionAnswering`;
    case 'sequence-classification':
      return `${prefix}ForSequenceClassification`;
  }
}

/** The Hugging Face config of a model folder. */
export const CONFIG_FILE = 'config.json';
/** Optional CRF parameters of a tagger: `{"transitions": [[..]], "start": [..], "end": [..]}`. */
export const CRF_FILE = 'crf.json';
/**
 * Optional head defaults recorded with a model: `{"head": "tagger", "origin": "...", "options": {...}}`. The
 * head named there takes `options` as its defaults (explicit options win); a converted DeepPavlov config
 * carries its preprocessing and head settings this way.
 *
 * @example
 * ```ts
 * if (await files.exists(HEAD_SETTINGS_FILE)) console.log(await files.json(HEAD_SETTINGS_FILE)); // { head: 'tagger', options: {...} }
 * ```
 */
export const HEAD_SETTINGS_FILE = 'head_settings.json';

/**
 * Tokenizer files a model folder may hold (a `tokenizer.json`, or `vocab.txt` with its configs).
 *
 * @example
 * ```ts
 * TOKENIZER_FILES.includes('vocab.txt'); // true
 * ```
 */
export const TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
];

/**
 * sentence-transformers files a sentence encoder's folder may hold: the module list, its settings and
 * the pooling configuration (DESIGN.md "Model folder").
 *
 * @example
 * ```ts
 * SENTENCE_TRANSFORMERS_FILES.includes('1_Pooling/config.json'); // true
 * ```
 */
export const SENTENCE_TRANSFORMERS_FILES: readonly string[] = [
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  '1_Pooling/config.json',
];
