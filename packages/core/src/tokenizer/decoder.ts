/**
 * Ids back to text, as Hugging Face's WordPiece decoder (and transformers' `decode`) does it.
 */

/**
 * WordPiece decoder settings (tokenizer.json `decoder`, tokenizer_config.json).
 *
 * @example
 * ```ts
 * const options: WordPieceDecoderOptions = { prefix: '##', cleanup: true, cleanUpTokenizationSpaces: true };
 * ```
 */
export interface WordPieceDecoderOptions {
  /** Continuation prefix removed when joining (`##`). */
  readonly prefix: string;
  /** Decoder `cleanup`: per-token space cleanup before punctuation and contractions. */
  readonly cleanup: boolean;
  /** tokenizer_config `clean_up_tokenization_spaces` (default true): the same cleanup on the joined text. */
  readonly cleanUpTokenizationSpaces: boolean;
}

/**
 * transformers' `clean_up_tokenization`: removes the space the decoder put before `.`, `?`, `!`,
 * `,` and English contractions.
 *
 * @example
 * ```ts
 * cleanUpTokenization("can ' t stop , won 't"); // "can't stop, won't"
 * ```
 */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/**
 * Joins WordPiece tokens: continuation pieces lose their prefix and attach to the previous token,
 * other tokens are separated by a space.
 *
 * @example
 * ```ts
 * decodeWordPieces(['un', '##want', '##ed', ',', 'running'], { prefix: '##', cleanup: true, cleanUpTokenizationSpaces: true });
 * // 'unwanted, running'
 * ```
 */
export function decodeWordPieces(tokens: readonly string[], options: WordPieceDecoderOptions): string {
  const { prefix, cleanup } = options;
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i] as string;
    if (i !== 0) {
      if (prefix !== '' && token.startsWith(prefix)) token = token.slice(prefix.length);
      else token = ` ${token}`;
    }
    out += cleanup ? cleanUpTokenization(token) : token;
  }
  return options.cleanUpTokenizationSpaces ? cleanUpTokenization(out) : out;
}
