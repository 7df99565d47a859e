/** `bertweb qa --model M --question Q --context C`: the best answer (or top-k) as JSON. */
import { createReader, type ReaderOptions } from '@bertweb/qa';
import { intFlag, numberFlag, type ParsedArgs, stringFlag } from '../args.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  type Command,
  MODEL_FLAGS,
  MODEL_FLAGS_USAGE,
  modelOptions,
  modelSource,
} from '../command.js';
import type { CommandIO } from '../io.js';

/** Reader flags shared by `qa` and `eval squad`. */
export const READER_FLAGS = ['max-length', 'window-overlap', 'max-answer-length', 'no-answer-threshold'] as const;

export const READER_FLAGS_USAGE = `  --max-length N           window length in tokens, question included (default 384)
  --window-overlap N       context tokens shared by consecutive windows (Hugging Face doc_stride; default 128)
  --max-answer-length N    longest answer in subtokens (default 30)
  --no-answer-threshold T  SQuAD 2.0: answer "" when the no-answer score beats the best span by more than T`;

/**
 * Reader options from the shared model flags and {@link READER_FLAGS}.
 *
 * @example
 * ```ts
 * const reader = await createReader(source, readerOptions(args, io));
 * ```
 */
export function readerOptions(args: ParsedArgs, io: CommandIO): ReaderOptions {
  const maxLength = intFlag(args, 'max-length');
  // 0 is a valid overlap; intFlag accepts positive integers only.
  const windowOverlap = stringFlag(args, 'window-overlap') === '0' ? 0 : intFlag(args, 'window-overlap');
  const maxAnswerLength = intFlag(args, 'max-answer-length');
  const noAnswerThreshold = numberFlag(args, 'no-answer-threshold');
  return {
    ...modelOptions(args, io),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(windowOverlap !== undefined ? { windowOverlap } : {}),
    ...(maxAnswerLength !== undefined ? { maxAnswerLength } : {}),
    ...(noAnswerThreshold !== undefined ? { noAnswerThreshold } : {}),
  };
}

const USAGE = `bertweb qa --model M --question Q [--context C] [--top-k N] [reader flags]
bertweb qa --config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL] --question Q [--context C] ...

Answers Q from C with a question-answering model and writes one JSON line:
{"text", "start", "end", "score", "noAnswer"} (start/end: UTF-16 offsets into C, so C.slice(start, end) is
text), or with --top-k an array of up to N such objects, best first. Without --context the whole of stdin
is the context (long contexts are read in overlapping windows). A no-answer result (SQuAD 2.0, only with
--no-answer-threshold) is {"text": "", "start": -1, "end": -1, "score": <no-answer score>, "noAnswer": true}.

${MODEL_FLAGS_USAGE}
${CONFIG_FLAGS_USAGE}
  --question Q             the question
  --context C              the context (default: stdin)
  --top-k N                the N best answers
${READER_FLAGS_USAGE}`;

export const qaCommand: Command = {
  name: 'qa',
  summary: 'extractive QA: --question Q --context C -> {"text","start","end","score","noAnswer"}',
  usage: USAGE,
  flags: [...MODEL_FLAGS, ...CONFIG_FLAGS, ...READER_FLAGS, 'question', 'context', 'top-k'],
  booleanFlags: ['no-cache'],
  async run(args, io) {
    const source = await modelSource(args, USAGE);
    const question = stringFlag(args, 'question', true);
    const context = stringFlag(args, 'context') ?? (await io.readAll());
    const topK = intFlag(args, 'top-k');
    const reader = await createReader(source, readerOptions(args, io));
    try {
      const signal = io.signal ? { signal: io.signal } : {};
      const result =
        topK === undefined
          ? await reader.answer(question, context, signal)
          : await reader.answer(question, context, { topK, ...signal });
      io.out(JSON.stringify(result));
    } finally {
      await reader.dispose();
    }
  },
};
