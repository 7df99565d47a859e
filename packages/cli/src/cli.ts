/** `bertweb`: dispatch, help, and the JSON error contract (exit code != 0, one JSON line on stderr). */
import { createRequire } from 'node:module';
import { BertwebError, toBertwebError } from '@bertweb/core';
import { checkFlags, parseArgs } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import type { CommandIO } from './io.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Runs the CLI with injected I/O; returns the exit code instead of exiting (testable).
 *
 * @example
 * ```ts
 * const code = await runCli(['tokenize', '--model', 'models/fixtures/bert-base'], processIO());
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CommandIO,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(globalHelp(commands));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    io.out(`bertweb ${cliVersion()}`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command)
      throw new BertwebError('INPUT_INVALID', `unknown command ${JSON.stringify(name)}; see bertweb --help`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage);
      return EXIT.ok;
    }
    const args = parseArgs(rest, { known: command.flags, booleans: command.booleanFlags ?? [] });
    await command.run(args, io);
    return EXIT.ok;
  } catch (error) {
    const err = toBertwebError(error, 'INTERNAL');
    io.err(
      JSON.stringify({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      }),
    );
    return err.code === 'INPUT_INVALID' && !command ? EXIT.usage : EXIT.failure;
  }
}

/** The version in this package's package.json (`../package.json` from both `src/` and `dist/`). */
function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function globalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    'bertweb: BERT-family models from the command line (JSON in, JSON out)',
    '',
    'Usage: bertweb <command> [flags]   (bertweb <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Errors: exit code != 0 and one JSON line {"error": {"code", "message"}} on stderr.',
  ].join('\n');
}

export { checkFlags };
