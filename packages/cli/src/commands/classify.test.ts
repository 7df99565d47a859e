import { fileURLToPath } from 'node:url';
import { createClassifier } from '@bertweb/classify';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const bert = fileURLToPath(new URL('../../../../models/fixtures/bert-seq-cls', import.meta.url));
const multi = fileURLToPath(new URL('../../../../models/fixtures/distilbert-seq-cls', import.meta.url));

describe('bertweb classify', () => {
  it('writes ranked labels per line, as the classifier gives them', async () => {
    const lines = ['I loved it', 'terrible', ''];
    const io = memoryIO(lines);
    expect(await runCli(['classify', '--model', bert, '--top-k', '2'], io)).toBe(0);
    const classifier = await createClassifier(bert, { backend: 'auto', topK: 2 });
    const expected = await classifier.classify(lines);
    await classifier.dispose();
    expect(io.stdout.map((l) => JSON.parse(l))).toEqual(expected.map((r) => r.labels));
    expect(JSON.parse(io.stdout[0] as string)).toHaveLength(2);
  });

  it('reads text<TAB>pair lines with --pair, applies --threshold, reports truncation with --details', async () => {
    const io = memoryIO(['you are awful\treally awful', 'hello\tthere']);
    expect(await runCli(['classify', '--model', multi, '--pair', '--threshold', '0.6', '--details'], io)).toBe(0);
    const classifier = await createClassifier(multi, { backend: 'auto', threshold: 0.6 });
    const expected = await classifier.classify([
      ['you are awful', 'really awful'],
      ['hello', 'there'],
    ]);
    await classifier.dispose();
    expect(io.stdout.map((l) => JSON.parse(l))).toEqual(expected);
    const long = memoryIO(['word '.repeat(40)]);
    expect(await runCli(['classify', '--model', bert, '--max-length', '16', '--details'], long)).toBe(0);
    expect(JSON.parse(long.stdout[0] as string).truncated).toBe(true);
  });

  it('rejects a --pair line without a tab', async () => {
    const io = memoryIO(['no tab here']);
    expect(await runCli(['classify', '--model', bert, '--pair'], io)).not.toBe(0);
    expect(JSON.parse(io.stderr[0] as string).error).toMatchObject({ code: 'INPUT_INVALID' });
  });
});
