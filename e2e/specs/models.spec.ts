/**
 * "Models & cache": catalog, cache manager (list with sizes, delete, storage estimate, persistence
 * request), keyboard navigation of the tabs; the embedded default model and the download notice of the
 * tabs that need a hub model (no `?models=fixtures` here).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expectResult, screenshots, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

const catalog = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../models/catalog.json', import.meta.url)), 'utf8'),
) as {
  models: unknown[];
};

test('the embedded model runs by default; other tabs say they need a download', async ({
  page,
  backend,
  request,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  await page.goto(`./?backend=${backend}#ner`);
  await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
  const ner = page.locator('#panel-ner');
  await expect(ner.getByTestId('model-select')).toHaveValue('embedded');
  await expect(ner.getByTestId('model-notice')).toHaveAttribute('data-kind', 'local');
  const started = Date.now();
  await ner.getByRole('button', { name: 'Find entities' }).click();
  await expectResult(ner, ner.getByTestId('ner-table'), timeoutFor(backend));
  const clickToResult = Date.now() - started;
  const load = await ner.locator('[data-metric="load"]').textContent();
  const first = await ner.locator('[data-metric="first-run"]').textContent();
  const report = await ner.locator('.backend-report p').first().textContent();
  console.log(
    `${testInfo.project.name} embedded NER: click to first result ${clickToResult} ms (load ${load}, first run ${first}); ${report}`,
  );
  testInfo.annotations.push({
    type: 'time-to-first-result',
    description: `${clickToResult} ms (load ${load}, first run ${first})`,
  });
  const labels = await ner.locator('mark.entity').evaluateAll((m) => m.map((e) => (e as HTMLElement).dataset.label));
  for (const label of labels) expect(['PER', 'ORG', 'LOC']).toContain(label);
  // With the trained Russian model (not the random-weight stand-in), the default sample has entities
  // and the model card shows its factRuEval-2016 test score.
  const trained = (await request.head('./models/ner-ru-tiny/onnx/model_quantized.onnx')).ok();
  if (trained) {
    expect(labels.length, 'entities in the Russian sample').toBeGreaterThan(0);
    await page.getByRole('tab', { name: 'Models & cache' }).click();
    await expect(page.getByTestId('model-card')).toContainText('Entity F1 (q8)');
    await page.getByRole('tab', { name: 'NER' }).click();
  }

  for (const tab of ['QA', 'Similarity', 'Classification']) {
    await page.getByRole('tab', { name: tab }).click();
    const notice = page.locator('[role="tabpanel"]:visible').getByTestId('model-notice');
    await expect(notice).toHaveAttribute('data-kind', 'download');
    await expect(notice).toContainText('Needs a download');
    await expect(notice).toContainText('MB');
  }
});

test('catalog, cache manager and keyboard navigation', async ({ page, backend }, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  await page.goto(`./?models=fixtures&backend=${backend}#classification`);
  const panel = page.locator('#panel-classification');
  await panel.getByRole('button', { name: 'Load model' }).click();
  await expect(panel.locator('.progress-summary')).toContainText('Ready in', { timeout: timeoutFor(backend) });

  // Keyboard: focus the selected tab, ArrowRight moves to "Models & cache".
  await page.getByRole('tab', { name: 'Classification' }).focus();
  await page.keyboard.press('ArrowRight');
  const modelsTab = page.getByRole('tab', { name: 'Models & cache' });
  await expect(modelsTab).toBeFocused();
  await expect(modelsTab).toHaveAttribute('aria-selected', 'true');
  const models = page.locator('#panel-models');
  await expect(models).toBeVisible();
  await expect(models.getByTestId('catalog').locator('tbody tr')).toHaveCount(catalog.models.length);

  const row = models.locator('tr[data-prefix$="/models/fixtures/bert-seq-cls/"]');
  await expect(row).toBeVisible();
  const onnxSize = readFileSync(
    fileURLToPath(new URL('../../models/fixtures/bert-seq-cls/onnx/model.onnx', import.meta.url)),
  ).length;
  await expect(row.locator(`li[data-url$="onnx/model.onnx"]`)).toHaveAttribute('data-size', String(onnxSize));
  await expect(models.getByTestId('storage-estimate')).toContainText(/Storage used: .+ of .+ available/);

  await models.getByRole('button', { name: 'Keep models (persistent storage)' }).click();
  await expect(models.locator('.note[role="status"]')).toBeVisible();
  await screenshots(page, testInfo, 'models');

  await row.getByRole('button', { name: /^Delete / }).click();
  await expect(row).toHaveCount(0);
});
