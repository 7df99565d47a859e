/** `bertweb embed --model M [--pooling P] [--normalize]`: stdin lines -> one JSON array of floats per line. */
import { createEmbedder, type EmbedderOptions, type LongTextMode, type Pooling } from '@bertweb/embeddings';
import { choiceFlag, intFlag, type ParsedArgs } from '../args.js';
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

/** Embedder flags shared by `embed` and `eval sts`. */
export const EMBEDDER_FLAGS = ['pooling', 'normalize', 'long-text', 'max-length'] as const;

export const EMBEDDER_FLAGS_USAGE = `  --pooling P              mean | max | cls | pooler (default: 1_Pooling/config.json, else mean)
  --normalize              L2-normalize each vector (default: on when modules.json has a Normalize module)
  --long-text L            truncate (default) | chunk (average the vectors of consecutive windows)
  --max-length N           tokens per text (default: sentence_bert_config.json, else the model limit)`;

/**
 * Embedder options from the shared model flags and {@link EMBEDDER_FLAGS}.
 *
 * @example
 * ```ts
 * const embedder = await createEmbedder(await modelSource(args, USAGE), embedderOptions(args, io));
 * ```
 */
export function embedderOptions(args: ParsedArgs, io: CommandIO): EmbedderOptions {
  const pooling = choiceFlag<Pooling>(args, 'pooling', ['mean', 'max', 'cls', 'pooler']);
  const longText = choiceFlag<LongTextMode>(args, 'long-text', ['truncate', 'chunk']);
  const maxLength = intFlag(args, 'max-length');
  return {
    ...modelOptions(args, io),
    ...(pooling ? { pooling } : {}),
    ...(args.flags.has('normalize') ? { normalize: true } : {}),
    ...(longText ? { longText } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
  };
}

const USAGE = `bertweb embed --model M [--pooling mean|max|cls|pooler] [--normalize] [--long-text truncate|chunk]
bertweb embed --config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL] [embedder flags]

Reads one text per stdin line and writes its sentence vector as a JSON array of numbers, one line per
input line, in order. An empty line gives a zero vector.

${MODEL_FLAGS_USAGE}
${CONFIG_FLAGS_USAGE}
${EMBEDDER_FLAGS_USAGE}`;

export const embedCommand: Command = {
  name: 'embed',
  summary: 'stdin lines -> one JSON array of floats (sentence vector) per line',
  usage: USAGE,
  flags: [...MODEL_FLAGS, ...CONFIG_FLAGS, ...EMBEDDER_FLAGS],
  booleanFlags: ['normalize', 'no-cache'],
  async run(args, io) {
    const embedder = await createEmbedder(await modelSource(args, USAGE), embedderOptions(args, io));
    await withHeadOverLines(
      embedder,
      io,
      (line) => line,
      async (texts, call) => {
        const { data, dim, rows } = await embedder.embed(texts, call);
        for (let r = 0; r < rows; r++) io.out(JSON.stringify(Array.from(data.subarray(r * dim, (r + 1) * dim))));
      },
    );
  },
};
