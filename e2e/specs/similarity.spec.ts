/** Similarity tab end to end: the heatmap renders (n x n, ones on the diagonal) and search returns top-k. */
import { expectLoadedOn, expectResult, screenshots, showTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

test('Similarity: heatmap of the sentences and semantic search', async ({
  appPage: page,
  appConsole: _log,
  backend,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  const panel = await showTab(page, backend, 'similarity');
  const sentences = (await panel.getByLabel('Sentences, one per line').inputValue()).split('\n').filter(Boolean);
  await panel.getByRole('button', { name: 'Compare' }).click();
  const heatmap = panel.getByTestId('heatmap');
  await expectResult(panel, heatmap, timeoutFor(backend));
  await expectLoadedOn(panel, backend);

  const n = sentences.length;
  const values = await heatmap
    .locator('td.cell')
    .evaluateAll((cells) => cells.map((c) => Number((c as HTMLElement).dataset.value)));
  expect(values).toHaveLength(n * n);
  for (let i = 0; i < n; i++) {
    expect(values[i * n + i], `cosine of sentence ${i + 1} with itself`).toBeCloseTo(1, 3);
    for (let j = 0; j < n; j++) {
      expect(values[i * n + j], 'symmetric').toBeCloseTo(values[j * n + i] as number, 4);
      expect(Math.abs(values[i * n + j] as number)).toBeLessThanOrEqual(1.0001);
    }
  }
  const painted = await heatmap
    .locator('td.cell')
    .first()
    .evaluate((c) => getComputedStyle(c).backgroundColor);
  expect(painted).not.toBe('rgba(0, 0, 0, 0)');

  await panel.getByLabel('Results', { exact: true }).selectOption('5');
  await panel.getByRole('button', { name: 'Search' }).click();
  const hits = panel.getByTestId('search-hits').locator('li');
  await expect(hits).toHaveCount(5, { timeout: timeoutFor(backend) });
  const scores = await hits.locator('.score').allTextContents();
  const numbers = scores.map(Number);
  expect(
    [...numbers].sort((a, b) => b - a),
    'hits sorted by score',
  ).toEqual(numbers);
  await screenshots(page, testInfo, 'similarity');
});
