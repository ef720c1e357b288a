/**
 * A one-line progress display on stderr for long CLI runs: drawn only on a terminal, redrawn
 * at most ten times a second, erased when done so the report that follows starts clean.
 */

/** Where and how a {@link Progress} draws. */
export interface ProgressOptions {
  /** Writes to the terminal (stderr in the CLI). */
  readonly write: (text: string) => void;
  /** Draw only when true; otherwise every call is a no-op (default: `process.stderr.isTTY`). */
  readonly isTTY?: boolean;
  /** What is being counted, shown before the counts (default `"checked"`). */
  readonly label?: string;
  /** Clock in milliseconds, for tests (default `performance.now`). */
  readonly now?: () => number;
  /** Minimum milliseconds between redraws (default 100: at most 10 redraws a second). */
  readonly intervalMs?: number;
}

/** A progress line: `update` as work completes, `clear` once at the end. */
export interface Progress {
  /** Shows `done` of `total`; the first call draws, later ones at most once per interval. */
  update(done: number, total: number): void;
  /** Erases the line if anything was drawn. Idempotent; later `update`s are ignored. */
  clear(): void;
}

const ERASE_LINE = "\r\u001b[2K";

/** Creates a progress line. Starts no timers and holds no handles. */
export function createProgress(options: ProgressOptions): Progress {
  const enabled = options.isTTY ?? process.stderr.isTTY;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 100;
  const label = options.label ?? "checked";
  let drawn = false;
  let cleared = false;
  let last = Number.NEGATIVE_INFINITY;
  return {
    update(done, total) {
      if (!enabled || cleared) return;
      const t = now();
      if (drawn && t - last < interval) return;
      last = t;
      drawn = true;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      options.write(`${ERASE_LINE}${label} ${done}/${total} (${percent}%)`);
    },
    clear() {
      if (cleared) return;
      cleared = true;
      if (drawn) options.write(ERASE_LINE);
    },
  };
}
