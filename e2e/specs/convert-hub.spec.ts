/**
 * Load-time conversion in the demo (issue 12): a hub id whose repo has PyTorch weights only is downloaded,
 * converted to ONNX in the model worker (@bertweb/convert, fetched only then), cached converted, and run.
 *
 * - The local hub: the demo's Vite plugin serves models/fixtures/hub/repos at `<app>/hub` in the hub's
 *   URL layout (`?hub=<app>/hub`), with the hub's sha256 `X-Linked-Etag`s. DeepPavlov/rubert-base-cased-
 *   sentence there is a legacy-pickle `pytorch_model.bin` with `vocab.txt` and no ONNX, like the real repo.
 *   It is converted with a visible conversion stage, answers, and, offline after a reload (preview: the
 *   service worker serves the shell; dev has none, so the model is reloaded into a fresh session instead),
 *   answers again from the cache with no request for the checkpoint's bytes.
 * - A cancelled conversion: a checkpoint generated at test time (DistilRuBERT-tiny v1's size, 41 MB of
 *   safetensors, served by core's local model server) so the conversion lasts long enough to press the
 *   demo's Cancel during it; nothing converted (and no checkpoint) is left in the Cache API. Converted in
 *   full afterwards, it is listed by the cache manager as a converted entry and deleted from there.
 *
 * Conversion time (the demo's own stage timer) and peak JS memory of the page and its workers (CDP
 * `Runtime.getHeapUsage`, heap + ArrayBuffers, sampled every 20 ms) are printed for the bench notes.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { type ModelServer, startModelServer } from '../../packages/core/src/sources/test-utils/index.js';
import { expectResult, openTab, timeoutFor } from '../support/app.js';
import { generatedHubRepo, TINY_REAL_SHAPE } from '../support/checkpoint.js';
import { type HeapPeaks, HeapSampler, mb, peakBetween } from '../support/heap.js';
import { describeRequests, NetworkLog } from '../support/network.js';
import { expect, test } from '../support/test.js';

const REPO = 'DeepPavlov/rubert-base-cased-sentence';
const GENERATED = 'bertweb-e2e/distilrubert-tiny-v1-shape';
const CONVERTED = '/.bertweb/converted/';
const CHECKPOINT_BYTES = statSync(
  fileURLToPath(new URL(`../../models/fixtures/hub/repos/${REPO}/pytorch_model.bin`, import.meta.url)),
).size;

/** Every Cache API entry of the page's origin (all caches: files, missing-file marks). */
async function cacheUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

/** Records every text the progress summary and the conversion row show (fast stages included). */
async function recordStages(page: Page, panelId: string): Promise<void> {
  await page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as { stages: string[] }).stages = seen;
    const note = (text: string | null | undefined) => {
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    const window_ = window as unknown as { convertWindow: { start?: number; end?: number } };
    window_.convertWindow = {};
    new MutationObserver(() => {
      const panel = document.getElementById(id);
      note(panel?.querySelector('.progress-summary')?.textContent);
      const row = panel?.querySelector<HTMLElement>('.progress li[data-stage="convert"]');
      note(row?.querySelector('.bytes')?.textContent);
      if (row) window_.convertWindow.start ??= Date.now();
      if (row?.dataset.status === 'done') window_.convertWindow.end ??= Date.now();
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, panelId);
}

async function stages(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { stages: string[] }).stages);
}

/** `Date.now()` when the conversion stage appeared and when it ended (see {@link recordStages}). */
async function convertWindow(page: Page): Promise<{ start: number; end: number }> {
  const w = await page.evaluate(
    () => (window as unknown as { convertWindow: { start?: number; end?: number } }).convertWindow,
  );
  if (w.start === undefined || w.end === undefined) throw new Error('no conversion stage was recorded');
  return { start: w.start, end: w.end };
}

/** The heatmap of the latest run: one shown before is marked stale (see {@link markStale}). */
const FRESH_HEATMAP = '[data-testid="heatmap"]:not([data-stale])';

/** Marks the heatmap shown now, so that waiting for {@link FRESH_HEATMAP} waits for the next one. */
async function markStale(panel: Locator): Promise<void> {
  await panel.getByTestId('heatmap').evaluateAll((elements) => {
    for (const e of elements) e.setAttribute('data-stale', '');
  });
}

async function heatmapValues(panel: Locator): Promise<number[]> {
  return panel
    .locator(FRESH_HEATMAP)
    .locator('td.cell')
    .evaluateAll((cells) => cells.map((c) => Number((c as HTMLElement).dataset.value)));
}

/**
 * Peaks of the model worker (the app's own worker, not ORT's thread workers) during the conversion stage
 * and over the whole load (which adds the ORT session: its WASM memory counts as an ArrayBuffer), and
 * the page's.
 */
