/**
 * The load-time converter `bertweb` installs in `env.converter`: `@bertweb/convert`, imported only when a
 * checkpoint without ONNX files is actually converted (so pages that load ONNX models never fetch it).
 */

import { CONVERTER_VERSION } from '@bertweb/convert';
import { env, type ModelConverter } from '@bertweb/core';

/**
 * `@bertweb/convert`'s converter, loaded on first use. `bertweb` installs it as `env.converter` unless
 * another one is set already.
 *
 * @example
 * ```ts
 * import { env, lazyConverter } from 'bertweb';
 * env.converter = lazyConverter; // what importing 'bertweb' does
 * ```
 */
export const lazyConverter: ModelConverter = {
  version: CONVERTER_VERSION,
  async convert(source, options) {
    const { modelConverter } = await import('@bertweb/convert');
    return modelConverter.convert(source, options);
  },
};

/** Installs {@link lazyConverter} unless a converter is set already (called once, on import). */
export function installConverter(): void {
  env.converter ??= lazyConverter;
}
