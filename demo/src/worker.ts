/**
 * The demo's model worker: every bertweb head, imported on first use so the worker starts at once
 * and only the chosen head's code (and ORT, loaded lazily by core) is fetched. `serve` runs first,
 * as the worker protocol requires. The load-time converter is installed too: a hub repo with PyTorch /
 * safetensors weights only is converted here on load (its code, @bertweb/convert, is fetched only then).
 */
import { serve } from '@bertweb/core';
import type { defaultTasks } from 'bertweb';
import { installConverter } from 'bertweb/converter';

type Tasks = typeof defaultTasks;

/** Same factories as `bertweb`'s `defaultTasks`, loaded lazily. */
export const appTasks = {
  tagger: async (source: Parameters<Tasks['tagger']>[0], options?: Parameters<Tasks['tagger']>[1]) =>
    (await import('@bertweb/tagging')).createTagger(source, options),
  reader: async (source: Parameters<Tasks['reader']>[0], options?: Parameters<Tasks['reader']>[1]) =>
    (await import('@bertweb/qa')).createReader(source, options),
  embedder: async (source: Parameters<Tasks['embedder']>[0], options?: Parameters<Tasks['embedder']>[1]) =>
    (await import('@bertweb/embeddings')).createEmbedder(source, options),
  classifier: async (source: Parameters<Tasks['classifier']>[0], options?: Parameters<Tasks['classifier']>[1]) =>
    (await import('@bertweb/classify')).createClassifier(source, options),
  ranker: async (source: Parameters<Tasks['ranker']>[0], options?: Parameters<Tasks['ranker']>[1]) =>
    (await import('@bertweb/classify')).createRanker(source, options),
  /** In-page conversion of dropped checkpoints (@bertweb/convert), loaded on first use. */
  converter: async () => (await import('./worker/converter.js')).createConverter(),
} satisfies { [K in keyof Tasks]: (...args: Parameters<Tasks[K]>) => ReturnType<Tasks[K]> } & Record<
  string,
  (...args: never[]) => Promise<object>
>;

serve(appTasks);
installConverter();
