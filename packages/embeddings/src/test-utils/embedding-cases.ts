/**
 * Texts of the embeddings parity test (embedder.parity.test.ts) and of the script that dumps their
 * tokenization for models/scripts/ref_embeddings.py (dump-embedding-inputs.ts).
 */

/** Tokens per text in the parity test (small, so that the long text is cut and chunked). */
export const PARITY_MAX_LENGTH = 32;

/** The parity texts: sentences, WordPiece continuations, punctuation, accents, Cyrillic, emoji, empty. */
export const PARITY_TEXTS: readonly string[] = [
  'Hello, world!',
  'The quick brown fox jumps over the lazy dog.',
  'Unbelievably, tokenization splits uncommonwords into wordpieces.',
  'A café in Zürich serves crème brûlée; naïve façades.',
  'Москва — столица России, а Казань — столица Татарстана.',
  'Emoji 🎉 and flags 🇫🇷 become [UNK] 👩‍👩‍👧‍👦 tokens.',
  '',
  '   \t\n ',
  'One',
  "Don't stop: it's 3.14 km/h, e.g. (in 2024) #hashtags @user.",
  'Decomposed accents: Cafe\u0301 and nai\u0308ve.',
  'Mixed 東京 and 서울 and Αθήνα text.',
  'STS-B: A man is playing a guitar. A woman is slicing an onion.',
  'Long text: ' +
    'The history of the region spans many centuries, with kingdoms rising and falling, '.repeat(6) +
    'until the modern state emerged.',
  'Another sentence that is reasonably long but fits easily.',
  'lowercase only sentence without punctuation',
  'UPPERCASE SENTENCE WITH NUMBERS 12345 AND 67890',
  'tab\tseparated\tvalues and\nnew lines',
  '\u0000control\u0007characters\u001f here',
  'Ёлка, ёжик и щука — words with ё and щ.',
];
