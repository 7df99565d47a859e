/**
 * Offline use.
 * - preview (production build with the service worker): load the app and a model once, go offline,
 *   reload the page, run again. The app shell and ORT's .wasm come from the service worker's precache,
 *   the model files from bertweb's own cache.
 * - dev: Vite's dev server has no service worker (vite-plugin-pwa is off in dev), so a reload offline
 *   cannot work there. The dev variant checks the model side only: after one online load, going offline
 *   and loading the model again into a fresh session reads every file from bertweb's cache.
 */

import { expectResult, openTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

const TEXT = 'Angela Merkel met Emmanuel Macron in Paris on Monday. Later, Airbus and Siemens met in Berlin.';

test('works offline after one visit', async ({ page, context, backend, target }, testInfo) => {
  test.setTimeout(timeoutFor(backend) + 60_000);
  const panel = await openTab(page, backend, 'ner', '&dtype=fp32');
  if (target === 'preview') {
    // Installable: a manifest with name, start URL, standalone display and 192/512 px icons that load.
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
      if (!link) return null;
      const json = (await (await fetch(link.href)).json()) as {
        name?: string;
        start_url?: string;
        display?: string;
        icons?: { src: string; sizes: string }[];
      };
      const icons = await Promise.all(
        (json.icons ?? []).map(async (icon) => ({
          sizes: icon.sizes,
          ok: (await fetch(new URL(icon.src, link.href))).ok,
        })),
      );
      return { name: json.name, start: json.start_url, display: json.display, icons };
    });
    expect(manifest, 'a web app manifest is linked').not.toBeNull();
    expect(manifest?.display).toBe('standalone');
    expect(manifest?.name).toBeTruthy();
    expect(manifest?.start).toBeTruthy();
    for (const size of ['192x192', '512x512']) {
      expect(manifest?.icons.find((i) => i.sizes === size)?.ok, `icon ${size}`).toBe(true);
    }
    // The service worker installs (precaching the shell and the 26 MB .wasm) and takes control.
    await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 60_000 });
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 })
      .toBe(true);
  }
  await panel.getByLabel('Text', { exact: true }).fill(TEXT);
  await panel.getByRole('button', { name: 'Find entities' }).click();
  await expectResult(panel, panel.getByTestId('ner-table'), timeoutFor(backend));
  const online = await panel.getByTestId('ner-text').innerHTML();

  await context.setOffline(true);
  try {
    if (target === 'preview') {
      await page.reload();
      await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
      await expect(page.getByTestId('online')).toHaveText(' · offline');
      const again = page.locator('#panel-ner');
      await again.getByLabel('Text', { exact: true }).fill(TEXT);
      await again.getByRole('button', { name: 'Find entities' }).click();
      await expectResult(again, again.getByTestId('ner-table'), timeoutFor(backend));
      await expect(again.locator('.progress li[data-cached="true"]').first()).toBeAttached();
      expect(await again.getByTestId('ner-text').innerHTML(), 'same entities offline').toBe(online);
    } else {
      // Dev: a fresh session from cached files (switching backend forces a new load).
      await panel.getByTestId('backend-select').selectOption(backend === 'wasm' ? 'auto' : 'wasm');
      await panel.getByRole('button', { name: 'Find entities' }).click();
      const summary = panel.locator('.progress-summary');
      await expect(summary).toHaveText(/Ready in|Failed|Cancelled/, { timeout: timeoutFor(backend) });
      await expect(
        summary,
        await panel
          .locator('[role="alert"]')
          .allTextContents()
          .then((t) => t.join(' ')),
      ).toContainText('Ready in', { timeout: 1000 });
      const rows = panel.locator('.progress li');
      const count = await rows.count();
      expect(count).toBeGreaterThan(0);
      await expect(panel.locator('.progress li[data-cached="true"]')).toHaveCount(count);
      await expectResult(panel, panel.getByTestId('ner-table'), timeoutFor(backend));
    }
  } finally {
    await context.setOffline(false);
  }
  testInfo.annotations.push({
    type: 'offline',
    description:
      target === 'preview'
        ? 'page reload offline (service worker)'
        : 'model reload offline from bertweb cache (no service worker in dev)',
  });
});
