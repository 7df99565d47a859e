/**
 * Parity with the independent PyTorch/NumPy reference (models/scripts/ref_qa.py): windows, logits, and
 * the chosen spans, scores and no-answer scores on 212 question/context pairs per model, for BERT
 * (token types) and DistilBERT (none). See qa-cases.ts for how the cases are built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LoadedModel, loadModel } from '@bertweb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReader, type Reader } from './reader.js';
import { type QaCase, qaCases, SQUAD_DEV_V11, unicodeCases } from './test-utils/qa-cases.js';
import { buildWindows } from './windows.js';

interface RefCase {
  id: string;
  windows: [number, number][];
  best: [number, number, number] | null;
  margin: number | null;
  top3: [number, number, number][];
  nullScore: number;
}
interface RefModel {
  cases: RefCase[];
  logits: Record<string, { ids: number[]; start: number[]; end: number[] }>;
}
const reference = JSON.parse(readFileSync(new URL('./__fixtures__/qa-reference.json', import.meta.url), 'utf8')) as {
  settings: { maxLength: number; docStride: number; maxAnswerLength: number };
  models: Record<string, RefModel>;
};
/** The reference's windowing (ref_qa.py names the overlap doc_stride, as Hugging Face does). */
const windowSettings = { maxLength: reference.settings.maxLength, windowOverlap: reference.settings.docStride };

const haveSquad = existsSync(SQUAD_DEV_V11);
if (!haveSquad)
  console.warn(`SQuAD dev set not found at ${SQUAD_DEV_V11.pathname}: checking the 12 Unicode cases only`);
const cases: QaCase[] = haveSquad ? qaCases() : unicodeCases();

/** Relative closeness for probabilities (float32 logits differ by ~1e-6 between runtimes). */
function expectClose(actual: number, expected: number, what: string): void {
  const tolerance = 1e-4 * Math.max(Math.abs(expected), 1e-6);
  if (Math.abs(actual - expected) > tolerance) throw new Error(`${what}: ${actual} vs reference ${expected}`);
}

for (const name of ['bert-qa', 'distilbert-qa']) {
  describe(`${name} vs PyTorch reference`, () => {
    const ref = reference.models[name] as RefModel;
    const byId = new Map(ref.cases.map((c) => [c.id, c]));
    let model: LoadedModel;
    let reader: Reader;

    beforeAll(async () => {
      model = await loadModel(fileURLToPath(new URL(`../../../models/fixtures/${name}`, import.meta.url)), {
        backend: 'wasm',
      });
      reader = await createReader(model, { ...windowSettings, maxAnswerLength: reference.settings.maxAnswerLength });
    });
    afterAll(async () => {
      await reader.dispose();
      await model.dispose();
    });

    it(`has a reference for every case (${cases.length})`, () => {
      expect(cases.length).toBe(haveSquad ? 212 : 12);
      for (const c of cases) expect(byId.has(c.id), c.id).toBe(true);
    });

    it('builds exactly the reference windows (question never cut, Hugging Face stride rule)', () => {
      const tok = model.tokenizer;
      const { cls, sep } = tok.specialTokens;
      let windows = 0;
      for (const c of cases) {
        const q = tok.encode(c.question, { addSpecialTokens: false, truncation: false }).ids;
        const ctx = tok.encode(c.context, { addSpecialTokens: false, truncation: false }).ids;
        const built = buildWindows(tok, c.question, c.context, windowSettings).map((w) => w.ids);
        const expected = (byId.get(c.id) as RefCase).windows.map(([s, e]) => [
          cls.id,
          ...q,
          sep.id,
          ...ctx.slice(s, e),
          sep.id,
        ]);
        expect(built, c.id).toEqual(expected);
        windows += built.length;
      }
      expect(windows).toBeGreaterThanOrEqual(cases.length);
      if (haveSquad) {
        for (const c of cases.filter((x) => x.kind === 'long')) {
          expect((byId.get(c.id) as RefCase).windows.length, c.id).toBeGreaterThanOrEqual(5);
        }
      }
    });

    // The logit references are SQuAD paragraphs: without ../shared/data (announced above) there is nothing to run.
    it.skipIf(!haveSquad)('start/end logits are within 1e-4 of PyTorch', async () => {
      const ids = Object.keys(ref.logits);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      let worst = 0;
      for (const id of ids) {
        const c = cases.find((x) => x.id === id);
        if (!c) throw new Error(`no case ${id}`);
        const expected = ref.logits[id] as RefModel['logits'][string];
        const [window] = buildWindows(model.tokenizer, c.question, c.context, windowSettings);
        if (!window) throw new Error('no window');
        expect(window.ids).toEqual(expected.ids);
        const [out] = await model.infer([window]);
        const start = out?.start_logits?.data ?? new Float32Array();
        const end = out?.end_logits?.data ?? new Float32Array();
        expect(start.length).toBe(expected.start.length);
        expected.start.forEach((v, i) => {
          worst = Math.max(
            worst,
            Math.abs((start[i] as number) - v),
            Math.abs((end[i] as number) - (expected.end[i] as number)),
          );
        });
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    });

    it('chooses the reference span, score, top-3 and no-answer score on every case', async () => {
      let compared = 0;
      for (let from = 0; from < cases.length; from += 16) {
        const group = cases.slice(from, from + 16);
        // A threshold of -1 ranks the no-answer entry first (it beats every span by more than -1), so one
        // call returns the no-answer score followed by the top 3 spans.
        const ranked = await Promise.all(
          group.map((c) => reader.answer(c.question, c.context, { topK: 4, noAnswerThreshold: -1 })),
        );
        group.forEach((c, i) => {
          const expected = byId.get(c.id) as RefCase;
          const [none, ...top] = ranked[i] ?? [];
          expect(
            top.map((a) => [a.start, a.end]),
            c.id,
          ).toEqual(expected.top3.map(([s, e]) => [s, e]));
          top.forEach((a, k) => {
            expectClose(a.score, (expected.top3[k] as [number, number, number])[2], `${c.id} top${k + 1} score`);
            expect(a.text).toBe(c.context.slice(a.start, a.end));
            expect(a.noAnswer).toBe(false);
          });
          expect(none?.noAnswer, c.id).toBe(true);
          expectClose(none?.score ?? Number.NaN, expected.nullScore, `${c.id} no-answer score`);
          compared++;
        });
      }
      expect(compared).toBe(cases.length);
    });
  });
}
