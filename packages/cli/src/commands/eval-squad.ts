/** `bertweb eval squad --model M --data FILE [--limit N]`: official SQuAD v1.1 / v2.0 EM and F1. */
import { readFile, writeFile } from 'node:fs/promises';
import { BertwebError } from '@bertweb/core';
import { evaluateSquadV1, evaluateSquadV2, parseSquad, type SquadQuestion } from '@bertweb/eval';
import { createReader } from '@bertweb/qa';
import { intFlag, stringFlag } from '../args.js';
import { type Command, MODEL_FLAGS, MODEL_FLAGS_USAGE } from '../command.js';
import { READER_FLAGS, READER_FLAGS_USAGE, readerOptions } from './qa.js';

/** Paragraphs answered concurrently, so the runtime can batch windows of several paragraphs. */
const PARAGRAPHS_IN_FLIGHT = 4;

export const evalSquadCommand: Command = {
  name: 'eval-squad',
  summary: 'SQuAD v1.1 / v2.0 EM and F1 (official scripts) -> metrics JSON (also: bertweb eval squad)',
  usage: `bertweb eval squad --model M --data FILE [--limit N] [--predictions OUT] [reader flags]

Answers every question of a SQuAD JSON file (v1.1 or v2.0, detected from "version" and unanswerable
questions) and scores the answers exactly like the official evaluate-v1.1.py / evaluate-v2.0.py:
{"task": "squad", "version", "questions", "exact_match", "f1"} for v1.1, and for v2.0 the official keys
"exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact", "NoAns_f1", "NoAns_total",
plus "seconds" and "questionsPerSecond". For v2.0 files the no-answer threshold defaults to 0.

${MODEL_FLAGS_USAGE}
  --data FILE              SQuAD JSON file
  --limit N                only the first N questions (in file order)
  --predictions OUT        also write {"<question id>": "<answer text>"} (the official predictions format)
${READER_FLAGS_USAGE}`,
  flags: [...MODEL_FLAGS, ...READER_FLAGS, 'data', 'limit', 'predictions'],
  booleanFlags: ['no-cache'],
  async run(args, io) {
    const dataPath = stringFlag(args, 'data', true);
    const limit = intFlag(args, 'limit');
    let text: string;
    try {
      text = await readFile(dataPath, 'utf8');
    } catch (error) {
      throw new BertwebError('INPUT_INVALID', `cannot read --data ${dataPath}: ${(error as Error).message}`);
    }
    const dataset = parseSquad(text);
    const questions = limit === undefined ? dataset.questions : dataset.questions.slice(0, limit);
    const options = readerOptions(args, io);
    const noAnswerThreshold = options.noAnswerThreshold ?? (dataset.version === '2.0' ? 0 : undefined);
    const reader = await createReader(stringFlag(args, 'model', true), {
      ...options,
      ...(noAnswerThreshold !== undefined ? { noAnswerThreshold } : {}),
    });
    const started = performance.now();
    const predictions: Record<string, string> = {};
    try {
      const groups = byContext(questions);
      let next = 0;
      const worker = async () => {
        while (next < groups.length) {
          const group = groups[next++] as SquadQuestion[];
          const context = (group[0] as SquadQuestion).context;
          const answers = await reader.answerMany(
            group.map((q) => q.question),
            context,
            io.signal ? { signal: io.signal } : {},
          );
          group.forEach((q, i) => {
            predictions[q.id] = answers[i]?.text ?? '';
          });
        }
      };
      await Promise.all(Array.from({ length: PARAGRAPHS_IN_FLIGHT }, worker));
    } finally {
      await reader.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const metrics =
      dataset.version === '2.0' ? evaluateSquadV2(questions, predictions) : evaluateSquadV1(questions, predictions);
    const predictionsPath = stringFlag(args, 'predictions');
    if (predictionsPath) await writeFile(predictionsPath, JSON.stringify(predictions));
    io.out(
      JSON.stringify({
        task: 'squad',
        version: dataset.version,
        questions: questions.length,
        ...metrics,
        seconds: round(seconds),
        questionsPerSecond: round(questions.length / seconds),
      }),
    );
  },
};

/** Consecutive questions that share a context (a SQuAD paragraph). */
function byContext(questions: readonly SquadQuestion[]): SquadQuestion[][] {
  const groups: SquadQuestion[][] = [];
  for (const q of questions) {
    const last = groups[groups.length - 1];
    if (last && (last[0] as SquadQuestion).context === q.context) last.push(q);
    else groups.push([q]);
  }
  return groups;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
