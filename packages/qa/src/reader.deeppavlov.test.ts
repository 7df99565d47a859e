/**
 * The reader with `answerRule: 'deeppavlov'` on the converted `squad_ru_bert` fixture, against the
 * PyTorch reference in models/fixtures/deeppavlov/reference.json (models/scripts/dp_reference.py
 * `squad_answer`, after deeppavlov/models/torch_bert/torch_transformers_squad.py
 * `TorchTransformersSquad.__call__` and deeppavlov/models/preprocessors/squad_preprocessor.py
 * `SquadBertAnsPostprocessor`; docs/deeppavlov-1.7.md, "SQuAD"). packages/qa/README.md lists where the
 * default rule differs.
 */
import { type LoadedModel, loadModel, type TensorOutput } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertedFixture,
  dpReference,
  removeConvertedFixtures,
} from '../../classify/src/test-utils/deeppavlov-fixtures.js';
import { describeHeadBehaviour } from '../../core/src/head/test-utils/head-behaviour.js';
import { createReader, READER_DEFAULTS, type Reader } from './reader.js';
import { buildWindows } from './windows.js';

const TOLERANCE = 1e-4;
const ref = dpReference().squad_ru_bert;
const FIXTURE = await convertedFixture('squad_ru_bert');
afterAll(removeConvertedFixtures);

const invalid = (pattern: RegExp) =>
  expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringMatching(pattern) });

describe("Reader answerRule 'deeppavlov' (squad_ru_bert)", () => {
  let model: LoadedModel;
  let reader: Reader;
  beforeAll(async () => {
    model = await loadModel(FIXTURE, { backend: 'wasm' });
    // The config's max_seq_length 384.
    reader = await createReader(model, { answerRule: 'deeppavlov', maxLength: ref.max_seq_length });
  });
  afterAll(() => model.dispose());

  it('gives the answer, its start and the score of DeepPavlov (1 - pStart[CLS] pEnd[CLS], within 1e-4)', async () => {
    expect(reader.answerRule).toBe('deeppavlov');
    for (const c of ref.cases) {
      expect(c.windows).toEqual([c.context]); // one window in DeepPavlov, and in bertweb:
      expect(buildWindows(model.tokenizer, c.question, c.context, { maxLength: 384, windowOverlap: 128 })).toHaveLength(
        1,
      );
      const answer = await reader.answer(c.question, c.context);
      expect(answer).toMatchObject({ text: c.answer, start: c.answer_start, noAnswer: false });
      expect(answer.end).toBe(c.answer_start + c.answer.length);
      expect(Math.abs(answer.score - c.score)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('differs from the default rule on these cases (the span length limit is L - m, not 30)', async () => {
    const hf = await createReader(model);
    expect(hf.answerRule).toBe(READER_DEFAULTS.answerRule);
    const c = ref.cases[1] as (typeof ref.cases)[number];
    // DeepPavlov's span is 21 subtokens (tokens 21..41): under the default limit of 30, above 20.
    expect(c.end_token - c.start_token + 1).toBe(21);
    const limited = await createReader(model, { maxAnswerLength: 20 });
    expect((await limited.answer(c.question, c.context)).text).not.toBe(c.answer);
    const dp = await reader.answer(c.question, c.context);
    const def = await hf.answer(c.question, c.context);
    expect(dp.score).not.toBeCloseTo(def.score, 3); // "has an answer" vs the span's probability
  });

  it('answers on the window DeepPavlov chose in the max_seq_length 64 split case', async () => {
    // DeepPavlov splits long contexts into sentence chunks (and drops the last sentence: see the README);
    // bertweb keeps its overlapping windows. On the chunk DeepPavlov chose, with its padded length 64,
    // the rule gives DeepPavlov's span and score.
    const split = dpReference().squad_ru_bert as unknown as {
      split_case_max_seq_length_64: {
        windows: string[];
        window: number;
        answer: string;
        answer_start: number;
        score: number;
      };
    };
    const s = split.split_case_max_seq_length_64;
    const chunk = s.windows[s.window] as string;
    const short = await createReader(model, { answerRule: 'deeppavlov', maxLength: 64 });
    const answer = await short.answer((ref.cases[0] as (typeof ref.cases)[number]).question, chunk);
    expect(answer).toMatchObject({ text: s.answer, start: s.answer_start, noAnswer: false });
    expect(Math.abs(answer.score - s.score)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('answers "no answer" when the best span starts at [CLS], with the has-answer score', async () => {
    // The fixture's model never prefers [CLS]: make it, by raising the [CLS] start and end logits.
    const boost = (o: TensorOutput) => ({ dims: o.dims, data: o.data.map((v, i) => (i === 0 ? v + 12 : v)) });
    const boosted = Object.assign(Object.create(model) as LoadedModel, {
      infer: (async (encodings, options) =>
        (await model.infer(encodings, options)).map((r) => ({
          ...r,
          start_logits: boost(r.start_logits as TensorOutput),
          end_logits: boost(r.end_logits as TensorOutput),
        }))) as LoadedModel['infer'],
      dispose: async () => {},
    });
    const c = ref.cases[0] as (typeof ref.cases)[number];
    const dp = await createReader(boosted, { answerRule: 'deeppavlov' });
    const none = await dp.answer(c.question, c.context);
    expect(none).toMatchObject({ text: '', start: -1, end: -1, noAnswer: true });
    expect(none.score).toBeGreaterThan(0);
    expect(none.score).toBeLessThan(0.01);
    // The default rule still answers with a span unless a noAnswerThreshold is set.
    await expect((await createReader(boosted)).answer(c.question, c.context)).resolves.toMatchObject({
      noAnswer: false,
    });
    expect(await dp.answer(c.question, c.context, { topK: 1 })).toEqual([none]);
    expect(await dp.answer(c.question, '   ')).toEqual({ text: '', start: -1, end: -1, score: 0, noAnswer: true });
  });

  it('rejects options its rule does not have, before running', async () => {
    const c = ref.cases[0] as (typeof ref.cases)[number];
    await expect(reader.answer(c.question, c.context, { topK: 2 })).rejects.toEqual(invalid(/topK .* one answer/));
    await expect(reader.answer(c.question, c.context, { maxAnswerLength: 5 })).rejects.toEqual(
      invalid(/maxAnswerLength/),
    );
    await expect(reader.answerMany([c.question], c.context, { noAnswerThreshold: 0 })).rejects.toEqual(
      invalid(/noAnswerThreshold/),
    );
    await expect(createReader(model, { answerRule: 'deeppavlov', maxAnswerLength: 5 })).rejects.toEqual(
      invalid(/maxAnswerLength/),
    );
    await expect(createReader(model, { answerRule: 'deeppavlov', noAnswerThreshold: 0 })).rejects.toEqual(
      invalid(/noAnswerThreshold/),
    );
    await expect(createReader(model, { answerRule: 'pytorch' as never })).rejects.toEqual(invalid(/answerRule/));
  });
});

describeHeadBehaviour<Reader>({
  name: "reader (answerRule 'deeppavlov')",
  fixture: FIXTURE,
  create: (source, options) => createReader(source, { answerRule: 'deeppavlov', ...(options ?? {}) }),
  call: (reader, n, options) =>
    reader.answerMany(
      Array.from({ length: n }, (_, i) => `Где родился Пушкин ${i}?`),
      'Пушкин родился в Москве. Он был поэтом.',
      options as never,
    ),
  callWith: (reader, items) => reader.answerMany(items as string[], 'Пушкин родился в Москве.'),
  output: 'start_logits',
  validOption: { maxLength: 64 },
});
