/**
 * @bertweb/cli: the `bertweb` command as a library (for tests and tools that embed it).
 *
 * @packageDocumentation
 */

export { checkFlags, choiceFlag, intFlag, numberFlag, type ParsedArgs, parseArgs, stringFlag } from './args.js';
export { EXIT, runCli } from './cli.js';
export { type Command, MODEL_FLAGS, MODEL_FLAGS_USAGE, modelOptions } from './command.js';
export { type CommandIO, memoryIO, processIO } from './io.js';
