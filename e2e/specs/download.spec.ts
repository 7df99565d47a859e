/**
 * Downloads against a local model server (core's fault-injecting test server): per-file progress, a
 * cancelled load that leaves nothing half-cached, a full load that caches every file at its real size,
 * and readable error codes for a 404 and for a corrupt model.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { type ModelServer, startModelServer } from '../../packages/core/src/sources/test-utils/index.js';
import { openTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

const fixtures = fileURLToPath(new URL('../../models/fixtures/', import.meta.url));
const FIXTURE = 'bert-token-cls';
const ONNX_BYTES = readFileSync(`${fixtures}${FIXTURE}/onnx/model.onnx`).length;
/** Bytes per second: ~5 s for the 542 KB ONNX file, long enough to watch progress and cancel. */
const THROTTLE = 110_000;

let server: ModelServer;
test.beforeAll(async () => {
  const fixtureFile = (name: string) => readFileSync(`${fixtures}${FIXTURE}/${name}`);
  server = await startModelServer({
    root: fixtures,
    throttleBytesPerSec: THROTTLE,
    files: {
      // A model whose ONNX bytes are garbage: config and tokenizer are fine.
      'corrupt/config.json': fixtureFile('config.json'),
      'corrupt/vocab.txt': fixtureFile('vocab.txt'),
      'corrupt/tokenizer_config.json': fixtureFile('tokenizer_config.json'),
      'corrupt/onnx/model.onnx': new Uint8Array(4096).map((_, i) => (i * 7919) % 251),
    },
  });
});
test.afterAll(async () => {
  await server?.close();
});

async function loadCustom(panel: Locator, url: string): Promise<void> {
  await panel.getByTestId('model-select').selectOption('custom');
  await panel.getByLabel('Hub id or URL').fill(url);
  await panel.getByRole('button', { name: /Load model|Reload model/ }).click();
}

/** Cached files under a URL prefix, as the page's cache manager lists them. */
async function cachedFiles(page: Page, prefix: string): Promise<{ url: string; size: number }[]> {
  await page.getByRole('tab', { name: 'Models & cache' }).click();
  const panel = page.locator('#panel-models');
  await panel.getByRole('button', { name: 'Refresh' }).click();
  await expect(panel.getByTestId('storage-estimate')).toContainText('Storage used');
  const files = await panel.locator('.cached-files li').evaluateAll((items) =>
    items.map((li) => ({
      url: (li as HTMLElement).dataset.url ?? '',
      size: Number((li as HTMLElement).dataset.size),
    })),
  );
  return files.filter((f) => f.url.startsWith(prefix));
}

test('a throttled download shows per-file progress; Cancel leaves nothing half-cached; a full load caches it all', async ({
  page,
  backend,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend) + 60_000);
  const folder = `${server.url}${FIXTURE}/`;
  const panel = await openTab(page, backend, 'ner');
  await loadCustom(panel, folder);
  const onnxRow = panel.locator('.progress li[data-file="onnx/model.onnx"]');
  await expect(onnxRow).toBeVisible({ timeout: 30_000 });
  // Bytes are arriving: the bar moves and the text shows bytes and speed.
  await expect
    .poll(async () => Number(await onnxRow.locator('progress').getAttribute('value')), { timeout: 20_000 })
    .toBeGreaterThan(0);
  await expect(onnxRow.locator('.bytes')).toContainText(/KB \/ .*KB · .*\/s/);
  const partial = Number(await onnxRow.locator('progress').getAttribute('value'));
  expect(partial).toBeLessThan(ONNX_BYTES);
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.locator('[role="alert"][data-code="ABORTED"]')).toBeVisible();
  await expect(panel.locator('.progress-summary')).toHaveText('Cancelled');

  // Give an unaborted download the time it would need to finish, so a late write would show up.
  await page.waitForTimeout(Math.ceil((ONNX_BYTES / THROTTLE) * 1000) + 1000);
  const afterCancel = await cachedFiles(page, folder);
  expect(afterCancel.map((f) => f.url)).not.toContain(`${folder}onnx/model.onnx`);
  for (const file of afterCancel) {
    const real = readFileSync(`${fixtures}${FIXTURE}/${file.url.slice(folder.length)}`).length;
    expect(file.size, `${file.url} cached whole`).toBe(real);
  }
  console.log(
    `${testInfo.project.name} cancel at ${partial}/${ONNX_BYTES} bytes; cached after cancel: ${afterCancel.map((f) => f.url.slice(folder.length)).join(', ') || 'nothing'}`,
  );

  // Load it completely: every file cached at its full size.
  await page.getByRole('tab', { name: 'NER' }).click();
  await panel.getByRole('button', { name: /Load model|Reload model/ }).click();
  await expect(panel.locator('.progress-summary')).toContainText('Ready in', { timeout: timeoutFor(backend) });
  await expect(panel.locator('.backend-report')).toHaveAttribute('data-backend', backend);
  const afterLoad = await cachedFiles(page, folder);
  const onnx = afterLoad.find((f) => f.url === `${folder}onnx/model.onnx`);
  expect(onnx?.size).toBe(ONNX_BYTES);
});

test('a missing model shows MODEL_NOT_FOUND and a corrupt one MODEL_INVALID', async ({ page, backend }) => {
  test.setTimeout(timeoutFor(backend));
  const panel = await openTab(page, backend, 'ner');
  await loadCustom(panel, `${server.url}no-such-model/`);
  const notFound = panel.locator('[role="alert"][data-code="MODEL_NOT_FOUND"]');
  await expect(notFound).toBeVisible({ timeout: 60_000 });
  await expect(notFound).toContainText('MODEL_NOT_FOUND');

  await loadCustom(panel, `${server.url}corrupt/`);
  const invalid = panel.locator('[role="alert"][data-code="MODEL_INVALID"]');
  await expect(invalid).toBeVisible({ timeout: 60_000 });
  await expect(invalid).toContainText('MODEL_INVALID');
  // The page is still responsive: the embedded/fixture model can be chosen and loaded.
  await panel.getByTestId('model-select').selectOption('fixture:bert-token-cls');
  await expect(panel.getByRole('button', { name: 'Load model' })).toBeEnabled();
});
