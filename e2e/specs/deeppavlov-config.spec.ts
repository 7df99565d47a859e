/**
 * A DeepPavlov 1.7 config as the demo's model (issue 13): the NER tab picks `ner_rus_bert` from its
 * DeepPavlov group; the demo's Vite plugin plays files.deeppavlov.ai (`<app>/deeppavlov/files/`, typed
 * into the slot's "DeepPavlov files server" field) and the hub (`?hub=<app>/deeppavlov/hub`) with the
 * fixtures of models/fixtures/deeppavlov/ (random weights, real layouts: `ner_rus_bert_torch_new.tar.gz`
 * holds `model.pth.tar` and `tag.dict`; DeepPavlov/rubert-base-cased supplies config.json and the
 * tokenizer). The worker downloads the tarball, unpacks it, converts it (fp32, so the results can be held
 * to the PyTorch reference), caches the conversion and tags sentences with dates, times and an e-mail.
 *
 * What the page shows is compared with models/fixtures/deeppavlov/reference.json (models/scripts/
 * dp_reference.py), which reproduces DeepPavlov 1.7:
 * - the words: deeppavlov/models/preprocessors/torch_transformers_preprocessor.py
 *   `TorchTransformersNerPreprocessor` (the 1.7 word split keeps `10.05.2023`, `12:30`, `ivan@mail.ru`
 *   and `т.е.` whole);
 * - the tags: deeppavlov/models/torch_bert/torch_transformers_sequence_tagger.py
 *   `TorchTransformersSequenceTagger.__call__` (`token_from_subtoken`, first subtoken, argmax; use_crf
 *   false) with tag.dict's order;
 * - the entities: those tags merged into BIO spans (packages/tagging/src/entities.ts, the same merge the
 *   Node test packages/bertweb/src/deeppavlov.test.ts checks the tagger against).
 * Then offline (preview: a page reload from the service worker; dev: the model loaded again into the same
 * worker), the same config answers the same from the cache, and nothing for the model reaches a server.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { entitiesFromTags } from '../../packages/tagging/src/entities.js';
import { parseTags } from '../../packages/tagging/src/scheme.js';
import { expectResult, openTab, timeoutFor } from '../support/app.js';
import { describeRequests, NetworkLog } from '../support/network.js';
import { expect, test } from '../support/test.js';

const CONFIG = 'ner_rus_bert';
const TARBALL = 'ner_rus_bert_torch_new.tar.gz';

interface Case {
  readonly text: string;
  readonly words: readonly string[];
  readonly tags: readonly string[];
}
const reference = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../models/fixtures/deeppavlov/reference.json', import.meta.url)), 'utf8'),
) as { ner_rus_bert: { tags: string[]; cases: Case[] } };
// "Иван Петров приехал в Москву 10.05.2023 в 12:30." and "Пишите на ivan@mail.ru, т.е. сегодня до 18:00."
const CASES = reference.ner_rus_bert.cases.slice(0, 2);

/** The words of `words` located in `text` in order (DeepPavlov's words are substrings of the text). */
function locate(text: string, words: readonly string[]): { text: string; start: number; end: number }[] {
  let at = 0;
  return words.map((word) => {
    const start = text.indexOf(word, at);
    if (start < 0) throw new Error(`reference word ${JSON.stringify(word)} is not in ${JSON.stringify(text)}`);
    at = start + word.length;
    return { text: word, start, end: at };
  });
}

/** The entities DeepPavlov's tags make, without scores: `{ text, label, start, end }`. */
function expectedEntities(c: Case): { text: string; label: string; start: number; end: number }[] {
  const words = locate(c.text, c.words);
  return entitiesFromTags(c.text, words, parseTags(c.tags, 'BIO'), new Float32Array(words.length)).map(
    ({ score: _score, ...entity }) => entity,
  );
}

/** What the NER tab shows: the words with their tags (hover spans) and the highlighted entities. */
async function shown(panel: Locator): Promise<{
  words: { text: string; tag: string }[];
  entities: { text: string; label: string; start: number; end: number }[];
  rows: number;
}> {
  const text = panel.locator('[data-testid="ner-text"]:not([data-stale])');
  // The per-word tags come from a second call, after the entities are shown.
  await expect(text.locator('span.word').first()).toBeVisible();
  const words = await text
    .locator('span.word')
    .evaluateAll((spans) =>
      spans.map((s) => ({ text: s.textContent ?? '', tag: (s as HTMLElement).dataset.tag ?? '' })),
    );
  const entities = await text.locator('mark').evaluateAll((marks) =>
    marks.map((m) => {
      const d = (m as HTMLElement).dataset;
      return { text: m.textContent ?? '', label: d.label ?? '', start: Number(d.start), end: Number(d.end) };
    }),
  );
  const rows = await panel.getByTestId('ner-table').locator('tbody tr').count();
  return { words, entities, rows };
}

