/**
 * Environment probes for the sources module. Node built-ins are reached only at run time (never by a
 * static import) so that browser bundles of @bertweb/core stay free of `node:*` modules.
 */

/** True in Node.js (and runtimes that mimic it closely enough to expose `process.versions.node`). */
export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** Reads an environment variable in Node; `undefined` elsewhere or when empty. */
export function readEnv(name: string): string | undefined {
  if (!isNode()) return undefined;
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

type BuiltinLoader = (id: string) => unknown;

/**
 * A Node built-in module, synchronously, when the runtime offers `process.getBuiltinModule`
 * (Node >= 20.16); `undefined` otherwise.
 */
export function nodeBuiltinSync<T>(id: string): T | undefined {
  if (!isNode()) return undefined;
  const loader = (process as unknown as { getBuiltinModule?: BuiltinLoader }).getBuiltinModule;
  return typeof loader === 'function' ? (loader.call(process, id) as T) : undefined;
}

/**
 * A Node built-in module. The specifier goes through a variable and `@vite-ignore` so that bundlers
 * neither follow nor stub it; browser code never reaches this function.
 */
export async function nodeBuiltin<T>(id: string): Promise<T> {
  const sync = nodeBuiltinSync<T>(id);
  if (sync !== undefined) return sync;
  const specifier = id.startsWith('node:') ? id : `node:${id}`;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}
