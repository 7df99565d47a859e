/**
 * Issue 2's browser spec: fixture models loaded in a Web Worker through `connect()` match their PyTorch
 * references (max |diff| <= 1e-4 over unpadded positions) on the project's backend, against vite dev and
 * vite build + preview.
 */
import { expect, test } from '../support/test.js';

/** The two fixtures issue 2 names run on both backends; the rest on WASM only (SwiftShader WebGPU compiles
 * shaders per session at CPU speed: about 10-30 s per tiny model on 2 busy cores). */
const WEBGPU_FIXTURES = ['bert-token-cls', 'distilbert-qa'];
const FIXTURES = [
  ...WEBGPU_FIXTURES,
  'bert-base',
  'bert-qa',
  'bert-seq-cls',
  'distilbert-base',
  'distilbert-token-cls',
  'distilbert-seq-cls',
];
const TOLERANCE = 1e-4;

test('fixture models match the PyTorch references inside a Web Worker', async ({ page, backend }, testInfo) => {
  test.setTimeout(backend === 'webgpu' ? 240_000 : 120_000);
  await page.goto('./e2e-fixture.html');
  await expect(page.locator('html')).toHaveAttribute('data-parity-ready', 'true');
  expect(await page.evaluate(() => crossOriginIsolated), 'COOP/COEP headers make the page cross-origin isolated').toBe(
    true,
  );
  const lines: string[] = [];
  for (const fixture of backend === 'webgpu' ? WEBGPU_FIXTURES : FIXTURES) {
    const result = await page.evaluate(([f, b]) => window.bertwebParity(f, b), [fixture, backend] as const);
    if ('error' in result) throw new Error(`${fixture}: ${result.error.code} ${result.error.message}`);
    const perCase = result.cases.map((c) => `${c.name} ${c.maxDiff.toExponential(1)}`).join(', ');
    lines.push(
      `${testInfo.project.name} ${fixture.padEnd(21)} ${result.backend}/${result.dtype} threads=${result.threads} ` +
        `load ${result.loadMs.toFixed(0)} ms  max|diff| ${result.maxDiff.toExponential(2)}  (${perCase})`,
    );
    expect(result.backend, `${fixture} ran on the requested backend (reasons: ${result.reasons.join('; ')})`).toBe(
      backend,
    );
    for (const c of result.cases) expect(c.problems, `${fixture}/${c.name}`).toEqual([]);
    expect(result.maxDiff, `${fixture} max |diff|`).toBeLessThanOrEqual(TOLERANCE);
  }
  console.log(lines.join('\n'));
  testInfo.annotations.push({ type: 'parity', description: lines.join('\n') });
  await page.screenshot({ path: testInfo.outputPath('parity.png') });
});
