/** `bertweb eval sts --model M --data FILE`: Spearman correlation of cosine similarity with STS gold scores. */
import { readFile } from 'node:fs/promises';
import { BertwebError } from '@bertweb/core';
import { createEmbedder, similarity } from '@bertweb/embeddings';
import { parseStsCsv, pearson, spearman } from '@bertweb/eval';
import { intFlag, stringFlag } from '../args.js';
import { type Command, MODEL_FLAGS, MODEL_FLAGS_USAGE } from '../command.js';
import { EMBEDDER_FLAGS, EMBEDDER_FLAGS_USAGE, embedderOptions } from './embed.js';

export const evalStsCommand: Command = {
  name: 'eval-sts',
  summary: 'STS-B Spearman correlation of cosine similarity vs gold -> metrics JSON (also: bertweb eval sts)',
  usage: `bertweb eval sts --model M --data FILE [--limit N] [embedder flags]

Reads STS-B pairs (CSV "sentence1,sentence2,score", quoted fields allowed, optional header), embeds both
sentences, and writes {"task": "sts", "pairs", "spearman", "pearson", "seconds", "sentencesPerSecond"}:
the Spearman rank correlation (ties get average ranks) and the Pearson correlation between the cosine
similarity of each pair and its gold score.

${MODEL_FLAGS_USAGE}
  --data FILE              STS CSV file
  --limit N                only the first N pairs
${EMBEDDER_FLAGS_USAGE}`,
  flags: [...MODEL_FLAGS, ...EMBEDDER_FLAGS, 'data', 'limit'],
  booleanFlags: ['normalize', 'no-cache'],
  async run(args, io) {
    const dataPath = stringFlag(args, 'data', true);
    const limit = intFlag(args, 'limit');
    let text: string;
    try {
      text = await readFile(dataPath, 'utf8');
    } catch (error) {
      throw new BertwebError('INPUT_INVALID', `cannot read --data ${dataPath}: ${(error as Error).message}`);
    }
    const all = parseStsCsv(text);
    const pairs = limit === undefined ? all : all.slice(0, limit);
    const embedder = await createEmbedder(stringFlag(args, 'model', true), embedderOptions(args, io));
    const started = performance.now();
    let cosines: number[];
    try {
      const signal = io.signal ? { signal: io.signal } : {};
      const a = await embedder.embed(
        pairs.map((p) => p.sentence1),
        signal,
      );
      const b = await embedder.embed(
        pairs.map((p) => p.sentence2),
        signal,
      );
      const dim = a.dim;
      cosines = pairs.map((_, i) =>
        similarity(a.data.subarray(i * dim, (i + 1) * dim), b.data.subarray(i * dim, (i + 1) * dim)),
      );
    } finally {
      await embedder.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const gold = pairs.map((p) => p.score);
    io.out(
      JSON.stringify({
        task: 'sts',
        pairs: pairs.length,
        spearman: spearman(cosines, gold),
        pearson: pearson(cosines, gold),
        seconds: Math.round(seconds * 1000) / 1000,
        sentencesPerSecond: Math.round(((2 * pairs.length) / seconds) * 10) / 10,
      }),
    );
  },
};
