/**
 * The public surface of @bertweb/classify, pinned: adding or removing an export must change this list (and the
 * README / TSDoc that document it) on purpose.
 */
import { describe, expect, it } from 'vitest';
import { publicSurface, valueNames } from '../../core/src/test-utils/public-api.js';

const SURFACE = [
  'type Activation',
  'type CandidateScores',
  'type Classification',
  'type Classifier',
  'type ClassifierInput',
  'type ClassifierOptions',
  'type ClassifyOptions',
  'createClassifier',
  'createRanker',
  'type LabelScore',
  'type PairTokenTypes',
  'type RankedCandidate',
  'type Ranker',
  'RANKER_DEFAULTS',
  'type RankerOptions',
  'type RankerScoring',
  'type RankOptions',
  'type RerankedHit',
  'type RerankInput',
  'type ScoreMatrix',
];

describe('@bertweb/classify public API', () => {
  it('exports exactly these names', () => {
    expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(SURFACE);
  });

  it('exports exactly these values at run time', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toEqual(valueNames(SURFACE));
  });
});
