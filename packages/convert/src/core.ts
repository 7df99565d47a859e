/** The pieces of `@bertweb/core` this package uses, imported in one place. */
export { BertwebError, type ErrorCode, isBertwebError, resolveSource, throwIfAborted } from '@bertweb/core';
