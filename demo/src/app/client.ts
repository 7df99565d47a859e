/** The page's one bertweb worker, shared by every tab. */
import { type BertwebClient, type BertwebError, connect } from '@bertweb/core';
import type { appTasks } from '../worker.js';

/** The client type of the app worker. */
export type AppClient = BertwebClient<typeof appTasks>;
/** Task names the worker serves. */
export type AppTask = keyof typeof appTasks & string;

/**
 * Starts the worker. After a crash, {@link ensureClient} starts a fresh one and heads re-create
 * themselves on their next call.
 */
export function createAppClient(onCrash: (error: BertwebError) => void): AppClient {
  return connect<typeof appTasks>(
    () => new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: 'bertweb' }),
    { onCrash },
  );
}

/** Reconnects a crashed client before use. */
export function ensureClient(client: AppClient): AppClient {
  if (client.crashed) client.reconnect();
  return client;
}
