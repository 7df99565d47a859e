/** A fake head for protocol tests: no model, observable behaviour. */
import { BertwebError, throwIfAborted } from '../../errors.js';
import type { ProgressCallback } from '../../sources/types.js';

export interface EchoOptions {
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
}

export class EchoHead {
  readonly labels: readonly string[] = ['A', 'B'];
  readonly info = { name: 'echo' };
  /** Differs between any two creations (even in two workers): shows whether a remote snapshot is fresh. */
  readonly instance = Math.random().toString(36).slice(2);
  disposed = false;

  constructor(readonly prefix: string) {}

  async echo(text: string): Promise<string> {
    if (this.disposed) throw new BertwebError('DISPOSED', 'disposed');
    return `${this.prefix}${text}`;
  }

  async vector(n: number): Promise<{ data: Float32Array; dims: number[] }> {
    return { data: Float32Array.from({ length: n }, (_, i) => i), dims: [n] };
  }

  async fail(code: 'INPUT_INVALID' | 'RUNTIME'): Promise<never> {
    throw new BertwebError(code, `failing with ${code}`, { where: 'worker' });
  }

  async failPlain(): Promise<never> {
    throw new TypeError('plain failure');
  }

  /** Waits until aborted (or 5 s), reporting progress first. */
  async slow(_input: string, options: EchoOptions = {}): Promise<string> {
    options.onProgress?.({ status: 'progress', file: 'x', loaded: 1, total: 2 });
    for (let i = 0; i < 500; i++) {
      throwIfAborted(options.signal);
      await new Promise((r) => setTimeout(r, 10));
    }
    return 'finished';
  }

  crash(): void {
    setTimeout(() => {
      throw new Error('boom from the worker');
    }, 50);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

export async function createEcho(source: string, options: EchoOptions = {}): Promise<EchoHead> {
  options.onProgress?.({ status: 'initiate', file: source, loaded: 0, total: 0 });
  throwIfAborted(options.signal);
  if (source === 'missing') throw new BertwebError('MODEL_NOT_FOUND', `no model ${source}`);
  options.onProgress?.({ status: 'ready', file: source, loaded: 1, total: 1 });
  return new EchoHead(options.prefix ?? '');
}

export const echoTasks = { echo: createEcho };
