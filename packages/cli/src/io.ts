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

/** Lines handed to a head per call: enough for the runtime to batch, few enough to stream output. */
export const LINES_PER_CALL = 64;

/**
 * Streams input lines to `handle` in batches of `size`, in order. `parse` turns each line (with its
 * 1-based number, for error messages) into an item and may throw; batches read before that were handled.
 *
 * @example
 * ```ts
 * await forEachLineBatch(io.lines(), (line) => line, async (texts) => {
 *   for (const entities of await tagger.tag(texts)) io.out(JSON.stringify(entities));
 * });
 * ```
 */
export async function forEachLineBatch<T>(
  lines: AsyncIterable<string>,
  parse: (line: string, lineNumber: number) => T,
  handle: (batch: T[]) => Promise<void>,
  size = LINES_PER_CALL,
): Promise<void> {
  let batch: T[] = [];
  let lineNumber = 0;
  for await (const line of lines) {
    batch.push(parse(line, ++lineNumber));
    if (batch.length >= size) {
      await handle(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await handle(batch);
}

/**
 * A command's run over stdin with a head: the lines in batches (as {@link forEachLineBatch}), each
 * handed to `handle` with the call options (the command's abort signal), then the head disposed, also
 * when a batch fails.
 *
 * @example
 * ```ts
 * await withHeadOverLines(tagger, io, (line) => line, async (texts, call) => {
 *   for (const entities of await tagger.tag(texts, call)) io.out(JSON.stringify(entities));
 * });
 * ```
 */
export async function withHeadOverLines<T>(
  head: { dispose(): Promise<void> },
  io: CommandIO,
  parse: (line: string, lineNumber: number) => T,
  handle: (batch: T[], call: { readonly signal?: AbortSignal }) => Promise<void>,
): Promise<void> {
  const call = io.signal ? { signal: io.signal } : {};
  try {
    await forEachLineBatch(io.lines(), parse, (batch) => handle(batch, call));
  } finally {
    await head.dispose();
  }
}
