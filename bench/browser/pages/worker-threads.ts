/** Applies `threads=N` from the worker's name before `bertweb/worker` runs (imports evaluate in order). */
import { env } from 'bertweb';

const threads = /(?:^|\s)threads=(\d+)/.exec((globalThis as { name?: string }).name ?? '')?.[1];
if (threads) env.numThreads = Number(threads);
