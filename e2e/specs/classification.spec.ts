/** Classification tab end to end: every text gets the model's labels with scores. */
import { expectLoadedOn, expectResult, screenshots, showTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

test('Classification: labels with scores for every text', async ({
  appPage: page,
  appConsole: _log,
  backend,
  request,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  const config = (await (await request.get('./models/fixtures/bert-seq-cls/config.json')).json()) as {
    id2label: Record<string, string>;
  };
  const labels = Object.values(config.id2label).sort();
  const panel = await showTab(page, backend, 'classification');
  const texts = (await panel.getByLabel('Texts, one per line').inputValue()).split('\n').filter(Boolean);
  await panel.getByRole('button', { name: 'Classify' }).click();
  await expectResult(panel, panel.getByTestId('classes'), timeoutFor(backend));
  const items = panel.getByTestId('classes').locator(':scope > li');
  await expect(items).toHaveCount(texts.length);
  await expectLoadedOn(panel, backend);
  for (let i = 0; i < texts.length; i++) {
    const item = items.nth(i);
    const shown = await item
      .locator('[data-label]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.label ?? ''));
    expect([...shown].sort()).toEqual(labels);
    const scores = (await item.locator('.score').allTextContents()).map(Number);
    expect(
      scores.reduce((a, b) => a + b, 0),
      'softmax scores sum to 1',
    ).toBeCloseTo(1, 2);
    await expect(item.locator('[data-predicted="true"]')).toHaveCount(1);
  }
  await screenshots(page, testInfo, 'classification');
});
