/**
 * The pieces of `@bertweb/core` this package uses, imported in one place.
 *
 * `@bertweb/core`'s barrel does not export its error module yet (it is being written in parallel), so this
 * re-exports the module file itself; the class is the same object either way, so `instanceof` holds.
 */

export type { ErrorCode } from '../../core/src/errors.js';
export { BertwebError, isBertwebError, throwIfAborted } from '../../core/src/errors.js';
