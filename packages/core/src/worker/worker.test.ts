import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import type { ProgressEvent } from '../sources/types.js';
import { connect } from './connect.js';
import { serve } from './serve.js';
import { echoTasks } from './test-utils/heads.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function inProcessClient() {
  const channel = new MessageChannel();
  serve(echoTasks, channel.port1);
  const client = connect<typeof echoTasks>(channel.port2);
  cleanups.push(() => {
    channel.port1.close();
    channel.port2.close();
  });
  return client;
}

describe('worker protocol (in-process channel)', () => {
  it('creates a head with the same API and data snapshot', async () => {
    const client = inProcessClient();
    expect(await client.tasks()).toEqual(['echo']);
    const head = await client.create('echo', 'model', { prefix: '> ' });
    expect(head.labels).toEqual(['A', 'B']);
    expect(head.info).toEqual({ name: 'echo' });
    expect(await head.echo('hi')).toBe('> hi');
  });

  it('keeps BertwebError class, code and details across the boundary', async () => {
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    const error = await head.fail('INPUT_INVALID').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BertwebError);
    expect(error).toMatchObject({
      code: 'INPUT_INVALID',
      message: 'failing with INPUT_INVALID',
      details: { where: 'worker' },
    });
    const plain = await head.failPlain().catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(BertwebError);
    expect(plain).toMatchObject({ code: 'INTERNAL', message: 'TypeError: plain failure' });
    await expect(client.create('echo', 'missing')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(client.create('nope' as 'echo', 'x')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('carries progress callbacks as proxies', async () => {
    const client = inProcessClient();
    const events: ProgressEvent[] = [];
    await client.create('echo', 'model', { onProgress: (e) => events.push(e) });
    await new Promise((r) => setTimeout(r, 20));
    expect(events.map((e) => e.status)).toEqual(['initiate', 'ready']);
  });

  it('aborts a running call promptly and the worker stops it', async () => {
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    const controller = new AbortController();
    const progress: ProgressEvent[] = [];
    const started = Date.now();
    const call = head.slow('x', { signal: controller.signal, onProgress: (e) => progress.push(e) });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(progress).toHaveLength(1);
    // An already-aborted signal rejects without a round trip.
    await expect(head.slow('x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('transfers typed arrays in results', async () => {
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    const v = await head.vector(5);
    expect(v.data).toBeInstanceOf(Float32Array);
    expect(Array.from(v.data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('checks signal and onProgress on the main side, where they are still visible', async () => {
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    const bad = head.slow('x', { signal: {} as AbortSignal });
    await expect(bad).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/signal/) });
    const badProgress = head.slow('x', { onProgress: 42 as unknown as () => void });
    await expect(badProgress).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/onProgress/),
    });
  });

  it('rejects calls after dispose with DISPOSED', async () => {
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    await head.dispose();
    await expect(head.echo('x')).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});

describe('protocol handshake', () => {
  it('says hello as soon as the connection opens, before any call', async () => {
    const channel = new MessageChannel();
    let hellos = 0;
    const api = serve(echoTasks, channel.port1);
    const hello = api.hello.bind(api);
    api.hello = async () => {
      hellos++;
      return hello();
    };
    const client = connect<typeof echoTasks>(channel.port2);
    cleanups.push(() => {
      channel.port1.close();
      channel.port2.close();
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(hellos).toBe(1);
    await client.create('echo', 'model');
    expect(await client.tasks()).toEqual(['echo']);
    expect(hellos).toBe(1);
  });

  it('refuses a worker of another protocol version, for create() as well as tasks()', async () => {
    const channel = new MessageChannel();
    Comlink.expose({ hello: async () => ({ protocol: 1, tasks: ['echo'] }) }, channel.port1);
    const client = connect<typeof echoTasks>(channel.port2);
    cleanups.push(() => {
      channel.port1.close();
      channel.port2.close();
    });
    await expect(client.create('echo', 'model')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(client.tasks()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('counts a worker that never answers the handshake as crashed', async () => {
    const channel = new MessageChannel();
    const crashes: BertwebError[] = [];
    const client = connect<typeof echoTasks>(channel.port2, {
      handshakeTimeoutMs: 50,
      onCrash: (e) => crashes.push(e),
    });
    cleanups.push(() => {
      channel.port1.close();
      channel.port2.close();
    });
    await expect(client.create('echo', 'model')).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(client.crashed).toBe(true);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]?.message).toMatch(/handshake/);
  });
});

describe('next to another Comlink user', () => {
  it("leaves Comlink's global throw handler alone: the page's own worker errors stay plain Errors", async () => {
    const before = Comlink.transferHandlers.get('throw');
    const own = new MessageChannel();
    Comlink.expose(
      {
        fail: () => {
          throw new RangeError('from the page worker');
        },
      },
      own.port1,
    );
    const page = Comlink.wrap<{ fail(): Promise<void> }>(own.port2);
    const client = inProcessClient();
    const head = await client.create('echo', 'model');
    cleanups.push(() => {
      own.port1.close();
      own.port2.close();
    });
    expect(Comlink.transferHandlers.get('throw')).toBe(before);
    const error = await page.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BertwebError);
    expect(error).toMatchObject({ name: 'RangeError', message: 'from the page worker' });
    // bertweb's own errors still arrive with class and code.
    await expect(head.fail('RUNTIME')).rejects.toBeInstanceOf(BertwebError);
  });

  it('keeps working when the page installs its own throw handler', async () => {
    const builtin = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<unknown, unknown>;
    Comlink.transferHandlers.set('throw', {
      canHandle: builtin.canHandle,
      serialize: () => [{ replaced: true }, []],
      deserialize: () => {
        throw new Error('the page handler');
      },
    });
    try {
      const client = inProcessClient();
      const head = await client.create('echo', 'model');
      const error = await head.fail('INPUT_INVALID').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BertwebError);
      expect(error).toMatchObject({ code: 'INPUT_INVALID', details: { where: 'worker' } });
    } finally {
      Comlink.transferHandlers.set('throw', builtin);
    }
  });
});

describe('worker crash and reconnect (node worker_threads)', () => {
  const entry = new URL('./test-utils/node-worker.mjs', import.meta.url);
  const spawn = () => new Worker(entry);

  it('rejects every pending call with WORKER_CRASHED and recovers after reconnect', async () => {
    const crashes: BertwebError[] = [];
    const client = connect<typeof echoTasks>(spawn, { onCrash: (e) => crashes.push(e) });
    cleanups.push(() => client.terminate());
    const head = await client.create('echo', 'model', { prefix: '#' });
    expect(await head.echo('a')).toBe('#a');
    const pending = [head.slow('1'), head.slow('2')];
    // The crash may overtake crash()'s own reply: either way that call settles.
    await head.crash().catch(() => undefined);
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(client.crashed).toBe(true);
    expect(crashes).toHaveLength(1);
    await expect(head.echo('b')).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    client.reconnect();
    expect(client.crashed).toBe(false);
    // The head re-creates itself in the new worker with its original options.
    expect(await head.echo('c')).toBe('#c');
  });

  it('reconnect() settles every call in flight with ABORTED, and re-created heads show fresh properties', async () => {
    const client = connect<typeof echoTasks>(spawn);
    cleanups.push(() => client.terminate());
    const head = await client.create('echo', 'model', { prefix: '~' });
    const before = head.instance;
    const pending: Promise<unknown>[] = [head.slow('1'), head.slow('2')];
    await new Promise((r) => setTimeout(r, 20));
    pending.push(client.create('echo', 'model'));
    client.reconnect();
    for (const p of pending)
      await expect(p).rejects.toMatchObject({ code: 'ABORTED', details: { reason: 'reconnect' } });
    expect(await head.echo('x')).toBe('~x');
    expect(head.instance).not.toBe(before);
    expect(typeof head.instance).toBe('string');
  });

  it('terminate rejects pending calls with DISPOSED', async () => {
    const client = connect<typeof echoTasks>(spawn);
    const head = await client.create('echo', 'model');
    const pending = head.slow('x');
    client.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
