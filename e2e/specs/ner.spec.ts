/** NER tab end to end: every highlight is exactly `text.slice(start, end)` of the input. */
import { expectLoadedOn, expectResult, screenshots, showTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

const TEXT =
  'Angela Merkel met Emmanuel Macron in Paris on Monday. Later, Airbus and Siemens announced a joint project in Berlin, Toulouse and Munich with the European Commission.';

test('NER: entities are highlighted inline at their offsets, with a table of spans', async ({
  appPage: page,
  appConsole: _log,
  backend,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  const panel = await showTab(page, backend, 'ner');
  await panel.getByLabel('Text', { exact: true }).fill(TEXT);
  await panel.getByRole('button', { name: 'Find entities' }).click();
  await expectResult(panel, panel.getByTestId('ner-table'), timeoutFor(backend));
  await expectLoadedOn(panel, backend);

  const marks = await panel.locator('mark.entity').evaluateAll((nodes) =>
    nodes.map((n) => ({
      text: n.textContent ?? '',
      start: Number((n as HTMLElement).dataset.start),
      end: Number((n as HTMLElement).dataset.end),
      label: (n as HTMLElement).dataset.label ?? '',
    })),
  );
  expect(marks.length, 'the fixture tagger finds entities in this text').toBeGreaterThan(0);
  for (const mark of marks) {
    expect(mark.text, `highlight of ${mark.label} at ${mark.start}-${mark.end}`).toBe(TEXT.slice(mark.start, mark.end));
    expect(mark.text.trim().length).toBeGreaterThan(0);
  }
  // The highlighted paragraph is the input itself (labels are CSS badges, not text).
  await expect(panel.getByTestId('ner-text')).toHaveText(TEXT, { useInnerText: false });
  const rows = panel.getByTestId('ner-table').locator('tbody tr');
  await expect(rows).toHaveCount(marks.length);
  // Per-word tags on hover arrive after the entities.
  await expect(panel.locator('.word[data-tag]').first()).toBeAttached();
  const labels = ['PER', 'ORG', 'LOC'];
  for (const mark of marks) expect(labels).toContain(mark.label);
  console.log(
    `${testInfo.project.name} NER: ${marks.length} entities: ${marks.map((m) => `${m.label}:${m.text}`).join(', ')}`,
  );
  await screenshots(page, testInfo, 'ner');
});
