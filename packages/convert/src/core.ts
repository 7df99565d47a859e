/** The pieces of `@bertweb/core` this package uses, imported in one place. */
export {
  ARCHITECTURES,
  architectureName,
  BertwebError,
  DTYPE_FILES,
  DTYPES,
  type Dtype,
  type ErrorCode,
  isBertwebError,
  type ModelFamily,
  type ModelTask,
  resolveSource,
  SENTENCE_TRANSFORMERS_FILES,
  TOKENIZER_FILES,
  throwIfAborted,
} from '@bertweb/core';
