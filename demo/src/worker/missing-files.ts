/**
 * Offline support for optional model files. bertweb's cache keeps the files a model HAS; the runtime
 * also asks for files a model may lack (`tokenizer.json` before `vocab.txt`, `onnx/model_quantized.onnx`
 * before `onnx/model.onnx`, `crf.json`, ...). Offline, those questions fail with NETWORK. This fetch
 * wrapper remembers every 404 in a small Cache API store and, when the network is unreachable, answers
 * 404 again for URLs it saw missing, so a model loaded once online loads offline too.
 * (App-level workaround; the runtime could keep this knowledge in its own cache.)
 */

/** Cache holding one empty entry per URL that answered 404. */
export const MISSING_CACHE = 'bertweb-demo-missing-v1';

function urlOf(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

async function store(): Promise<Cache | undefined> {
  return typeof caches === 'undefined' ? undefined : caches.open(MISSING_CACHE).catch(() => undefined);
}

/**
 * A `fetch` that records 404s and replays them when offline.
 *
 * @example
 * ```ts
 * createTagger(url, { ...options, fetch: rememberingFetch() });
 * ```
 */
export function rememberingFetch(base: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    const url = urlOf(input);
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      const cache = await store();
      if (cache && (await cache.match(url)))
        return new Response(null, { status: 404, statusText: 'Not Found (remembered)' });
      throw error;
    }
    if (response.status === 404) {
      const cache = await store();
      await cache
        ?.put(url, new Response('', { headers: { 'x-bertweb-missing': String(Date.now()) } }))
        .catch(() => undefined);
    }
    return response;
  };
}
