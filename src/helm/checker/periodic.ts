/**
 * A periodic job that never overlaps itself: the next run is scheduled when the last one has
 * finished. Its timer never keeps the process alive. An interval longer than a Node timer takes
 * (2^31−1 ms, ~24.8 days: a longer one fires after 1 ms) waits in several timers.
 */
import { MAX_TIMER_MS } from "../../timers/index.ts";

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
    this.#wait(this.#intervalMs);
  }

  /** Runs after `ms`, in steps of at most {@link MAX_TIMER_MS}. */
  #wait(ms: number): void {
    const step = Math.min(ms, MAX_TIMER_MS);
    this.#timer = setTimeout(() => {
      if (ms > step) this.#wait(ms - step);
      else void this.#tick();
    }, step);
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
