/**
 * The public surface of @bertweb/eval, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'averageRanks',
  'entityMetrics',
  'type EntityScores',
  'evaluateSquadV1',
  'evaluateSquadV2',
  'exactMatchV1',
  'exactMatchV2',
  'f1V1',
  'f1V2',
  'FACTRUEVAL_LABELS',
  'type FactRuEvalDocument',
  'type NerMetrics',
  'normalizeAnswer',
  'parseConll',
  'parseCsv',
  'parseFactRuEval',
  'parseSquad',
  'parseStsCsv',
  'pearson',
  'pySplit',
  'seqevalEntities',
  'seqevalTag',
  'spearman',
  'type SquadDataset',
  'type SquadQuestion',
  'type SquadV1Metrics',
  'type SquadV2Metrics',
  'type StsPair',
  'type TaggedSentence',
];

describe('@bertweb/eval public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
