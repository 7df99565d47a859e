import { join } from 'node:path';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { createEmbedder, type Embedder } from './embedder.js';

const FIXTURE = join(new URL('../../../models/fixtures/', import.meta.url).pathname, 'bert-base');
const texts = (n: number) => Array.from({ length: n }, (_, i) => `sentence number ${i} about cats`);

describeHeadBehaviour<Embedder>({
  name: 'embedder',
  fixture: FIXTURE,
  create: createEmbedder,
  call: (embedder, n, options) => embedder.embed(texts(n), options as never),
  callWith: (embedder, items) => embedder.embed(items as string[]),
  output: 'last_hidden_state',
  validOption: { normalize: true },
});

describeHeadBehaviour<Embedder>({
  name: 'embedder (embedDetailed)',
  fixture: FIXTURE,
  create: createEmbedder,
  call: (embedder, n, options) => embedder.embedDetailed(texts(n), options as never),
  callWith: (embedder, items) => embedder.embedDetailed(items as string[]),
  output: 'last_hidden_state',
});