/** Tags `c.text` in the NER tab and checks words, tags and entities against the reference. */
async function tagAndCheck(panel: Locator, c: Case): Promise<void> {
  await panel.getByLabel('Text', { exact: true }).fill(c.text);
  // The result of an earlier run stays until the new one replaces it: mark it, and wait for another.
  await panel.getByTestId('ner-text').evaluateAll((elements) => {
    for (const e of elements) e.setAttribute('data-stale', '');
  });
  await panel.getByRole('button', { name: 'Find entities' }).click();
  await expectResult(panel, panel.locator('[data-testid="ner-text"]:not([data-stale])'), timeoutFor('wasm'));
  await expect(panel.locator('[data-testid="ner-text"]:not([data-stale])')).toHaveText(c.text);
  const got = await shown(panel);
  expect(
    got.words.map((w) => w.text),
    'DeepPavlov 1.7 word split',
  ).toEqual(c.words);
  expect(
    got.words.map((w) => w.tag),
    'per-word tags as DeepPavlov',
  ).toEqual(c.tags);
  const want = expectedEntities(c);
  expect(want.length, 'the reference has entities to compare').toBeGreaterThan(0);
  expect(got.entities, 'entities as DeepPavlov').toEqual(want);
  expect(got.rows).toBe(want.length);
  for (const e of got.entities) expect(e.text).toBe(c.text.slice(e.start, e.end));
}

/** Every Cache API entry of the page's origin. */
async function cacheUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

/**
 * Picks the config for the NER tab, from the slot's picker or from the "Models & cache" tab's DeepPavlov
 * table, with the local file server and fp32.
 */
async function chooseConfig(page: Page, via: 'picker' | 'models tab'): Promise<Locator> {
  const panel = page.locator('#panel-ner');
  if (via === 'picker') {
    await panel.getByTestId('model-select').selectOption(`dp:${CONFIG}`);
  } else {
    await page.getByRole('tab', { name: 'Models & cache' }).click();
    const table = page.locator('#panel-models').getByTestId('deeppavlov-configs');
    await table.getByRole('button', { name: `Use ${CONFIG} in the NER tab` }).click();
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('model-select')).toHaveValue(`dp:${CONFIG}`);
  }
  const notice = panel.getByTestId('model-notice');
  await expect(notice).toContainText('DeepPavlov 1.7 config, converted on first load');
  await expect(notice).toContainText(TARBALL);
  await expect(notice).toContainText('max_subword_length 15');
  // A path: the slot makes it absolute (the worker fetches from it).
  await panel.getByLabel('DeepPavlov files server').fill('/deeppavlov/files');
  await panel.getByLabel('Precision').selectOption('fp32');
  return panel;
}

