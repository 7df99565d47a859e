/**
 * Platform micro-measurements behind the diagnosis (no library involved): how late zero-delay timers
 * fire when chained (a micro-batcher that schedules with setTimeout(0) after each result is such a
 * chain), a MessageChannel hop for comparison, SHA-256 and Cache API put/match throughput, a copy of a
 * large buffer, and a Web Worker echo round trip. `window.probe.run(mb)` returns every figure in ms.
 */

/** Lateness of `setTimeout(fn, 0)` scheduled from inside the previous callback, `n` times in a row. */
async function timerChain(n: number): Promise<number[]> {
  const delays: number[] = [];
  await new Promise<void>((resolve) => {
    let scheduled = performance.now();
    const tick = () => {
      delays.push(performance.now() - scheduled);
      if (delays.length === n) return resolve();
      scheduled = performance.now();
      setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
  });
  return delays;
}

/** The same chain through a MessageChannel (a macrotask without timer clamping). */
async function channelChain(n: number): Promise<number[]> {
  const channel = new MessageChannel();
  const delays: number[] = [];
  await new Promise<void>((resolve) => {
    let scheduled = performance.now();
    channel.port1.onmessage = () => {
      delays.push(performance.now() - scheduled);
      if (delays.length === n) return resolve();
      scheduled = performance.now();
      channel.port2.postMessage(null);
    };
    channel.port2.postMessage(null);
  });
  channel.port1.close();
  return delays;
}

/** A chain where each step awaits a resolved promise then schedules a timer (an async caller's loop). */
async function awaitedTimerLoop(n: number): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const scheduled = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    delays.push(performance.now() - scheduled);
    await Promise.resolve();
  }
  return delays;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

async function time<T>(fn: () => Promise<T> | T): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const WORKER_SOURCE = 'onmessage = (e) => postMessage(e.data, [e.data.buffer]);';

async function workerEcho(n: number, floats: number): Promise<number> {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  const once = (data: Float32Array) =>
    new Promise<void>((resolve) => {
      worker.onmessage = () => resolve();
      worker.postMessage(data, [data.buffer]);
    });
  await once(new Float32Array(floats));
  const start = performance.now();
  for (let i = 0; i < n; i++) await once(new Float32Array(floats));
  const ms = (performance.now() - start) / n;
  worker.terminate();
  URL.revokeObjectURL(url);
  return ms;
}

async function run(mb: number): Promise<Record<string, number>> {
  const bytes = new Uint8Array(mb * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 255;
  const timers = await timerChain(50);
  const channel = await channelChain(50);
  const awaited = await awaitedTimerLoop(50);
  const sha = await time(() => crypto.subtle.digest('SHA-256', bytes));
  const copy = await time(() => bytes.slice());
  const cache = await caches.open('bench-probe');
  const url = '/probe/blob.bin';
  const put = await time(() => cache.put(url, new Response(bytes)));
  const match = await time(async () => new Uint8Array(await ((await cache.match(url)) as Response).arrayBuffer()));
  await caches.delete('bench-probe');
  const bigint = await time(() => {
    for (let k = 0; k < 100; k++) {
      const ids = new BigInt64Array(32 * 40);
      for (let i = 0; i < ids.length; i++) ids[i] = BigInt(i & 1023);
    }
  });
  return {
    megabytes: mb,
    'setTimeout(0) chained, mean ms': mean(timers),
    'setTimeout(0) chained, first 4 mean ms': mean(timers.slice(0, 4)),
    'setTimeout(0) chained, after 5 mean ms': mean(timers.slice(5)),
    'setTimeout(0) awaited in an async loop, mean ms': mean(awaited),
    'MessageChannel hop chained, mean ms': mean(channel),
    'crypto.subtle.digest SHA-256 ms': sha,
    'Uint8Array.slice (copy) ms': copy,
    'Cache API put ms': put,
    'Cache API match + arrayBuffer ms': match,
    'BigInt64Array 32x40 fill, per batch ms': bigint / 100,
    'worker echo round trip (768 floats transferred) ms': await workerEcho(200, 768),
    'worker echo round trip (32x768 floats transferred) ms': await workerEcho(100, 32 * 768),
  };
}

(window as unknown as { probe: { run: typeof run } }).probe = { run };
document.documentElement.dataset.benchReady = 'true';
