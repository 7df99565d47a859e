/** `bertweb classify --model M [--pair]`: stdin lines (or text<TAB>pair lines) -> ranked labels per line. */
import { type Activation, type ClassifierInput, createClassifier } from '@bertweb/classify';
import { BertwebError } from '@bertweb/core';
import { choiceFlag, intFlag, numberFlag } from '../args.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  type Command,
  MODEL_FLAGS,
  MODEL_FLAGS_USAGE,
  modelOptions,
  modelSource,
} from '../command.js';
import { withHeadOverLines } from '../io.js';

const USAGE = `bertweb classify --model M [--pair] [--top-k K] [--threshold T] [--activation softmax|sigmoid|none]
bertweb classify --config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL] [--pair] ...

Reads one text per stdin line (with --pair: "text<TAB>text_pair") and writes its labels as a JSON array
[{"label","score"}], best first, one line per input line, in order. Single-label models (softmax) list
every label; multi-label models (config problem_type multi_label_classification: sigmoid) list the labels
scoring above the threshold (default 0.5). Inputs longer than the model limit are truncated
(pairs: longest_first).

${MODEL_FLAGS_USAGE}
${CONFIG_FLAGS_USAGE}
  --pair                   each line is text<TAB>text_pair
  --top-k K                at most K labels per line
  --threshold T            only labels scoring above T (default 0.5 for sigmoid, none for softmax)
  --activation A           softmax | sigmoid | none (default from config.json problem_type)
  --max-length N           tokens per input including special tokens (default: the model limit)
  --details                write {"labels": [...], "truncated": true|false} per line instead`;

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'stdin lines -> JSON array of {label, score} per line (softmax, or sigmoid for multi-label)',
  usage: USAGE,
  flags: [...MODEL_FLAGS, ...CONFIG_FLAGS, 'pair', 'top-k', 'threshold', 'activation', 'max-length', 'details'],
  booleanFlags: ['pair', 'details', 'no-cache'],
  async run(args, io) {
    const source = await modelSource(args, USAGE);
    const topK = intFlag(args, 'top-k');
    const threshold = numberFlag(args, 'threshold');
    const activation = choiceFlag<Activation>(args, 'activation', ['softmax', 'sigmoid', 'none']);
    const maxLength = intFlag(args, 'max-length');
    const classifier = await createClassifier(source, {
      ...modelOptions(args, io),
      ...(topK !== undefined ? { topK } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(activation ? { activation } : {}),
      ...(maxLength !== undefined ? { maxLength } : {}),
    });
    const pair = args.flags.has('pair');
    const details = args.flags.has('details');
    const parse = (line: string, lineNumber: number): ClassifierInput => {
      if (!pair) return line;
      const tab = line.indexOf('\t');
      if (tab < 0) throw new BertwebError('INPUT_INVALID', `line ${lineNumber}: --pair expects "text<TAB>text_pair"`);
      return [line.slice(0, tab), line.slice(tab + 1)];
    };
    await withHeadOverLines(classifier, io, parse, async (inputs, call) => {
      for (const result of await classifier.classify(inputs, call)) {
        io.out(JSON.stringify(details ? result : result.labels));
      }
    });
  },
};
