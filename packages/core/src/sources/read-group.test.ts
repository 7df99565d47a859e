import { describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import { allOrAbort } from './read-group.js';
import { sleep } from './signals.js';
import { rejection } from './test-utils/index.js';

/** A task that runs until its signal fires, then takes `cleanupMs` to settle; records what happened. */
function untilAborted(log: string[], name: string, cleanupMs = 20) {
  return (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => {
        log.push(`${name} aborted`);
        setTimeout(() => {
          log.push(`${name} settled`);
          reject(new BertwebError('ABORTED', `${name} aborted`));
        }, cleanupMs);
      });
    });
}

describe('allOrAbort', () => {
  it('resolves with every result, in order', async () => {
    const results = await allOrAbort([async () => 1, (signal) => sleep(5, signal).then(() => 'two'), () => true]);
    expect(results).toEqual([1, 'two', true]);
  });

  it('on the first failure aborts the others, waits until they settled, and rejects with that failure', async () => {
    const log: string[] = [];
    const promise = allOrAbort([
      untilAborted(log, 'a'),
      async () => {
        await sleep(5);
        log.push('b failed');
        throw new BertwebError('MODEL_NOT_FOUND', 'no config.json');
      },
      untilAborted(log, 'c', 40),
    ]).finally(() => log.push('group settled'));
    const error = await rejection(promise);
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(log[0]).toBe('b failed');
    expect(log.at(-1)).toBe('group settled');
    expect(log).toEqual(expect.arrayContaining(['a aborted', 'a settled', 'c aborted', 'c settled']));
  });

  it('reports the caller abort as ABORTED (with its reason), after the tasks settled', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const promise = allOrAbort([untilAborted(log, 'a'), untilAborted(log, 'b')], controller.signal);
    controller.abort(new BertwebError('ABORTED', 'user cancelled'));
    const error = await rejection(promise);
    expect([error.code, error.message]).toEqual(['ABORTED', 'user cancelled']);
    expect(log.filter((l) => l.endsWith('settled'))).toHaveLength(2);
  });

  it('rejects at once for an already aborted signal, starting nothing', async () => {
    let started = false;
    const error = await rejection(
      allOrAbort(
        [
          async () => {
            started = true;
          },
        ],
        AbortSignal.abort(),
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(started).toBe(false);
  });

  it('turns a task that throws synchronously into the group failure', async () => {
    const log: string[] = [];
    const error = await rejection(
      allOrAbort([
        untilAborted(log, 'a'),
        () => {
          throw new BertwebError('INPUT_INVALID', 'bad');
        },
      ]),
    );
    expect(error.code).toBe('INPUT_INVALID');
    expect(log).toEqual(['a aborted', 'a settled']);
  });
});
