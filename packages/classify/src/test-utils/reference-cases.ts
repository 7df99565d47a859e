/** The inputs of the PyTorch reference (models/scripts/ref_classify.py). */
import type { ClassifierInput } from '../classifier.js';

/** One reference input, optionally classified with a small `maxLength` to force truncation. */
export interface ReferenceCase {
  readonly name: string;
  readonly input: ClassifierInput;
  readonly maxLength?: number;
}

export const REFERENCE_CASES: readonly ReferenceCase[] = [
  { name: 'english', input: 'I absolutely loved this film, the acting was wonderful.' },
  { name: 'accents-emoji', input: 'Crème brûlée at Café Müller was naïve and délicieux 😀👍🏽' },
  { name: 'russian', input: 'Фильм оказался скучным и слишком длинным.' },
  { name: 'empty', input: '' },
  { name: 'pair', input: ['A man is playing a guitar.', 'Someone plays an instrument.'] },
  { name: 'pair-russian', input: ['Кошка спит на диване.', 'Животное отдыхает.'] },
  {
    name: 'truncated',
    input: 'This sentence is much too long for the tiny window that the test gives the classifier, so it is cut.',
    maxLength: 16,
  },
  {
    name: 'pair-truncated',
    input: [
      'A rather long first sentence that keeps going on and on about nothing in particular at all.',
      'Short second one.',
    ],
    maxLength: 20,
  },
];
