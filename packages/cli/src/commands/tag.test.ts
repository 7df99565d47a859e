import { fileURLToPath } from 'node:url';
import { createTagger } from '@bertweb/tagging';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const model = fileURLToPath(new URL('../../../../models/fixtures/bert-token-cls', import.meta.url));

describe('bertweb tag', () => {
  it('writes the entities of each line, as the tagger finds them', async () => {
    const lines = ['Anna Karenina met Vronsky in Moscow.', '', 'Привет, Москва! 😀', '   '];
    const io = memoryIO(lines);
    expect(await runCli(['tag', '--model', model, '--constrain'], io)).toBe(0);
    expect(io.stdout).toHaveLength(4);
    const tagger = await createTagger(model, { backend: 'auto', constrainBio: true });
    const expected = await tagger.tag(lines);
    await tagger.dispose();
    expect(io.stdout.map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(io.stdout[1]).toBe('[]');
    for (const [i, line] of io.stdout.entries()) {
      for (const e of JSON.parse(line)) expect(lines[i]?.slice(e.start, e.end)).toBe(e.text);
    }
  });

  it('honours --crf off and rejects bad flags with the JSON error contract', async () => {
    const io = memoryIO(['Anna']);
    expect(await runCli(['tag', '--model', model, '--crf', 'off', '--max-length', '64'], io)).toBe(0);
    const bad = memoryIO(['x']);
    expect(await runCli(['tag', '--model', model, '--scheme', 'XYZ'], bad)).not.toBe(0);
    expect(JSON.parse(bad.stderr[0] as string).error.code).toBe('INPUT_INVALID');
    const overlap = memoryIO(['x']);
    expect(await runCli(['tag', '--model', model, '--window-overlap', 'lots'], overlap)).not.toBe(0);
    expect(JSON.parse(overlap.stderr[0] as string).error.code).toBe('INPUT_INVALID');
  });
});
