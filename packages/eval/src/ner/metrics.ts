/**
 * Entity-level precision / recall / F1 exactly as seqeval computes them in its default mode
 * (`seqeval.metrics.classification_report`, `f1_score`...): sentences are concatenated with an `O`
 * between them, entities are (type, first, last) spans read by seqeval's chunking rules, and an entity
 * counts as correct only when type and both boundaries match.
 */
import { BertwebError } from '@bertweb/core';
import { chunkSpans } from '@bertweb/tagging';

/**
 * Counts and scores of one entity type (or an average).
 *
 * @example
 * ```ts
 * const { precision, recall, f1, support }: EntityScores = entityMetrics(gold, predicted).micro;
 * ```
 */
export interface EntityScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Gold entities. */
  readonly support: number;
  /** Predicted entities. */
  readonly predicted: number;
  /** Predicted entities that match a gold one exactly. */
  readonly correct: number;
}

/**
 * seqeval's report: micro, macro and support-weighted averages, and one row per type.
 *
 * @example
 * ```ts
 * const metrics: NerMetrics = entityMetrics(gold, predicted);
 * metrics.perType.PER?.f1;
 * ```
 */
export interface NerMetrics {
  readonly micro: EntityScores;
  readonly macro: EntityScores;
  readonly weighted: EntityScores;
  /** Per entity type, for every type seen in gold or predictions (sorted). */
  readonly perType: Readonly<Record<string, EntityScores>>;
}

/**
 * How seqeval reads a label: the first character is the position tag, the type is what follows
 * the first `-` (`_` when nothing does).
 *
 * @example
 * ```ts
 * seqevalTag('B-PER'); // { prefix: 'B', type: 'PER' }
 * seqevalTag('O');     // { prefix: 'O', type: '_' }
 * ```
 */
export function seqevalTag(label: string): { prefix: string; type: string } {
  const rest = label.slice(1);
  const dash = rest.indexOf('-');
  return { prefix: label.slice(0, 1), type: (dash >= 0 ? rest.slice(dash + 1) : rest) || '_' };
}

/**
 * Entities of tagged sentences as seqeval's `get_entities` returns them for a nested list:
 * `[type, first, last]` with positions in the sentences joined by one `O` each.
 *
 * @example
 * ```ts
 * seqevalEntities([['B-PER', 'I-PER'], ['B-LOC']]); // [['PER', 0, 1], ['LOC', 3, 3]]
 * ```
 */
export function seqevalEntities(sentences: readonly (readonly string[])[]): [string, number, number][] {
  const prefixes: string[] = [];
  const types: string[] = [];
  for (const sentence of sentences) {
    for (const label of [...sentence, 'O']) {
      const { prefix, type } = seqevalTag(label);
      prefixes.push(prefix);
      types.push(type);
    }
  }
  return chunkSpans(prefixes, types).map((c) => [c.type, c.first, c.last]);
}

/**
 * Entity-level metrics of predicted tags against gold tags (seqeval default mode, zero_division 0).
 * Both must have the same sentences with the same number of tags (INPUT_INVALID otherwise).
 *
 * @example
 * ```ts
 * const m = entityMetrics([['B-PER', 'I-PER', 'O']], [['B-PER', 'O', 'O']]);
 * m.micro.f1; // 0
 * ```
 */
export function entityMetrics(
  gold: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
): NerMetrics {
  if (gold.length !== predicted.length) {
    throw new BertwebError('INPUT_INVALID', `${gold.length} gold sentences but ${predicted.length} predicted`);
  }
  gold.forEach((sentence, i) => {
    if (sentence.length !== predicted[i]?.length) {
      throw new BertwebError(
        'INPUT_INVALID',
        `sentence ${i}: ${sentence.length} gold tags but ${predicted[i]?.length ?? 0} predicted`,
      );
    }
  });
  const byType = (entities: [string, number, number][]) => {
    const map = new Map<string, Set<string>>();
    for (const [type, first, last] of entities) {
      const set = map.get(type) ?? new Set<string>();
      set.add(`${first}:${last}`);
      map.set(type, set);
    }
    return map;
  };
  const goldByType = byType(seqevalEntities(gold));
  const predByType = byType(seqevalEntities(predicted));
  const types = [...new Set([...goldByType.keys(), ...predByType.keys()])].sort();
  const perType: Record<string, EntityScores> = {};
  let support = 0;
  let predictedCount = 0;
  let correct = 0;
  for (const type of types) {
    const g = goldByType.get(type) ?? new Set<string>();
    const p = predByType.get(type) ?? new Set<string>();
    let hits = 0;
    for (const span of p) if (g.has(span)) hits++;
    perType[type] = scores(hits, p.size, g.size);
    support += g.size;
    predictedCount += p.size;
    correct += hits;
  }
  const rows = types.map((t) => perType[t] as EntityScores);
  const average = (weight: (s: EntityScores) => number): EntityScores => {
    const total = rows.reduce((sum, s) => sum + weight(s), 0);
    const mean = (pick: (s: EntityScores) => number) =>
      total === 0 ? 0 : rows.reduce((sum, s) => sum + pick(s) * weight(s), 0) / total;
    return {
      precision: mean((s) => s.precision),
      recall: mean((s) => s.recall),
      f1: mean((s) => s.f1),
      support,
      predicted: predictedCount,
      correct,
    };
  };
  return {
    micro: scores(correct, predictedCount, support),
    macro: average(() => 1),
    weighted: average((s) => s.support),
    perType,
  };
}

function scores(correct: number, predicted: number, support: number): EntityScores {
  const precision = predicted > 0 ? correct / predicted : 0;
  const recall = support > 0 ? correct / support : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, support, predicted, correct };
}
