/** `bertweb eval ner --model M --data FILE|DIR`: entity-level precision / recall / F1 as seqeval computes them. */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BertwebError } from '@bertweb/core';
import { entityMetrics, parseConll, parseFactRuEval, type TaggedSentence } from '@bertweb/eval';
import { createTagger } from '@bertweb/tagging';
import { intFlag, stringFlag } from '../args.js';
import { type Command, MODEL_FLAGS, MODEL_FLAGS_USAGE } from '../command.js';
import { TAGGER_FLAGS, TAGGER_FLAGS_USAGE, taggerOptions } from './tag.js';

/** Sentences tagged per call. */
const SENTENCES_PER_CALL = 64;

export const evalNerCommand: Command = {
  name: 'eval-ner',
  summary: 'NER entity-level P/R/F1 (seqeval) on CoNLL or factRuEval-2016 -> metrics JSON (also: bertweb eval ner)',
  usage: `bertweb eval ner --model M --data FILE|DIR [--limit N] [tagger flags]

Tags every sentence of the data with the model (one tag per gold word, from the word's first subtoken)
and scores the predicted entities against the gold ones exactly like seqeval's default mode:
{"task": "ner", "sentences", "words", "precision", "recall", "f1" (micro), "macro", "weighted",
"perType": {TYPE: {precision, recall, f1, support, predicted, correct}}, "seconds", "wordsPerSecond"}.

--data is either a CoNLL file (one "word<TAB>TAG" per line, blank line between sentences) or a
factRuEval-2016 folder (e.g. factRuEval-2016/testset), read as word-level BIO tags: Person -> PER,
Org -> ORG, Location and LocOrg -> LOC, outermost mention when mentions nest.

${MODEL_FLAGS_USAGE}
  --data FILE|DIR          CoNLL file or factRuEval-2016 folder
  --limit N                only the first N sentences
${TAGGER_FLAGS_USAGE}`,
  flags: [...MODEL_FLAGS, ...TAGGER_FLAGS, 'data', 'limit'],
  booleanFlags: ['constrain', 'no-cache'],
  async run(args, io) {
    const dataPath = stringFlag(args, 'data', true);
    const limit = intFlag(args, 'limit');
    const all = await readNerData(dataPath);
    const sentences = limit === undefined ? all : all.slice(0, limit);
    const tagger = await createTagger(stringFlag(args, 'model', true), taggerOptions(args, io));
    const started = performance.now();
    const predicted: string[][] = [];
    try {
      for (let i = 0; i < sentences.length; i += SENTENCES_PER_CALL) {
        const chunk = sentences.slice(i, i + SENTENCES_PER_CALL);
        const results = await tagger.tagWords(
          chunk.map((s) => s.words),
          io.signal ? { signal: io.signal } : {},
        );
        for (const r of results) predicted.push(r.tags);
      }
    } finally {
      await tagger.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const words = sentences.reduce((n, s) => n + s.words.length, 0);
    const metrics = entityMetrics(
      sentences.map((s) => s.tags),
      predicted,
    );
    io.out(
      JSON.stringify({
        task: 'ner',
        sentences: sentences.length,
        words,
        precision: metrics.micro.precision,
        recall: metrics.micro.recall,
        f1: metrics.micro.f1,
        support: metrics.micro.support,
        predicted: metrics.micro.predicted,
        correct: metrics.micro.correct,
        macro: metrics.macro,
        weighted: metrics.weighted,
        perType: metrics.perType,
        seconds,
        wordsPerSecond: seconds > 0 ? words / seconds : 0,
      }),
    );
  },
};

/**
 * Gold sentences from a CoNLL file or a factRuEval-2016 folder.
 *
 * @example
 * ```ts
 * const sentences = await readNerData('../shared/data/factRuEval-2016/testset');
 * ```
 */
export async function readNerData(path: string): Promise<TaggedSentence[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new BertwebError('INPUT_INVALID', `cannot read --data ${path}: ${(error as Error).message}`);
  }
  if (!isDirectory) return parseConll(await readFile(path, 'utf8'));
  const names = (await readdir(path))
    .filter((f) => f.endsWith('.tokens'))
    .map((f) => f.slice(0, -'.tokens'.length))
    .sort();
  if (names.length === 0) throw new BertwebError('INPUT_INVALID', `${path} holds no factRuEval .tokens files`);
  const sentences: TaggedSentence[] = [];
  for (const name of names) {
    const read = async (ext: string) => {
      const file = join(path, `${name}${ext}`);
      return existsSync(file) ? readFile(file, 'utf8') : undefined;
    };
    const [tokens, spans, objects] = await Promise.all([read('.tokens'), read('.spans'), read('.objects')]);
    sentences.push(
      ...parseFactRuEval({
        name,
        tokens: tokens ?? '',
        ...(spans !== undefined ? { spans } : {}),
        ...(objects !== undefined ? { objects } : {}),
      }),
    );
  }
  return sentences;
}
