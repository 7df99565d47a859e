/** Command I/O: stdin lines in, JSON (Lines) out. Injected so commands are testable without a process. */

/** What a command may use of the outside world. */
export interface CommandIO {
  /** Input lines (stdin), without line terminators. */
  readonly lines: () => AsyncIterable<string>;
  /** Whole stdin as text. */
  readonly readAll: () => Promise<string>;
  /** Writes one line to stdout. */
  readonly out: (line: string) => void;
  /** Writes one line to stderr (diagnostics, never results). */
  readonly err: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * The process's stdin/stdout/stderr as a {@link CommandIO}.
 *
 * @example
 * ```ts
 * await runCli(process.argv.slice(2), processIO());
 * ```
 */
export function processIO(signal?: AbortSignal): CommandIO {
  return {
    async *lines() {
      const { createInterface } = await import('node:readline');
      const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of rl) yield line;
    },
    async readAll() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    ...(signal ? { signal } : {}),
  };
}

/**
 * An in-memory {@link CommandIO} for tests.
 *
 * @example
 * ```ts
 * const io = memoryIO(['first line', 'second line']);
 * await runCli(['tokenize', '--model', dir], io);
 * io.stdout; // ['{"ids":...}', ...]
 * ```
 */
export function memoryIO(input: readonly string[] = []): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    async *lines() {
      yield* input;
    },
    readAll: async () => input.join('\n'),
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
  };
}
