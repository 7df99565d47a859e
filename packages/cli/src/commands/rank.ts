/** `bertweb rank --model M --query Q`: stdin lines are candidates -> one score per line, in input order. */
import { createRanker, type PairTokenTypes, type RankerScoring } from '@bertweb/classify';
import { choiceFlag, intFlag, stringFlag } from '../args.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  type Command,
  MODEL_FLAGS,
  MODEL_FLAGS_USAGE,
  modelOptions,
  modelSource,
} from '../command.js';
import { forEachLineBatch } from '../io.js';

const USAGE = `bertweb rank --model M --query Q [--top-k K] [--max-length N] [--scoring S] [--token-types T]
bertweb rank --config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL] --query Q ...

Reads one candidate per stdin line, scores each (query, candidate) pair with a cross-encoder, and writes
one JSON number per input line, in order. Defaults follow DeepPavlov 1.7: a model with 2 logits
(torch_bert_ranker) scores softmax(logits)[1] with all-zero segment ids; a model with 1 logit (the NLL
ranker, Hugging Face cross-encoders) scores the raw logit with the pair's segment ids. Pairs longer
than --max-length are cut (longest_first). With --top-k, all candidates are read first and the K best
are written, best first, as {"index","text","score","truncated"} (index: the 0-based input line).

${MODEL_FLAGS_USAGE}
${CONFIG_FLAGS_USAGE}
  --query Q                the query (context) every candidate is paired with
  --top-k K                write the K best candidates, best first, instead of every score in order
  --max-length N           tokens per pair including special tokens (default: the model limit; DeepPavlov's
                           ranking_ubuntu_v2_torch_bert_uncased uses 128)
  --scoring S              softmax | sigmoid | raw (default: softmax for 2 logits, raw for 1)
  --token-types T          zeros | segments (default: zeros for 2 logits, segments for 1)
  --details                write {"score", "truncated"} per line instead of the bare score`;

export const rankCommand: Command = {
  name: 'rank',
  summary: 'stdin lines (candidates) -> one JSON score per line against --query (cross-encoder)',
  usage: USAGE,
  flags: [...MODEL_FLAGS, ...CONFIG_FLAGS, 'query', 'top-k', 'max-length', 'scoring', 'token-types', 'details'],
  booleanFlags: ['details', 'no-cache'],
  async run(args, io) {
    const source = await modelSource(args, USAGE);
    const query = stringFlag(args, 'query', true);
    const topK = intFlag(args, 'top-k');
    const maxLength = intFlag(args, 'max-length');
    const scoring = choiceFlag<RankerScoring>(args, 'scoring', ['softmax', 'sigmoid', 'raw']);
    const tokenTypes = choiceFlag<PairTokenTypes>(args, 'token-types', ['zeros', 'segments']);
    const ranker = await createRanker(source, {
      ...modelOptions(args, io),
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(scoring ? { scoring } : {}),
      ...(tokenTypes ? { tokenTypes } : {}),
    });
    const details = args.flags.has('details');
    const signal = io.signal ? { signal: io.signal } : {};
    try {
      if (topK !== undefined) {
        // The best K need every candidate: read them all, then rank once.
        const candidates: string[] = [];
        for await (const line of io.lines()) candidates.push(line);
        for (const ranked of await ranker.rank(query, candidates, { topK, ...signal })) io.out(JSON.stringify(ranked));
        return;
      }
      await forEachLineBatch(
        io.lines(),
        (line) => line,
        async (candidates) => {
          const { scores, truncated } = await ranker.score(query, candidates, signal);
          scores.forEach((score, j) => {
            io.out(JSON.stringify(details ? { score, truncated: truncated[j] } : score));
          });
        },
      );
    } finally {
      await ranker.dispose();
    }
  },
};
