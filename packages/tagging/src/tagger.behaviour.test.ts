import { join } from 'node:path';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { createTagger, type Tagger } from './tagger.js';

const FIXTURE = join(new URL('../../../models/fixtures/', import.meta.url).pathname, 'bert-token-cls');
const texts = (n: number) => Array.from({ length: n }, (_, i) => `Anna ${i} met Vronsky in Moscow.`);

describeHeadBehaviour<Tagger>({
  name: 'tagger',
  fixture: FIXTURE,
  create: createTagger,
  call: (tagger, n, options) => tagger.tag(texts(n), options as never),
  callWith: (tagger, items) => tagger.tag(items as string[]),
  output: 'logits',
  validOption: { constrainBio: true },
});

describeHeadBehaviour<Tagger>({
  name: 'tagger (tagWords)',
  fixture: FIXTURE,
  create: createTagger,
  call: (tagger, n, options) =>
    tagger.tagWords(
      texts(n).map((t) => t.split(' ')),
      options as never,
    ),
  callWith: (tagger, items) => tagger.tagWords([items as string[]]),
  output: 'logits',
});
