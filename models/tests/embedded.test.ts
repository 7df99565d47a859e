// The demo's embedded model as shipped (q8 ONNX from bertweb convert) against the PyTorch logits of the
// trained checkpoint, plus the tokenizer producing the training-time tokens, plus the tagger finding entities.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../packages/core/src/index.js';
import { createTagger } from '../../packages/tagging/src/index.js';

const dir = fileURLToPath(new URL('../ner-ru-tiny/', import.meta.url));
const reference = JSON.parse(readFileSync(`${dir}reference.json`, 'utf8')) as {
  labels: string[];
  cases: { text: string; tokens: string[]; input_ids: number[]; logits: number[][] }[];
};
const model = await loadModel(dir, { backend: 'wasm' });
afterAll(() => model.dispose());

describe('embedded ner-ru-tiny (q8)', () => {
  it('loads the q8 graph on WASM', () => {
    expect(model.backend.dtype).toBe('q8');
    expect(model.info.labels).toEqual(reference.labels);
  });

  it('tokenizes the reference texts exactly as training did', () => {
    for (const c of reference.cases) expect(model.tokenizer.encode(c.text).ids).toEqual(c.input_ids);
  });

  it('agrees with the PyTorch checkpoint: argmax >= 99% of tokens, logits cosine >= 0.99', async () => {
    const encodings = reference.cases.map((c) => model.tokenizer.encode(c.text));
    const outputs = await model.infer(encodings);
    let same = 0;
    let total = 0;
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    reference.cases.forEach((c, i) => {
      const logits = outputs[i]?.logits;
      if (!logits) throw new Error('no logits');
      const width = reference.labels.length;
      c.logits.forEach((row, t) => {
        const got = Array.from(logits.data.subarray(t * width, (t + 1) * width));
        same += Number(got.indexOf(Math.max(...got)) === row.indexOf(Math.max(...row)));
        total += 1;
        row.forEach((v, k) => {
          dot += v * (got[k] as number);
          a2 += v * v;
          b2 += (got[k] as number) ** 2;
        });
      });
    });
    const cosine = dot / Math.sqrt(a2 * b2);
    console.info(`embedded q8 vs PyTorch: argmax agreement ${(same / total).toFixed(4)}, cosine ${cosine.toFixed(5)}`);
    expect(same / total).toBeGreaterThanOrEqual(0.99);
    expect(cosine).toBeGreaterThanOrEqual(0.99);
  });

  it('finds people and places in a Russian sentence with exact offsets', async () => {
    const tagger = await createTagger(model);
    const text = reference.cases[0]?.text as string;
    const [entities] = await tagger.tag([text]);
    expect(entities?.length).toBeGreaterThan(0);
    for (const e of entities ?? []) expect(text.slice(e.start, e.end)).toBe(e.text);
    expect(entities?.map((e) => e.label)).toContain('PER');
    await tagger.dispose();
  });
});
