/** Flag parsing shared by every command: `--name value`, `--name=value`, boolean `--flag`. */
import { BertwebError } from '@bertweb/core';

/** Parsed command line: positionals and flags (repeated flags keep the last value). */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

/** The flags a command knows, for {@link parseArgs}. */
export interface FlagSpec {
  /** Every known flag; when given, any other is `INPUT_INVALID` ("unknown option"). */
  readonly known?: readonly string[];
  /** Flags that take no value. */
  readonly booleans?: readonly string[];
}

/**
 * Parses argv after the command name: `--name value`, `--name=value`, boolean `--flag`, `--` ends flags.
 *
 * @example
 * ```ts
 * parseArgs(['--model', 'm', '--normalize'], { known: ['model', 'normalize'], booleans: ['normalize'] })
 *   .flags.get('normalize'); // true
 * ```
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec = {}): ParsedArgs {
  const booleanFlags = new Set(spec.booleans ?? []);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.known && !spec.known.includes(name)) throw new BertwebError('INPUT_INVALID', `unknown option --${name}`);
    if (eq !== -1) flags.set(name, arg.slice(eq + 1));
    else if (booleanFlags.has(name)) flags.set(name, true);
    else {
      const value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new BertwebError('INPUT_INVALID', `--${name} needs a value`);
      }
      flags.set(name, value);
      i++;
    }
  }
  return { positionals, flags };
}

/**
 * Rejects flags a command does not know.
 *
 * @example
 * ```ts
 * checkFlags(args, ['model', 'backend']);
 * ```
 */
export function checkFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new BertwebError('INPUT_INVALID', `unknown option --${name}`);
  }
}

/**
 * A string flag; `required` makes its absence an INPUT_INVALID error.
 *
 * @example
 * ```ts
 * const model = stringFlag(args, 'model', true);
 * ```
 */
export function stringFlag(args: ParsedArgs, name: string, required: true): string;
export function stringFlag(args: ParsedArgs, name: string, required?: false): string | undefined;
export function stringFlag(args: ParsedArgs, name: string, required = false): string | undefined {
  const value = args.flags.get(name);
  if (value === undefined) {
    if (required) throw new BertwebError('INPUT_INVALID', `--${name} is required`);
    return undefined;
  }
  if (value === true) throw new BertwebError('INPUT_INVALID', `--${name} needs a value`);
  return value;
}

/**
 * A positive integer flag.
 *
 * @example
 * ```ts
 * const batch = intFlag(args, 'batch') ?? 32;
 * ```
 */
export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const value = stringFlag(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BertwebError('INPUT_INVALID', `--${name} must be a positive integer`);
  return n;
}

/**
 * A number flag (any finite number).
 *
 * @example
 * ```ts
 * const threshold = numberFlag(args, 'threshold') ?? 0.5;
 * ```
 */
export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const value = stringFlag(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BertwebError('INPUT_INVALID', `--${name} must be a number`);
  return n;
}

/**
 * One of a fixed set of values.
 *
 * @example
 * ```ts
 * const pooling = choiceFlag(args, 'pooling', ['mean', 'max', 'cls', 'pooler']);
 * ```
 */
export function choiceFlag<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const value = stringFlag(args, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new BertwebError('INPUT_INVALID', `--${name} must be one of ${choices.join(', ')}`);
  }
  return value as T;
}
