/** `bertweb tokenize --model M [--pair] [--max-length N]`: stdin lines -> {"ids","tokens","offsets"} per line. */
import { loadTokenizer, resolveSource } from '@bertweb/core';
import { intFlag, stringFlag } from '../args.js';
import { type Command, MODEL_FLAGS, modelOptions } from '../command.js';

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'stdin lines -> {"ids","tokens","offsets"} per line (offsets in UTF-16 units)',
  usage: `bertweb tokenize --model M [--pair] [--max-length N] [--no-special-tokens]

Reads one text per stdin line (with --pair: "text<TAB>text_pair") and writes one JSON object per line:
{"ids": [...], "tokens": [...], "offsets": [[start, end], ...], "typeIds": [...], "wordIds": [...]}.
Only the tokenizer files of the model are read (no ONNX download).

  --model M            model folder, folder URL or hub id
  --pair               each line holds a pair separated by a tab
  --max-length N       truncate (longest_first) to N tokens including special tokens
  --no-special-tokens  do not add [CLS]/[SEP]`,
  flags: [...MODEL_FLAGS, 'pair', 'max-length', 'no-special-tokens'],
  booleanFlags: ['pair', 'no-special-tokens', 'no-cache'],
  async run(args, io) {
    const options = modelOptions(args, io);
    const files = resolveSource(stringFlag(args, 'model', true), options);
    const tokenizer = await loadTokenizer(files, io.signal ? { signal: io.signal } : {});
    const maxLength = intFlag(args, 'max-length');
    const pair = args.flags.has('pair');
    for await (const line of io.lines()) {
      const [text = '', second] = pair ? splitPair(line) : [line, undefined];
      const encoding = tokenizer.encode(text, {
        ...(second !== undefined ? { pair: second } : {}),
        addSpecialTokens: !args.flags.has('no-special-tokens'),
        ...(maxLength ? { truncation: { maxLength, strategy: 'longest_first' as const } } : {}),
      });
      io.out(
        JSON.stringify({
          ids: encoding.ids,
          tokens: encoding.tokens,
          offsets: encoding.offsets,
          typeIds: encoding.typeIds,
          wordIds: encoding.wordIds,
        }),
      );
    }
  },
};

function splitPair(line: string): [string, string] {
  const tab = line.indexOf('\t');
  return tab === -1 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)];
}
