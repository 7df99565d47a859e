/**
 * @bertweb/classify: text and text-pair classification with DeepPavlov semantics
 * (torch_transformers_classifier): softmax for single-label models, sigmoid with a threshold for
 * multi-label ones, one logit through a sigmoid for binary ones, raw scores for regression; ranked
 * labels, top-k, truncation reported. And cross-encoder ranking (DeepPavlov's torch_bert_ranker and NLL
 * ranker): a query against candidates, a queries x candidates matrix, re-ranking of first-stage hits.
 * The export list is deliberate: `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { createClassifier } from '@bertweb/classify';
 * const classifier = await createClassifier('Xenova/distilbert-base-uncased-finetuned-sst-2-english');
 * const [result] = await classifier.classify(['what a lovely day'], { topK: 1 });
 * ```
 *
 * @packageDocumentation
 */
export {
  type Classification,
  type Classifier,
  type ClassifierInput,
  type ClassifierOptions,
  type ClassifyOptions,
  createClassifier,
} from './classifier.js';
export {
  type CandidateScores,
  createRanker,
  type PairTokenTypes,
  RANKER_DEFAULTS,
  type RankedCandidate,
  type Ranker,
  type RankerOptions,
  type RankerScoring,
  type RankOptions,
  type RerankedHit,
  type RerankInput,
  type ScoreMatrix,
} from './ranker.js';
export type { Activation, LabelScore } from './scores.js';
