import { join } from 'node:path';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { createReader, type Reader } from './reader.js';

const FIXTURE = join(new URL('../../../models/fixtures/', import.meta.url).pathname, 'bert-qa');
const CONTEXT = 'The Eiffel tower is in Paris. It was built in 1889 by Gustave Eiffel.';

describeHeadBehaviour<Reader>({
  name: 'reader',
  fixture: FIXTURE,
  create: createReader,
  call: (reader, n, options) =>
    reader.answerMany(
      Array.from({ length: n }, (_, i) => `Question ${i}: where is the tower?`),
      CONTEXT,
      options as never,
    ),
  callWith: (reader, items) => reader.answerMany(items as string[], CONTEXT),
  output: 'start_logits',
  validOption: { maxAnswerLength: 10 },
});

describeHeadBehaviour<Reader>({
  name: 'reader (answerAcross)',
  fixture: FIXTURE,
  create: createReader,
  call: (reader, n, options) =>
    reader.answerAcross(
      'Where is the tower?',
      Array.from({ length: n }, (_, i) => `${CONTEXT} Passage ${i}.`),
      options as never,
    ),
  callWith: (reader, items) => reader.answerAcross('Where?', items as string[]),
  output: 'end_logits',
});