function describePeaks(peaks: HeapPeaks, window: { start: number; end: number }): string {
  const app = peaks.targets.find((t) => t.type === 'worker' && /worker/.test(t.url) && !/ort[.-]/.test(t.url));
  const page = peaks.targets.find((t) => t.type === 'page');
  const fmt = (t: { used: number; usedWithBuffers: number } | undefined) =>
    t ? `heap ${mb(t.used)}, heap+ArrayBuffers ${mb(t.usedWithBuffers)}` : 'n/a (no sample)';
  // The stage is timed in the page; widen by one sampling interval so a short stage gets its samples.
  const during = app ? peakBetween(peaks, app.targetId, window.start - 20, window.end + 20) : undefined;
  return (
    `model worker peak during the conversion ${fmt(during)} (${during?.samples ?? 0} samples), ` +
    `over the whole load ${fmt(app)}; page peak ${fmt(page)} (CDP Runtime.getHeapUsage every 20 ms)`
  );
}

test('a PyTorch-only hub repo is converted in the worker, answers, and answers again offline from the cache', async ({
  page,
  context,
  backend,
  target,
  appURL,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend) + 90_000);
  const dtype = backend === 'webgpu' ? /fp32|fp16|q4/ : /q8/;
  const network = new NetworkLog(context);
  const requests = network.requests;
  const hub = new URL('hub', appURL).href;
  const panel = await openTab(page, backend, 'similarity', `&hub=${encodeURIComponent(hub)}`);
  const choose = async (slot: Locator) => {
    await slot.getByTestId('model-select').selectOption(`hub:${REPO}`);
    await expect(slot.getByTestId('model-notice')).toContainText('Converted on first load');
  };
  await choose(panel);
  if (target === 'preview') {
    // The offline reload needs the service worker's precache of the shell and ORT's .wasm.
    await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 60_000 });
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 })
      .toBe(true);
  }

  // First load: download, convert in the worker (a visible stage), cache, answer.
  await recordStages(page, 'panel-similarity');
  const sampler = await HeapSampler.start(page);
  await panel.getByRole('button', { name: 'Compare' }).click();
  await expectResult(panel, panel.getByTestId('heatmap'), timeoutFor(backend));
  const peaks = await sampler.stop();
  const stageWindow = await convertWindow(page); // before the offline reload (preview) resets the page
  const seen = await stages(page);
  const converting = seen.filter((text) => /^Converting to (q8|q4|fp16|fp32)… \d+%$/.test(text));
  expect(converting.length, `conversion stage shown (saw: ${seen.join(' | ')})`).toBeGreaterThan(0);
  expect(converting.some((text) => dtype.test(text))).toBe(true);
  const convertRow = panel.locator('.progress li[data-stage="convert"]');
  await expect(convertRow).toHaveAttribute('data-status', 'done');
  await expect(convertRow).toContainText(/Converted to \w+ in /);
  const convertMs = Number(await convertRow.getAttribute('data-ms'));
  const report = panel.locator('.backend-report');
  await expect(report).toHaveAttribute('data-converted', 'now');
  await expect(report).toHaveAttribute('data-backend', backend);
  await expect(report.getByTestId('converted')).toHaveAttribute('data-cached', 'false');
  await expect(report.getByTestId('converted')).toContainText('from pytorch_model.bin by @bertweb/convert');
  const online = await heatmapValues(panel);
  const n = Math.round(Math.sqrt(online.length));
  expect(online).toHaveLength(n * n);
  for (let i = 0; i < n; i++) expect(online[i * n + i], `sentence ${i + 1} with itself`).toBeCloseTo(1, 3);
  const checkpointGets = () =>
    requests.filter((r) => r.method === 'GET' && r.url.endsWith(`/${REPO}/resolve/main/pytorch_model.bin`));
  expect(checkpointGets(), 'the checkpoint is downloaded once').toHaveLength(1);

  // Cached: the converted files and their manifest (written last); not the 4x larger checkpoint.
  const source = `${hub}/${REPO}/resolve/main/`;
  const cached = (await cacheUrls(page)).filter((url) => url.startsWith(source));
  const converted = cached.filter((url) => url.includes(CONVERTED));
  expect(converted.some((url) => url.endsWith('/manifest.json'))).toBe(true);
  expect(converted.some((url) => /\/onnx\/model[\w]*\.onnx$/.test(url))).toBe(true);
  expect(cached, 'the raw checkpoint is not cached').not.toContain(`${source}pytorch_model.bin`);

  // The cache manager lists the conversion as such.
  await page.getByRole('tab', { name: 'Models & cache' }).click();
  const models = page.locator('#panel-models');
  await models.getByRole('button', { name: 'Refresh' }).click();
  const row = models.locator(`tr[data-converted][data-prefix^="${source}.bertweb/converted/"]`);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`${REPO}@main`);
  await expect(row).toContainText(/converted to \w+ from pytorch_model\.bin \(@bertweb\/convert [\d.]+\)/);
  await page.getByRole('tab', { name: 'Similarity', exact: true }).click();

  // Offline: load again from the cache (nothing converted, no checkpoint bytes requested).
  const mark = network.mark();
  await context.setOffline(true);
  let again = panel;
  try {
    if (target === 'preview') {
      await page.reload();
      await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
      await expect(page.getByTestId('online')).toHaveText(' · offline');
      again = page.locator('#panel-similarity');
      await choose(again);
      await again.getByRole('button', { name: 'Compare' }).click();
    } else {
      // Dev has no service worker: the same model into a fresh worker session, offline.
      await again.getByRole('button', { name: 'Reload model' }).click();
      const summary = again.locator('.progress-summary');
      await expect(summary).toHaveText(/Ready in|Failed|Cancelled/, { timeout: timeoutFor(backend) });
      const alerts = (await again.locator('[role="alert"]').allTextContents()).join(' | ');
      await expect(summary, `offline reload: ${alerts}`).toContainText('Ready in', { timeout: 1000 });
      // The online run's heatmap is still shown: the offline one must replace it.
      await markStale(again);
      await again.getByRole('button', { name: 'Compare' }).click();
    }
    await expectResult(again, again.locator(FRESH_HEATMAP), timeoutFor(backend));
    await expect(again.locator('.backend-report')).toHaveAttribute('data-converted', 'cached');
    await expect(again.locator('.backend-report').getByTestId('converted')).toHaveAttribute('data-cached', 'true');
    await expect(again.locator('.progress li[data-stage="convert"]')).toHaveCount(0);
    expect(await heatmapValues(again), 'same vectors from the cached conversion').toEqual(online);
  } finally {
    await context.setOffline(false);
  }
  // Nothing for the model reached a server: no GET of any model file was even tried, and what was tried
  // failed offline: HEADs (core's freshness check of the checkpoint, and existence probes it sends before
  // it trusts the cache's missing-file marks, each with its retries).
  const modelRequests = network.since(mark).filter((r) => r.url.startsWith(`${hub}/`));
  expect(
    modelRequests.filter((r) => r.method !== 'HEAD'),
    `no GET of a model file offline:\n  ${describeRequests(modelRequests)}`,
  ).toEqual([]);
  expect(
    modelRequests.filter((r) => r.status !== undefined),
    `no model request answered offline:\n  ${describeRequests(modelRequests)}`,
  ).toEqual([]);
  const probed = [...new Set(modelRequests.map((r) => r.url.slice(source.length)))];

  const line =
    `${testInfo.project.name} ${REPO} (hub fixture, ${mb(CHECKPOINT_BYTES)} legacy pickle): converted in ${convertMs} ms ` +
    `(demo stage timer); ${describePeaks(peaks, stageWindow)}; offline ${target === 'preview' ? 'page reload' : 'reload into a fresh session'}: ` +
    `${modelRequests.length} HEAD(s) tried and failed (no network) for ${probed.length} file(s) (${probed.join(', ')}), no GET, nothing answered`;
  console.log(line);
  testInfo.annotations.push({ type: 'convert-hub', description: line });
});

