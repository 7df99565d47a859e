/**
 * Systems that run in a child process, timed in the parent's interleaved rounds. onnxruntime-web reads its
 * WASM thread count once per process, so each thread count gets its own child (the bench script itself,
 * forked with `--child ...` flags); the parent sends "run" and waits, so the processes never run at once.
 *
 * Parent: `const child = await forkSystems(script, ['--child', 'wasm', '--threads', '2'])`, then
 * `child.systems` join the parent's own in `interleaved()`. Child: `await serveSystems(systems)`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { System } from './measure.js';

/** A system of a child process, with an optional result the parent can fetch (for agreement checks). */
export interface ServedSystem extends System {
  readonly result?: () => unknown;
}

type ToChild = { type: 'run'; id: number; name: string } | { type: 'result'; id: number; name: string };
type FromChild =
  | { type: 'ready'; systems: { name: string; note?: string }[] }
  | { type: 'done'; id: number; value?: unknown }
  | { type: 'error'; id: number; message: string };

/** The child's systems as parent-side {@link System}s, plus their results and the way to stop it. */
export interface ChildSystems {
  readonly systems: System[];
  result(name: string): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Forks `script` (run with tsx and the `source` condition, as the benches are) with `args`, waits for its
 * systems, and returns them. The child's stdout goes to the parent's stderr: stdout is the report.
 */
export async function forkSystems(script: string, args: readonly string[]): Promise<ChildSystems> {
  const child: ChildProcess = fork(script, [...args], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let onReady: ((systems: { name: string; note?: string }[]) => void) | undefined;
  let failReady: ((error: Error) => void) | undefined;
  const ready = new Promise<{ name: string; note?: string }[]>((resolve, reject) => {
    onReady = resolve;
    failReady = reject;
  });
  child.on('message', (message: FromChild) => {
    if (message.type === 'ready') onReady?.(message.systems);
    else {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'done') waiter?.resolve(message.value);
      else waiter?.reject(new Error(`child ${args.join(' ')}: ${message.message}`));
    }
  });
  child.on('exit', (code) => {
    const error = new Error(`child ${args.join(' ')} exited with code ${code}`);
    failReady?.(error);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  const ask = (type: ToChild['type'], name: string) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ type, id, name } satisfies ToChild);
    });
  const systems = (await ready).map(
    (s): System => ({ name: s.name, ...(s.note ? { note: s.note } : {}), run: () => ask('run', s.name) }),
  );
  return {
    systems,
    result: (name) => ask('result', name),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

/** In the child: announces `systems`, runs them when asked, and exits when the parent disconnects. */
export async function serveSystems(systems: readonly ServedSystem[]): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveSystems runs in a forked child (no IPC channel)');
  const byName = new Map(systems.map((s) => [s.name, s]));
  // One request at a time, in order: the parent awaits each anyway.
  let queue = Promise.resolve();
  process.on('message', (message: ToChild) => {
    queue = queue.then(async () => {
      const system = byName.get(message.name);
      try {
        if (!system) throw new Error(`no system ${message.name}`);
        if (message.type === 'run') {
          await system.run();
          send({ type: 'done', id: message.id } satisfies FromChild);
        } else {
          send({ type: 'done', id: message.id, value: system.result?.() } satisfies FromChild);
        }
      } catch (error) {
        send({ type: 'error', id: message.id, message: String((error as Error).stack ?? error) } satisfies FromChild);
      }
    });
  });
  const disconnected = new Promise<void>((resolve) => process.once('disconnect', () => resolve()));
  send({
    type: 'ready',
    systems: systems.map((s) => ({ name: s.name, ...(s.note ? { note: s.note } : {}) })),
  } satisfies FromChild);
  await disconnected;
}

/** Median over rounds of `other[r] / ours[r]` (both interleaved in the same rounds): > 1 means ours is faster. */
export function perRunRatio(ours: readonly number[], other: readonly number[]): number {
  const ratios = ours.map((s, r) => (other[r] as number) / s).sort((a, b) => a - b);
  const m = ratios.length >> 1;
  return ratios.length % 2 ? (ratios[m] as number) : ((ratios[m - 1] as number) + (ratios[m] as number)) / 2;
}