test('a DeepPavlov config (ner_rus_bert) is downloaded, unpacked, converted and tags as DeepPavlov; again offline from the cache', async ({
  page,
  context,
  backend,
  target,
  appURL,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend) + 90_000);
  const network = new NetworkLog(context);
  const files = new URL('deeppavlov/files/', appURL).href;
  const hub = new URL('deeppavlov/hub', appURL).href;
  const folder = `${files}v1/ner/`;
  await openTab(page, backend, 'ner', `&hub=${encodeURIComponent(hub)}`);
  const panel = await chooseConfig(page, 'models tab');
  if (target === 'preview') {
    await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 60_000 });
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 })
      .toBe(true);
  }

  // First load: the tarball and the base model's files download, the conversion shows as a stage.
  const started = Date.now();
  await tagAndCheck(panel, CASES[0] as Case);
  const firstMs = Date.now() - started;
  const progress = panel.locator('.progress');
  await expect(progress.locator(`li[data-file="${TARBALL}"]`)).toHaveAttribute('data-status', 'done');
  await expect(progress.locator('li[data-file="vocab.txt"]')).toBeAttached();
  const convertRow = progress.locator('li[data-stage="convert"]');
  await expect(convertRow).toHaveAttribute('data-status', 'done');
  await expect(convertRow).toContainText(/Converted to fp32 in /);
  const convertMs = Number(await convertRow.getAttribute('data-ms'));
  const report = panel.locator('.backend-report');
  await expect(report).toHaveAttribute('data-converted', 'now');
  await expect(report).toHaveAttribute('data-dtype', 'fp32');
  await expect(report.getByTestId('converted')).toHaveAttribute('data-config', CONFIG);
  await expect(report.getByTestId('converted')).toContainText(`from ${TARBALL} (DeepPavlov config ${CONFIG})`);
  const tarballGets = network.requests.filter((r) => r.method === 'GET' && r.url === `${folder}${TARBALL}`);
  expect(tarballGets, 'the tarball is downloaded once').toHaveLength(1);
  await tagAndCheck(panel, CASES[1] as Case);

  // Cached: the conversion with its manifest (written last), not the tarball.
  const cached = await cacheUrls(page);
  const converted = cached.filter((url) => url.startsWith(`${folder}.bertweb/converted/`));
  expect(converted.some((url) => url.endsWith('/manifest.json'))).toBe(true);
  expect(converted.some((url) => url.endsWith('/files/onnx/model.onnx'))).toBe(true);
  expect(converted.some((url) => url.endsWith('/files/head_settings.json'))).toBe(true);
  expect(cached, 'the tarball is not cached').not.toContain(`${folder}${TARBALL}`);

  // The cache manager lists the conversion as a DeepPavlov one.
  await page.getByRole('tab', { name: 'Models & cache' }).click();
  const models = page.locator('#panel-models');
  await models.getByRole('button', { name: 'Refresh' }).click();
  const row = models.locator(`tr[data-converted="fp32"][data-prefix^="${folder}.bertweb/converted/"]`);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`converted to fp32 from ${TARBALL} (a DeepPavlov config)`);
  await page.getByRole('tab', { name: 'NER', exact: true }).click();

  // Offline: the same config from the cache.
  const mark = network.mark();
  await context.setOffline(true);
  let again = panel;
  try {
    if (target === 'preview') {
      await page.reload();
      await expect(page.locator('html')).toHaveAttribute('data-app-ready', 'true');
      await expect(page.getByTestId('online')).toHaveText(' · offline');
      again = await chooseConfig(page, 'picker');
    } else {
      // Dev has no service worker (a reload cannot work offline): the model is loaded again instead.
      await again.getByRole('button', { name: 'Reload model' }).click();
      const summary = again.locator('.progress-summary');
      await expect(summary).toHaveText(/Ready in|Failed|Cancelled/, { timeout: timeoutFor(backend) });
      const alerts = (await again.locator('[role="alert"]').allTextContents()).join(' | ');
      await expect(summary, `offline reload: ${alerts}`).toContainText('Ready in', { timeout: 1000 });
    }
    for (const c of CASES) await tagAndCheck(again, c);
    await expect(again.locator('.backend-report')).toHaveAttribute('data-converted', 'cached');
    await expect(again.locator('.backend-report').getByTestId('converted')).toHaveAttribute('data-cached', 'true');
    await expect(again.locator('.progress li[data-stage="convert"]')).toHaveCount(0);
  } finally {
    await context.setOffline(false);
  }
  // Nothing for the model reached a server: no GET was even tried, and what was tried (HEADs: core's
  // freshness check of the tarball, with its retries) failed offline.
  const modelRequests = network.since(mark).filter((r) => r.url.startsWith(files) || r.url.startsWith(`${hub}/`));
  expect(
    modelRequests.filter((r) => r.method !== 'HEAD'),
    `no GET of a model file offline:\n  ${describeRequests(modelRequests)}`,
  ).toEqual([]);
  expect(
    modelRequests.filter((r) => r.status !== undefined),
    `no model request answered offline:\n  ${describeRequests(modelRequests)}`,
  ).toEqual([]);

  const line =
    `${testInfo.project.name} ${CONFIG} (fixture tarball, fp32): first answer ${firstMs} ms after the click ` +
    `(download, unpack, conversion ${convertMs} ms by the demo's stage timer, ORT start); words, tags and ` +
    `${CASES.map((c) => expectedEntities(c).length).join(' + ')} entities as reference.json; offline ` +
    `${target === 'preview' ? 'page reload' : 'reload'}: ${modelRequests.length} HEAD(s) tried and failed for ` +
    `${[...new Set(modelRequests.map((r) => r.url.slice(appURL.length)))].join(', ') || 'nothing'}, no GET, nothing answered`;
  console.log(line);
  testInfo.annotations.push({ type: 'deeppavlov-config', description: line });
});
