/**
 * @bertweb/cli: the `bertweb` command as a library, for tests and tools that embed it: `runCli` with
 * injected standard streams. The export list is deliberate: `src/public-api.test.ts` pins it.
 *
 * @example
 * ```ts
 * import { memoryIO, runCli } from '@bertweb/cli';
 * const io = memoryIO(['Анна живёт в Москве.']);
 * const code = await runCli(['tag', '--model', 'models/ner-ru-tiny'], io); // io.stdout holds one JSON line
 * ```
 *
 * @packageDocumentation
 */
export { EXIT, runCli } from './cli.js';
export { type CommandIO, memoryIO, processIO } from './io.js';
