/** Helpers for the app specs: open a tab, take the per-width screenshots, check phone-width layout. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from './test.js';

const SCREENSHOTS = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));

/**
 * Shows a tab of the shared app page (fixture models, the project's backend), opening the app on
 * first use; returns the tab panel.
 */
export async function showTab(page: Page, backend: string, tab: string): Promise<Locator> {
  if (!page.url().includes('models=fixtures')) {
    await page.goto(`./?models=fixtures&backend=${backend}#${tab}`);
    await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
  } else {
    await page.getByRole('tab', { name: TAB_NAMES[tab] ?? tab, exact: true }).click();
  }
  const panel = page.locator(`#panel-${tab}`);
  await expect(panel).toBeVisible();
  return panel;
}

const TAB_NAMES: Record<string, string> = {
  ner: 'NER',
  qa: 'QA',
  similarity: 'Similarity',
  classification: 'Classification',
  models: 'Models & cache',
};

/** Opens the demo on a tab with the fixture models and the project's backend; returns the tab panel. */
export async function openTab(page: Page, backend: string, tab: string, extra = ''): Promise<Locator> {
  await page.goto(`./?models=fixtures&backend=${backend}${extra}#${tab}`);
  await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
  const panel = page.locator(`#panel-${tab}`);
  await expect(panel).toBeVisible();
  return panel;
}

/** Checks what the model slot reports after a run: the backend the project asked for and the timings. */
export async function expectLoadedOn(panel: Locator, backend: string): Promise<void> {
  await expect(panel.locator('.backend-report')).toHaveAttribute('data-backend', backend);
  await expect(panel.locator('[data-metric="load"]')).toBeVisible();
  await expect(panel.locator('[data-metric="first-run"]')).toBeVisible();
  await expect(panel.locator('[data-metric="throughput"]')).toContainText('texts/s');
}

/**
 * Saves full-page screenshots at 1280 px and 390 px (artifacts/screenshots/<project>/<name>-<width>.png)
 * and checks that at 390 px nothing makes the page scroll sideways.
 */
export async function screenshots(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const dir = join(SCREENSHOTS, testInfo.project.name);
  mkdirSync(dir, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    if (width === 390) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} scrolls sideways at 390 px by ${overflow} px`).toBeLessThanOrEqual(0);
    }
  }
  await page.setViewportSize(original);
}

/** Test timeout per backend: SwiftShader WebGPU compiles shaders at CPU speed. */
export function timeoutFor(backend: string): number {
  return backend === 'webgpu' ? 240_000 : 120_000;
}

/**
 * Waits for a result element, failing at once (with the app's message) when the tab shows an error
 * alert instead: a failed load should not look like a timeout.
 */
export async function expectResult(panel: Locator, result: Locator, timeout: number): Promise<void> {
  const alert = panel.locator('[role="alert"]');
  await expect(result.or(alert).first()).toBeVisible({ timeout });
  if (!(await result.isVisible()) && (await alert.count()) > 0) {
    throw new Error(`the app reported an error: ${(await alert.allTextContents()).join(' | ')}`);
  }
}
