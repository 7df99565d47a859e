import { fileURLToPath } from 'node:url';
import { connect, type LoadedModel, loadModel, serve, type TensorOutput } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReader, type Reader } from './reader.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url));
const CONTEXT = 'The Eiffel Tower 🗼 is in Paris, Île-de-France. It was built in 1889 by Gustave Eiffel’s company.';

let model: LoadedModel;
let reader: Reader;
beforeAll(async () => {
  model = await loadModel(fixture('bert-qa'), { backend: 'wasm' });
  reader = await createReader(model);
});
afterAll(async () => {
  await reader.dispose();
  await model.dispose();
});

describe('Reader', () => {
  it('answers with a span of the original context, and ranked top-k', async () => {
    const best = await reader.answer('Where is the tower?', CONTEXT);
    expect(best.noAnswer).toBe(false);
    expect(best.text).toBe(CONTEXT.slice(best.start, best.end));
    expect(best.score).toBeGreaterThan(0);
    const top = await reader.answer('Where is the tower?', CONTEXT, { topK: 5 });
    expect(top).toHaveLength(5);
    expect(top[0]).toEqual(best);
    for (let i = 1; i < top.length; i++)
      expect((top[i] as { score: number }).score).toBeLessThanOrEqual((top[i - 1] as { score: number }).score);
    expect(new Set(top.map((a) => `${a.start}:${a.end}`)).size).toBe(5);
  });

  it('limits answers to maxAnswerLength subtokens', async () => {
    const top = await reader.answer('When?', CONTEXT, { topK: 20, maxAnswerLength: 1 });
    for (const a of top)
      expect(model.tokenizer.encode(a.text, { addSpecialTokens: false }).ids.length).toBeLessThanOrEqual(2);
  });

  it('answerMany and answerAcross equal one call per pair', async () => {
    const questions = ['Where is the tower?', 'When was it built?', 'Who built it?'];
    const many = await reader.answerMany(questions, CONTEXT);
    const single = await Promise.all(questions.map((q) => reader.answer(q, CONTEXT)));
    expect(many).toEqual(single);
    const contexts = [CONTEXT, 'Москва — столица России.', '   ', 'Short.'];
    const across = await reader.answerAcross('What is it?', contexts, { topK: 2 });
    const each = await Promise.all(contexts.map((c) => reader.answer('What is it?', c, { topK: 2 })));
    expect(across).toEqual(each);
    expect(across[2]).toEqual([]); // whitespace-only context: empty result
  });

  it('returns the no-answer result for an empty or whitespace-only context', async () => {
    for (const context of ['', ' \n\t ']) {
      expect(await reader.answer('Who?', context)).toEqual({ text: '', start: -1, end: -1, score: 0, noAnswer: true });
      expect(await reader.answer('Who?', context, { topK: 3 })).toEqual([]);
    }
  });

  it('rejects bad input with INPUT_INVALID', async () => {
    const invalid = expect.objectContaining({ code: 'INPUT_INVALID' });
    await expect(reader.answer('', CONTEXT)).rejects.toEqual(invalid);
    await expect(reader.answer('  ', CONTEXT)).rejects.toEqual(invalid);
    await expect(reader.answer(42 as unknown as string, CONTEXT)).rejects.toEqual(invalid);
    await expect(reader.answer('Who?', null as unknown as string)).rejects.toEqual(invalid);
    await expect(reader.answer('Who?', CONTEXT, { topK: 0 })).rejects.toEqual(invalid);
    await expect(reader.answer('Who?', CONTEXT, { maxAnswerLength: 1.5 })).rejects.toEqual(invalid);
    await expect(reader.answer('Who?', CONTEXT, { noAnswerThreshold: Number.NaN })).rejects.toEqual(invalid);
    await expect(reader.answerMany('Who?' as unknown as string[], CONTEXT)).rejects.toEqual(invalid);
    // A question that leaves no room for context in a 384-token window.
    await expect(reader.answer('why '.repeat(400), CONTEXT)).rejects.toEqual(invalid);
  });

  it('never crashes on lone surrogates and control characters', async () => {
    const context = 'abc \ud800 def \u0000\u0007 ghi \udfff';
    const a = await reader.answer('what \udc00?', context);
    expect(a.text).toBe(context.slice(a.start, a.end));
  });

  it('reads a 1 MB context in bounded chunks and still answers with exact offsets', async () => {
    const sentence = 'In 1889 Gustave Eiffel finished the tower in Paris, and crowds came to see it. ';
    const context = sentence.repeat(Math.ceil(1_000_000 / sentence.length));
    expect(context.length).toBeGreaterThanOrEqual(1_000_000);
    const small = await createReader(model, { maxLength: 128, windowOverlap: 32 });
    const a = await small.answer('Who finished the tower?', context);
    expect(a.noAnswer).toBe(false);
    expect(a.text).toBe(context.slice(a.start, a.end));
  }, 300_000);

  it('reports NaN in the model output as RUNTIME', async () => {
    const broken: LoadedModel = Object.assign(Object.create(model) as LoadedModel, {
      infer: async (...args: Parameters<LoadedModel['infer']>) => {
        const out = await model.infer(...args);
        return out.map((r) => {
          const start = r.start_logits as TensorOutput;
          const data = start.data.slice();
          data[data.length - 1] = Number.NaN;
          return { ...r, start_logits: { data, dims: start.dims } };
        });
      },
    });
    const r = await createReader(broken);
    await expect(r.answer('Who?', CONTEXT)).rejects.toEqual(expect.objectContaining({ code: 'RUNTIME' }));
  });

  it('honours an aborted signal and rejects calls after dispose', async () => {
    await expect(reader.answer('Who?', CONTEXT, { signal: AbortSignal.abort() })).rejects.toEqual(
      expect.objectContaining({ code: 'ABORTED' }),
    );
    const own = await createReader(fixture('distilbert-qa'), { backend: 'wasm' });
    expect((await own.answer('Who?', CONTEXT)).noAnswer).toBe(false);
    await own.dispose();
    await expect(own.answer('Who?', CONTEXT)).rejects.toEqual(expect.objectContaining({ code: 'DISPOSED' }));
    // A shared model stays usable after a reader that borrowed it is disposed.
    const borrowed = await createReader(model);
    await borrowed.dispose();
    expect((await reader.answer('Who?', CONTEXT)).noAnswer).toBe(false);
  });

  it('rejects a model without start/end logits', async () => {
    await expect(createReader(fixture('bert-base'), { backend: 'wasm' })).rejects.toEqual(
      expect.objectContaining({ code: 'MODEL_INVALID' }),
    );
  });

  it('works the same through serve/connect over a MessageChannel', async () => {
    const channel = new MessageChannel();
    serve({ reader: createReader }, channel.port1);
    const client = connect<{ reader: typeof createReader }>(channel.port2);
    try {
      const remote = await client.create('reader', fixture('bert-qa'), { backend: 'wasm' });
      expect(remote.maxLength).toBe(384);
      const questions = ['Where is the tower?', 'When?'];
      expect(await remote.answer('Where is the tower?', CONTEXT, { topK: 3 })).toEqual(
        await reader.answer('Where is the tower?', CONTEXT, { topK: 3 }),
      );
      expect(await remote.answerMany(questions, CONTEXT, { topK: 1 })).toEqual(
        await reader.answerMany(questions, CONTEXT, { topK: 1 }),
      );
      await remote.dispose();
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
