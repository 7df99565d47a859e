/**
 * @bertweb/classify: text and text-pair classification with DeepPavlov semantics
 * (torch_transformers_classifier): softmax for single-label models, sigmoid with a threshold for
 * multi-label ones, raw scores for regression; ranked labels, top-k, truncation reported.
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
export { type Activation, activate, type LabelScore, rankLabels } from './scores.js';
