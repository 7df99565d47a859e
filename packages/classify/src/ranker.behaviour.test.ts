import { afterAll } from 'vitest';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { createRanker, type Ranker } from './ranker.js';
import { convertedFixture, removeConvertedFixtures } from './test-utils/deeppavlov-fixtures.js';

// DeepPavlov's ranking_ubuntu_v2_torch_bert_uncased fixture (2 logits), converted into a temp folder.
const FIXTURE = await convertedFixture('ranking_ubuntu_v2_torch_bert_uncased');
afterAll(removeConvertedFixtures);

const candidates = (n: number) => Array.from({ length: n }, (_, i) => `candidate answer number ${i}`);

describeHeadBehaviour<Ranker>({
  name: 'ranker',
  fixture: FIXTURE,
  create: createRanker,
  call: (ranker, n, options) => ranker.rank('how do i install a package', candidates(n), options as never),
  callWith: (ranker, items) => ranker.rank('query', items as string[]),
  output: 'logits',
  validOption: { topK: 2, maxLength: 64 },
});

describeHeadBehaviour<Ranker>({
  name: 'ranker (rankMany)',
  fixture: FIXTURE,
  create: createRanker,
  call: (ranker, n, options) => ranker.rankMany(['first query', 'second query'], candidates(n), options as never),
  callWith: (ranker, items) => ranker.rankMany(['query'], items as string[]),
  output: 'logits',
});

describeHeadBehaviour<Ranker>({
  name: 'ranker (rerank)',
  fixture: FIXTURE,
  create: createRanker,
  call: (ranker, n, options) =>
    ranker.rerank(
      'how do i install a package',
      candidates(n).map((text, i) => ({ id: `doc-${i}`, text })),
      options as never,
    ),
  callWith: (ranker, items) =>
    ranker.rerank(
      'query',
      // Strings become hits; holes stay holes (map skips them) and anything else is passed as is.
      (Array.isArray(items)
        ? items.map((item, i) => (typeof item === 'string' ? { id: i, text: item } : item))
        : items) as never,
    ),
  output: 'logits',
});
