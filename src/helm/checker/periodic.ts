/**
 * A periodic job that never overlaps itself: the next run is scheduled when the last one has
 * finished. Its timer never keeps the process alive.
 */
export class PeriodicJob {
  readonly #intervalMs: number;
  readonly #run: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** `run` must not reject (report its own failures). An interval of 0 never runs. */
  constructor(intervalMs: number, run: () => Promise<void>) {
    this.#intervalMs = intervalMs;
    this.#run = run;
  }

  /** Schedules the next run (no-op once stopped, or with interval 0). */
  schedule(): void {
    if (this.#stopped || this.#intervalMs === 0) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    await this.#run();
    this.schedule();
  }

  /** Cancels the pending run; a running one finishes and schedules nothing. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
