/** What a tab is busy with (loading or running), and the one Cancel that aborts it. */

/** The kind of work in progress. */
export type ActivityKind = 'load' | 'run';

/** Busy state of one tab; listeners update buttons. */
export class Activity {
  #controller: AbortController | undefined;
  #kind: ActivityKind | undefined;
  readonly #listeners = new Set<(kind: ActivityKind | undefined) => void>();

  get busy(): boolean {
    return this.#kind !== undefined;
  }

  get kind(): ActivityKind | undefined {
    return this.#kind;
  }

  /** Starts work; a previous unfinished one is cancelled first. */
  begin(kind: ActivityKind): AbortSignal {
    this.#controller?.abort();
    this.#controller = new AbortController();
    this.#kind = kind;
    this.#emit();
    return this.#controller.signal;
  }

  /** Ends the work that owns `signal` (a newer one keeps running). */
  end(signal: AbortSignal): void {
    if (this.#controller?.signal !== signal) return;
    this.#controller = undefined;
    this.#kind = undefined;
    this.#emit();
  }

  /** The Cancel button. */
  cancel(): void {
    this.#controller?.abort();
  }

  onChange(listener: (kind: ActivityKind | undefined) => void): void {
    this.#listeners.add(listener);
  }

  #emit(): void {
    for (const listener of this.#listeners) listener(this.#kind);
  }
}
