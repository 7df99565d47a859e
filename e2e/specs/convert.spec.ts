/**
 * In-page conversion: a PyTorch checkpoint (`pytorch_model.bin` + config + vocab) chosen as local files
 * is converted to ONNX in the worker by @bertweb/convert, loaded, and tags text with exact offsets.
 */
import { fileURLToPath } from 'node:url';
import { expectResult, openTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

const folder = fileURLToPath(new URL('../../models/fixtures/convert/bert-token-cls/', import.meta.url));
const FILES = ['config.json', 'pytorch_model.bin', 'tokenizer_config.json', 'vocab.txt'];
const TEXT = 'the quick brown fox jumps over the lazy dog in paris and london';

test('a dropped PyTorch checkpoint is converted in the page and runs', async ({ page, backend }, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  const panel = await openTab(page, backend, 'ner');
  await panel.getByTestId('model-select').selectOption('local');
  await panel
    .getByLabel('…or its files (config.json, tokenizer, onnx/…)')
    .setInputFiles(FILES.map((name) => `${folder}${name}`));
  await expect(panel.getByTestId('model-notice')).toContainText('converted to ONNX in this page');
  await panel.getByRole('button', { name: 'Load model' }).click();
  const summary = panel.locator('.progress-summary');
  await expect(summary).toHaveText(/Ready in|Failed|Cancelled/, { timeout: timeoutFor(backend) });
  const alerts = (await panel.locator('[role="alert"]').allTextContents()).join(' ');
  await expect(summary, alerts).toContainText('Ready in', { timeout: 1000 });
  const expectedOnnx = backend === 'webgpu' ? 'onnx/model.onnx' : 'onnx/model_quantized.onnx';
  await expect(panel.locator('.model-slot')).toHaveAttribute(
    'data-converted',
    new RegExp(expectedOnnx.replace('.', '\\.')),
  );
  await expect(panel.locator('.backend-report')).toHaveAttribute('data-backend', backend);
  await expect(panel.locator('.progress li[data-file="' + expectedOnnx + '"]')).toBeAttached();

  await panel.getByLabel('Text', { exact: true }).fill(TEXT);
  await panel.getByRole('button', { name: 'Find entities' }).click();
  await expectResult(panel, panel.getByTestId('ner-table'), timeoutFor(backend));
  const marks = await panel.locator('mark.entity').evaluateAll((m) =>
    m.map((e) => ({
      text: e.textContent,
      start: Number((e as HTMLElement).dataset.start),
      end: Number((e as HTMLElement).dataset.end),
    })),
  );
  for (const m of marks) expect(m.text).toBe(TEXT.slice(m.start, m.end));
  await expect(panel.getByTestId('ner-text')).toHaveText(TEXT);
  console.log(
    `${testInfo.project.name} converted checkpoint: ${marks.length} entities; ${await panel.locator('.backend-report p').first().textContent()}`,
  );
});
