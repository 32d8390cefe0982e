/** Options for {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where progress goes: stderr, so stdout stays the command's result. */
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** The time source for throttling (default `Date.now`). */
  now?: () => number;
  /** Least time between two redraws on a terminal (default 100 ms). */
  redrawMs?: number;
  /** Least time between two progress lines of one step when not on a terminal (default 5000 ms). */
  lineMs?: number;
}

/**
 * Progress of a sequence of steps (a label with `done` of `total`): on a terminal, one bar redrawn in place, and
 * each step's line kept when it completes; elsewhere (a log, a pipe), plain lines when a step completes and at
 * most every `lineMs` in between.
 */
export class ProgressBar {
  readonly #stream: ProgressBarOptions["stream"];
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #redrawMs: number;
  readonly #lineMs: number;
  #label: string | null = null;
  #lastWriteMs = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(options: ProgressBarOptions) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    this.#now = options.now ?? Date.now;
    this.#redrawMs = options.redrawMs ?? 100;
    this.#lineMs = options.lineMs ?? 5_000;
  }

  /** Reports `done` of `total` for the step `label`; a new label starts a new step. */
  update(label: string, done: number, total: number): void {
    const now = this.#now();
    const newStep = label !== this.#label;
    this.#label = label;
    const complete = done >= total;
    if (this.#tty) {
      if (!complete && !newStep && now - this.#lastWriteMs < this.#redrawMs) return;
      this.#stream.write(`\r\x1b[2K${this.#barLine(label, done, total)}${complete ? "\n" : ""}`);
      this.#drawn = !complete;
    } else {
      if (!complete && (newStep || now - this.#lastWriteMs < this.#lineMs)) {
        if (newStep) this.#lastWriteMs = now;
        return;
      }
      this.#stream.write(`${label}: ${done}/${total}${complete ? " done" : ""}\n`);
    }
    this.#lastWriteMs = now;
  }

  /** Ends an unfinished bar's line, so what follows starts on a line of its own. */
  finish(): void {
    if (this.#drawn) this.#stream.write("\n");
    this.#drawn = false;
  }

  #barLine(label: string, done: number, total: number): string {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const counts = `${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}`;
    // Sized for the widest counts of the step, so the bar keeps its width while they grow; the line stays
    // shorter than the terminal, since a wrapped line cannot be redrawn with \r.
    const widest = `100% ${total}/${total}`.length;
    const columns = this.#stream.columns || 80;
    const width = Math.max(10, Math.min(40, columns - label.length - widest - 6));
    const filled = Math.round(ratio * width);
    return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${counts}`;
  }
}
