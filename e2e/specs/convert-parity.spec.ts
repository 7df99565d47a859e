/**
 * Issue 4's browser proof: checkpoints converted in the page by @bertweb/convert, run in a Web Worker on
 * the project's backend, against the fixtures' PyTorch references. fp32 within 1e-4, fp16 within 2e-2
 * (on WebGPU only where the adapter has shader-f16; without it the runtime must refuse fp16);
 * q8 / q4 are held to the bounds of packages/convert/src/convert.test.ts (the Node proof): cosine of
 * mean-pooled outputs and token-argmax agreement, with the measured values logged.
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../support/test.js';

const FIXTURES_DIR = fileURLToPath(new URL('../../models/fixtures/convert/', import.meta.url));
/** Every Hugging Face-layout fixture (the DeepPavlov tarball needs a base model; Node covers it). */
const FIXTURES = [
  'bert-base',
  'bert-token-cls',
  'bert-qa',
  'bert-seq-cls',
  'distilbert-base',
  'distilbert-token-cls',
  'distilbert-qa',
  'distilbert-seq-cls',
];
const DTYPES = { wasm: ['fp32', 'q8', 'q4'], webgpu: ['fp32', 'fp16', 'q4'] } as const;
const MAX_DIFF: Record<string, number> = { fp32: 1e-4, fp16: 2e-2 };
const MIN_COSINE: Record<string, number> = { q8: 0.99, q4: 0.9 };
const MIN_ARGMAX: Record<string, number> = { q8: 0.99, q4: 0.95 };

function checkpointFiles(fixture: string): string[] {
  const dir = `${FIXTURES_DIR}${fixture}/`;
  return readdirSync(dir).filter((f) => f !== 'reference.json' && statSync(dir + f).isFile());
}

test('checkpoints converted in the page match PyTorch on this backend', async ({ page, backend }, testInfo) => {
  test.setTimeout(backend === 'webgpu' ? 420_000 : 180_000);
  await page.goto('./e2e-fixture.html');
  await expect(page.locator('html')).toHaveAttribute('data-parity-ready', 'true');
  const lines: string[] = [];
  for (const fixture of FIXTURES) {
    const result = await page.evaluate(([f, files, b, d]) => window.bertwebConvertParity(f, files, b, d), [
      fixture,
      checkpointFiles(fixture),
      backend,
      [...DTYPES[backend]],
    ] as const);
    if ('error' in result) throw new Error(`${fixture}: ${result.error.code} ${result.error.message}`);
    // fp16 on WebGPU needs shader-f16 (SwiftShader has none): then the runtime must refuse it up front
    // with BACKEND_UNAVAILABLE, and nothing else may be refused.
    for (const r of result.refused) {
      lines.push(
        `${testInfo.project.name} ${fixture.padEnd(18)} ${backend}/${r.dtype.padEnd(4)} refused: ${r.code} (${r.message})`,
      );
      expect(
        { dtype: r.dtype, code: r.code, shaderF16: result.shaderF16 },
        `${fixture}/${r.dtype} was refused: ${r.message}`,
      ).toEqual({ dtype: 'fp16', code: 'BACKEND_UNAVAILABLE', shaderF16: false });
    }
    expect(result.variants.length + result.refused.length).toBe(DTYPES[backend].length);
    for (const v of result.variants) {
      const cosines = Object.entries(v.minCosine)
        .map(([name, c]) => `${name} ${c.toFixed(4)}`)
        .join(', ');
      const argmax = v.argmaxAgreement === undefined ? '' : `, argmax ${(v.argmaxAgreement * 100).toFixed(1)}%`;
      lines.push(
        `${testInfo.project.name} ${fixture.padEnd(18)} ${v.backend}/${v.dtype.padEnd(4)} max|diff| ` +
          `${v.maxDiff.toExponential(2)}  min cosine ${cosines}${argmax}  (load ${v.loadMs.toFixed(0)} ms)`,
      );
      expect(v.backend, `${fixture}/${v.dtype} backend (${v.reasons.join('; ')})`).toBe(backend);
      expect(v.problems, `${fixture}/${v.dtype}`).toEqual([]);
      const bound = MAX_DIFF[v.dtype];
      if (bound !== undefined) expect(v.maxDiff, `${fixture}/${v.dtype} max |diff|`).toBeLessThanOrEqual(bound);
      else {
        for (const [name, c] of Object.entries(v.minCosine))
          expect(c, `${fixture}/${v.dtype} ${name} cosine`).toBeGreaterThanOrEqual(MIN_COSINE[v.dtype] as number);
        if (v.argmaxAgreement !== undefined)
          expect(v.argmaxAgreement, `${fixture}/${v.dtype} argmax`).toBeGreaterThanOrEqual(
            MIN_ARGMAX[v.dtype] as number,
          );
      }
    }
  }
  console.log(lines.join('\n'));
  testInfo.annotations.push({ type: 'convert-parity', description: lines.join('\n') });
});