let server: ModelServer | undefined;
test.describe('a generated checkpoint of a real model size', () => {
  test.beforeAll(async () => {
    server = await startModelServer({ files: generatedHubRepo(GENERATED, TINY_REAL_SHAPE), sha256Etag: true });
  });
  test.afterAll(async () => {
    await server?.close();
  });

  test('cancelling during the conversion leaves nothing converted in the cache; a full one is listed and deleted', async ({
    page,
    backend,
  }, testInfo) => {
    test.setTimeout(timeoutFor(backend) + 120_000);
    const base = (server as ModelServer).url;
    const source = `${base}${GENERATED}/resolve/main/`;
    const panel = await openTab(page, backend, 'similarity', `&hub=${encodeURIComponent(base)}`);
    await panel.getByTestId('model-select').selectOption('custom');
    await panel.getByLabel('Hub id or URL').fill(GENERATED);
    // Cancel mid-conversion: the demo's Cancel button is clicked from the page once the conversion stage
    // passes 20% (a round trip from the test could land too late: the whole conversion takes about 0.5 s).
    await page.evaluate(() => {
      const observer = new MutationObserver(() => {
        const slot = document.querySelector('#panel-similarity .model-slot');
        const row = slot?.querySelector<HTMLElement>('.progress li[data-stage="convert"]');
        const cancel = slot?.querySelector<HTMLButtonElement>('button.cancel');
        if (!row || !cancel || cancel.hidden || row.dataset.status === 'done') return;
        if (Number(row.dataset.fraction) < 0.2) return; // mid-way: tensors are being written

        observer.disconnect();
        (window as unknown as { cancelledAt: string }).cancelledAt = row.dataset.fraction ?? '';
        cancel.click();
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await panel.getByRole('button', { name: 'Load model' }).click();
    const convertRow = panel.locator('.progress li[data-stage="convert"]');
    await expect(convertRow).toBeAttached({ timeout: 60_000 });
    await expect(panel.locator('[role="alert"][data-code="ABORTED"]')).toBeVisible();
    await expect(panel.locator('.progress-summary')).toHaveText('Cancelled');
    const cancelledAt = Number(await page.evaluate(() => (window as unknown as { cancelledAt: string }).cancelledAt));
    expect(cancelledAt, 'Cancel pressed during the conversion').toBeGreaterThanOrEqual(0.2);
    expect(cancelledAt, 'Cancel pressed during the conversion').toBeLessThan(1);
    expect(await convertRow.getAttribute('data-status'), 'the conversion did not end').not.toBe('done');
    const stoppedAt = Number(await convertRow.getAttribute('data-fraction'));
    // Time for a conversion that ignored the abort to finish and write.
    await page.waitForTimeout(5000);
    const afterCancel = (await cacheUrls(page)).filter((url) => url.startsWith(source));
    expect(
      afterCancel.filter((url) => url.includes(CONVERTED)),
      'nothing converted is cached',
    ).toEqual([]);
    expect(afterCancel, 'the checkpoint is not cached').not.toContain(`${source}model.safetensors`);

    // Converted in full: timed and measured.
    await recordStages(page, 'panel-similarity');
    const sampler = await HeapSampler.start(page);
    await panel.getByRole('button', { name: /Load model|Reload model/ }).click();
    await expect(panel.locator('.progress-summary')).toHaveText(/Ready in|Failed|Cancelled/, {
      timeout: timeoutFor(backend),
    });
    const peaks = await sampler.stop();
    await expect(panel.locator('.progress-summary')).toContainText('Ready in', { timeout: 1000 });
    await expect(convertRow).toHaveAttribute('data-status', 'done');
    const convertMs = Number(await convertRow.getAttribute('data-ms'));
    const window = await convertWindow(page);
    await expect(panel.locator('.backend-report')).toHaveAttribute('data-converted', 'now');
    const onnx = (await cacheUrls(page)).filter((url) => url.startsWith(source) && url.includes(CONVERTED));
    expect(onnx.some((url) => url.endsWith('/manifest.json'))).toBe(true);
    const onnxBytes = await page.evaluate(async (urls) => {
      let total = 0;
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const url of urls) {
          const response = await cache.match(url);
          if (response && /\.onnx$/.test(url)) total += (await response.arrayBuffer()).byteLength;
        }
      }
      return total;
    }, onnx);

    // The cache manager lists it as converted and deletes it (the downloads of the source stay).
    await page.getByRole('tab', { name: 'Models & cache' }).click();
    const models = page.locator('#panel-models');
    await models.getByRole('button', { name: 'Refresh' }).click();
    const row = models.locator(`tr[data-converted][data-prefix^="${source}.bertweb/converted/"]`);
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(`${GENERATED}@main`);
    await expect(row).toContainText('from model.safetensors');
    await row.getByRole('button', { name: /^Delete / }).click();
    await expect(row).toHaveCount(0);
    const afterDelete = (await cacheUrls(page)).filter((url) => url.startsWith(source));
    expect(afterDelete.filter((url) => url.includes(CONVERTED))).toEqual([]);
    expect(afterDelete).toContain(`${source}config.json`);

    const checkpoint = Object.entries(generatedHubRepo(GENERATED, TINY_REAL_SHAPE)).find(([name]) =>
      name.endsWith('model.safetensors'),
    )?.[1].byteLength as number;
    const line =
      `${testInfo.project.name} ${GENERATED} (hidden ${TINY_REAL_SHAPE.hidden}, ${TINY_REAL_SHAPE.layers} layers, ` +
      `vocab ${TINY_REAL_SHAPE.vocab}; ${mb(checkpoint)} F32 safetensors -> ${mb(onnxBytes)} ONNX): Cancel pressed at ` +
      `${Math.round(cancelledAt * 100)}%, stopped at ${Math.round(stoppedAt * 100)}%; full conversion ${convertMs} ms (demo stage timer); ${describePeaks(peaks, window)}`;
    console.log(line);
    testInfo.annotations.push({ type: 'convert-hub', description: line });
  });
});
