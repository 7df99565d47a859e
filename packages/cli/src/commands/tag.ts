/** `bertweb tag --model M`: stdin lines -> one JSON array of entities per line. */
import { createTagger, type TaggerOptions, type TagScheme, type WordSplit } from '@bertweb/tagging';
import { choiceFlag, intFlag, type ParsedArgs, stringFlag } from '../args.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  type Command,
  MODEL_FLAGS,
  MODEL_FLAGS_USAGE,
  modelOptions,
  modelSource,
} from '../command.js';
import { type CommandIO, withHeadOverLines } from '../io.js';

/** Tagger flags shared by `tag` and `eval ner`. */
export const TAGGER_FLAGS = [
  'crf',
  'constrain',
  'scheme',
  'max-length',
  'window-overlap',
  'max-subword-pieces',
  'word-split',
] as const;

export const TAGGER_FLAGS_USAGE = `  --crf auto|off           CRF decoding with crf.json when present (default auto)
  --constrain              forbid invalid tag moves (O -> I-X, B-X -> I-Y, ...) when decoding
  --scheme S               BIO | BIOES | IO (default: detected from the labels)
  --max-length N           window length in subtokens (default: the model limit, 512)
  --window-overlap N       subtokens repeated between windows of long texts (default 128)
  --max-subword-pieces N   a word with more pieces becomes [UNK] (default 15, as DeepPavlov)
  --word-split S           deeppavlov-1.7 (default) | legacy: how lines are split into words (use the
                           split the model was trained with; DeepPavlov before 1.4 used legacy)`;

/**
 * Tagger options from the shared model flags and {@link TAGGER_FLAGS}.
 *
 * @example
 * ```ts
 * const tagger = await createTagger(await modelSource(args, USAGE), taggerOptions(args, io));
 * ```
 */
export function taggerOptions(args: ParsedArgs, io: CommandIO): TaggerOptions {
  const crf = choiceFlag(args, 'crf', ['auto', 'off']);
  const scheme = choiceFlag<TagScheme>(args, 'scheme', ['BIO', 'BIOES', 'IO']);
  const maxLength = intFlag(args, 'max-length');
  const overlap = stringFlag(args, 'window-overlap');
  const maxPieces = intFlag(args, 'max-subword-pieces');
  const wordSplit = choiceFlag<WordSplit>(args, 'word-split', ['deeppavlov-1.7', 'legacy']);
  return {
    ...modelOptions(args, io),
    ...(crf === 'off' ? { crf: false } : {}),
    ...(args.flags.has('constrain') ? { constrainBio: true } : {}),
    ...(scheme ? { scheme } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(overlap !== undefined ? { windowOverlap: Number(overlap) } : {}),
    ...(maxPieces !== undefined ? { maxSubwordPieces: maxPieces } : {}),
    ...(wordSplit ? { wordSplit } : {}),
  };
}

const USAGE = `bertweb tag --model M [--crf auto|off] [--constrain] [--scheme BIO|BIOES|IO]
bertweb tag --config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL] [tagger flags]

Reads one text per stdin line and writes its named entities as a JSON array, one line per input line,
in order: [{"text","label","start","end","score"}], where text === line.slice(start, end) (UTF-16
offsets) and score is the mean softmax probability of the entity's word tags. Lines of any length
are tagged in overlapping windows. An empty line gives [].

${MODEL_FLAGS_USAGE}
${CONFIG_FLAGS_USAGE}
${TAGGER_FLAGS_USAGE}`;

export const tagCommand: Command = {
  name: 'tag',
  summary: 'stdin lines -> JSON array of entities {text, label, start, end, score} per line',
  usage: USAGE,
  flags: [...MODEL_FLAGS, ...CONFIG_FLAGS, ...TAGGER_FLAGS],
  booleanFlags: ['constrain', 'no-cache'],
  async run(args, io) {
    const tagger = await createTagger(await modelSource(args, USAGE), taggerOptions(args, io));
    await withHeadOverLines(
      tagger,
      io,
      (line) => line,
      async (texts, call) => {
        for (const entities of await tagger.tag(texts, call)) io.out(JSON.stringify(entities));
      },
    );
  },
};
