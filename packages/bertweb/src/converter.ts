/**
 * The load-time converter `bertweb` installs in `env.converter`: `@bertweb/convert`, imported only when a
 * checkpoint without ONNX files is actually converted (so pages that load ONNX models never fetch it).
 */

// The version alone, from its own subpath: importing the package's main entry here would put the whole
// converter into every bundle that imports 'bertweb', defeating the dynamic imports below.
import { CONVERTER_VERSION } from '@bertweb/convert/version';
import { BertwebError, env, type ModelConverter } from '@bertweb/core';

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
  // DeepPavlov config sources ({ deeppavlov }) are planned by the converter too: without this, importing
  // 'bertweb' left them UNSUPPORTED ("needs a converter").
  async deeppavlov(config, options) {
    const { modelConverter } = await import('@bertweb/convert');
    if (!modelConverter.deeppavlov) throw new BertwebError('INTERNAL', '@bertweb/convert has no DeepPavlov planner');
    return modelConverter.deeppavlov(config, options);
  },
};

/** Installs {@link lazyConverter} unless a converter is set already (called once, on import). */
export function installConverter(): void {
  env.converter ??= lazyConverter;
}
