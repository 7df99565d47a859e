import { fileURLToPath } from 'node:url';
import { createReader } from '@bertweb/qa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/bert-qa', import.meta.url));
const context = 'Gustave Eiffel’s company built the tower 🗼 in Paris in 1889; Москва is elsewhere.';

describe('bertweb qa', () => {
  it('prints the reader’s best answer, with offsets into the context', async () => {
    const io = memoryIO();
    expect(await runCli(['qa', '--model', model, '--question', 'Who built it?', '--context', context], io)).toBe(0);
    const answer = JSON.parse(io.stdout[0] as string);
    const reader = await createReader(model, { backend: 'auto' });
    expect(answer).toEqual(await reader.answer('Who built it?', context));
    await reader.dispose();
    expect(context.slice(answer.start, answer.end)).toBe(answer.text);
  });

  it('reads the context from stdin and prints top-k', async () => {
    const io = memoryIO([context]);
    expect(
      await runCli(['qa', '--model', model, '--question', 'When?', '--top-k', '3', '--max-answer-length', '5'], io),
    ).toBe(0);
    const answers = JSON.parse(io.stdout[0] as string);
    expect(answers).toHaveLength(3);
    for (const a of answers) expect(context.slice(a.start, a.end)).toBe(a.text);
  });

  it('reports a missing question and an empty question as JSON errors', async () => {
    const missing = memoryIO([context]);
    expect(await runCli(['qa', '--model', model], missing)).toBe(1);
    expect(JSON.parse(missing.stderr[0] as string).error.code).toBe('INPUT_INVALID');
    const empty = memoryIO();
    expect(await runCli(['qa', '--model', model, '--question', ' ', '--context', context], empty)).toBe(1);
    expect(JSON.parse(empty.stderr[0] as string).error.code).toBe('INPUT_INVALID');
  });
});
