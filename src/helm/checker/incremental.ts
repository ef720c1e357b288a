/**
 * The checker's incremental checks: releases whose storage objects changed are collected, and
 * one check of all of them runs after a quiet time (a burst of changes becomes one check).
 * Releases a check could not read, and every release of a check that failed, are checked again
 * after a backoff, so a transient API error does not leave stale findings until the next full
 * reconcile.
 */

/** What {@link IncrementalChecks} runs and reports to. */
export interface IncrementalCheckSteps {
  /** Quiet time after a change before the check runs (ms). */
  readonly delayMs: number;
  /** First retry delay after a failure (ms), doubling with each failure in a row; default 1,000. */
  readonly retryInitialMs?: number;
  /** Longest retry delay (ms); default 30,000. */
  readonly retryMaxMs?: number;
  /** ms clock; default `Date.now`. */
  readonly now?: () => number;
  /** Checks these releases; a rejection puts them back and retries them after the backoff. */
  run(keys: Set<string>): Promise<unknown>;
  /** A failed check (after its releases were put back). */
  failed(err: unknown): void;
}

/**
 * Collects changed releases and runs one check of them after {@link IncrementalCheckSteps.delayMs};
 * releases to retry after a backoff. Nothing runs before {@link enable} (the checker's first
 * scan reads everything anyway) nor after {@link stop}; at most one timer is pending, due at the
 * earliest time anything collected is due (a change does not wait for a retry's backoff).
 */
export class IncrementalChecks {
  readonly #steps: IncrementalCheckSteps;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #now: () => number;
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #dueAt = 0;
  #enabled = false;
  #stopped = false;
  /** Failures in a row (failed checks and retried releases); 0 after a clean check. */
  #failures = 0;
  /** Calls of {@link retry} so far: a check is clean when none happened while it ran. */
  #retries = 0;

  constructor(steps: IncrementalCheckSteps) {
    this.#steps = steps;
    this.#retryInitialMs = steps.retryInitialMs ?? 1000;
    this.#retryMaxMs = steps.retryMaxMs ?? 30_000;
    this.#now = steps.now ?? Date.now;
  }

  /** A release's storage objects changed: check it soon. */
  mark(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    this.#schedule(this.#steps.delayMs);
  }

  /**
   * These releases could not be read: check them again after the backoff (1 s, doubling with
   * each failure in a row, up to 30 s by default). A no-op after {@link stop}.
   */
  retry(keys: Iterable<string>): void {
    if (this.#stopped) return;
    let any = false;
    for (const key of keys) {
      this.#dirty.add(key);
      any = true;
    }
    if (!any) return;
    this.#retries++;
    this.#failures++;
    this.#schedule(this.#backoff());
  }

  /** From now on changes are checked; the ones collected so far too. */
  enable(): void {
    this.#enabled = true;
    this.#schedule(this.#steps.delayMs);
  }

  /**
   * A full scan is reading every release: hands over what was collected (and forgets it). A
   * full scan that fails gives it back with {@link retry}.
   */
  take(): Set<string> {
    const keys = new Set(this.#dirty);
    this.#dirty.clear();
    this.#failures = 0;
    return keys;
  }

  /** No more checks (a running one finishes on its own). Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #backoff(): number {
    const exp = Math.min(this.#failures - 1, 30);
    return Math.min(this.#retryInitialMs * 2 ** exp, this.#retryMaxMs);
  }

  #schedule(delayMs: number): void {
    if (!this.#enabled || this.#stopped || this.#dirty.size === 0) return;
    const dueAt = this.#now() + delayMs;
    if (this.#timer !== undefined) {
      if (this.#dueAt <= dueAt) return;
      clearTimeout(this.#timer);
    }
    this.#dueAt = dueAt;
    this.#timer = setTimeout(() => this.#fire(), delayMs);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#dirty.size === 0) return; // a full scan took them
    const keys = new Set(this.#dirty);
    this.#dirty.clear();
    const retries = this.#retries;
    void this.#steps.run(keys).then(
      () => {
        // Clean only when nothing was handed back meanwhile (by this check or another one).
        if (this.#retries === retries) this.#failures = 0;
        return undefined;
      },
      (err: unknown) => {
        if (this.#stopped) return;
        this.retry(keys);
        this.#steps.failed(err);
      },
    );
  }
}
