import { join } from 'node:path';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { type Classifier, createClassifier } from './classifier.js';

const FIXTURE = join(new URL('../../../models/fixtures/', import.meta.url).pathname, 'bert-seq-cls');

describeHeadBehaviour<Classifier>({
  name: 'classifier',
  fixture: FIXTURE,
  create: createClassifier,
  call: (classifier, n, options) =>
    classifier.classify(
      Array.from({ length: n }, (_, i) => (i % 2 ? `text number ${i}` : [`premise ${i}`, 'hypothesis'])),
      options as never,
    ),
  callWith: (classifier, items) => classifier.classify(items as string[]),
  output: 'logits',
  validOption: { topK: 2 },
});
