/** QA tab end to end: every answer is a slice of the context, and the best one is highlighted there. */
import { expectLoadedOn, expectResult, screenshots, showTab, timeoutFor } from '../support/app.js';
import { expect, test } from '../support/test.js';

test('QA: answers are slices of the context, the best one highlighted in place', async ({
  appPage: page,
  appConsole: _log,
  backend,
}, testInfo) => {
  test.setTimeout(timeoutFor(backend));
  const panel = await showTab(page, backend, 'qa');
  const context = await panel.getByLabel('Context', { exact: true }).inputValue();
  expect(context.length, 'the default context is long (several windows)').toBeGreaterThan(1000);
  await panel.getByRole('button', { name: 'Answer', exact: true }).click();
  await expectResult(panel, panel.getByTestId('qa-best'), timeoutFor(backend));
  await expectLoadedOn(panel, backend);

  const answers = await panel
    .getByTestId('qa-answers')
    .locator('li')
    .evaluateAll((items) =>
      items.map((li) => ({
        start: Number((li as HTMLElement).dataset.start),
        end: Number((li as HTMLElement).dataset.end),
        text: li.querySelector('.answer-text')?.textContent ?? null,
      })),
    );
  expect(answers).toHaveLength(3);
  for (const answer of answers) {
    if (answer.text === null) continue; // "no answer"
    expect(answer.start).toBeLessThan(answer.end);
    expect(answer.text).toBe(context.slice(answer.start, answer.end));
  }
  const best = answers[0];
  expect(best?.text, 'the best answer is a span').not.toBeNull();
  const mark = panel.getByTestId('qa-context').locator('mark.answer');
  await expect(mark).toHaveText(best?.text ?? '', { useInnerText: false });
  await expect(mark).toHaveAttribute('data-start', String(best?.start));
  // The highlighted context is the context itself.
  expect(await panel.getByTestId('qa-context').evaluate((el) => el.textContent)).toBe(context);
  console.log(`${testInfo.project.name} QA: best "${best?.text}" at ${best?.start}-${best?.end}`);
  await screenshots(page, testInfo, 'qa');
});
