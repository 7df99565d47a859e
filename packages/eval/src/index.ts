/**
 * @bertweb/eval: the evaluation harnesses behind `bertweb eval` — CoNLL and factRuEval-2016 readers with
 * seqeval-style entity metrics (NER), the official SQuAD 1.1 / 2.0 exact match and F1 (QA), STS-B CSV
 * reading with Pearson and Spearman correlation (sentence similarity). Not runtime code: web pages that
 * only run models do not need it.
 *
 * @example
 * ```ts
 * import { entityMetrics, parseConll } from '@bertweb/eval';
 * const gold = parseConll(conllText);
 * const metrics = entityMetrics(gold.map((s) => s.tags), predictedTags);
 * metrics.micro.f1;
 * ```
 *
 * @packageDocumentation
 */
export {
  FACTRUEVAL_LABELS,
  type FactRuEvalDocument,
  parseConll,
  parseFactRuEval,
  type TaggedSentence,
} from './ner/datasets.js';
export { type EntityScores, entityMetrics, type NerMetrics, seqevalEntities, seqevalTag } from './ner/metrics.js';
export { parseSquad, type SquadDataset } from './squad/dataset.js';
export {
  evaluateSquadV1,
  evaluateSquadV2,
  exactMatchV1,
  exactMatchV2,
  f1V1,
  f1V2,
  type SquadQuestion,
  type SquadV1Metrics,
  type SquadV2Metrics,
} from './squad/metrics.js';
export { normalizeAnswer, pySplit } from './squad/normalize.js';
export { parseCsv, parseStsCsv, type StsPair } from './sts/csv.js';
export { averageRanks, pearson, spearman } from './sts/spearman.js';
