/**
 * Public API of bertweb's tokenizer: WordPiece (BERT family) implemented here, id-for-id identical
 * to Hugging Face tokenizers and with offsets in UTF-16 units of the input; other tokenizer types
 * delegated to @huggingface/tokenizers behind the same interface.
 */

export type { AddedTokenSpec } from './added-tokens.js';
export { modelMaxLengthFrom, type TokenizerLoadOptions } from './config.js';
export { cleanUpTokenization, decodeWordPieces, type WordPieceDecoderOptions } from './decoder.js';
export { DelegatedTokenizer } from './delegated-tokenizer.js';
export { loadTokenizer, tokenizerFromJson, tokenizerFromVocab } from './load.js';
export type { BertNormalizerOptions } from './normalizer.js';
export type { TruncationDefaults } from './options.js';
export type { PaddingParams, PostProcessorSpec, TemplatePiece } from './post-processor.js';
export type { TruncationDirection } from './truncation.js';
export type {
  EncodeOptions,
  Encoding,
  SpecialTokens,
  Tokenizer,
  TruncationOptions,
  TruncationStrategy,
  WordPieces,
} from './types.js';
export { parseVocabTxt, type Vocab, vocabFromObject } from './vocab.js';
export { WordPieceTokenizer, type WordPieceTokenizerConfig } from './wordpiece-tokenizer.js';
