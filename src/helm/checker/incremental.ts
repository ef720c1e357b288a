/**
 * The checker's incremental checks: releases whose storage objects changed are collected, and
 * one check of all of them runs after a quiet time (a burst of changes becomes one check).
 */

/** What {@link IncrementalChecks} runs and reports to. */
export interface IncrementalCheckSteps {
  /** Quiet time after a change before the check runs (ms). */
  readonly delayMs: number;
  /** Checks these releases; a rejection puts them back for the next check. */
  run(keys: Set<string>): Promise<unknown>;
  /** A failed check (after its releases were put back). */
  failed(err: unknown): void;
}

/**
 * Collects changed releases and runs one check of them after {@link IncrementalCheckSteps.delayMs}.
 * Nothing runs before {@link enable} (the checker's first scan reads everything anyway) nor
 * after {@link stop}; at most one timer is pending.
 */
export class IncrementalChecks {
  readonly #steps: IncrementalCheckSteps;
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #enabled = false;
  #stopped = false;

  constructor(steps: IncrementalCheckSteps) {
    this.#steps = steps;
  }

  /** A release's storage objects changed: check it soon. */
  mark(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    this.#schedule();
  }

  /** From now on changes are checked; the ones collected so far too. */
  enable(): void {
    this.#enabled = true;
    this.#schedule();
  }

  /** A full scan is reading every release: forget what was collected. */
  clear(): void {
    this.#dirty.clear();
  }

  /** No more checks (a running one finishes on its own). Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.#enabled || this.#stopped || this.#timer !== undefined || this.#dirty.size === 0) {
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const keys = new Set(this.#dirty);
      this.#dirty.clear();
      void this.#steps.run(keys).catch((err: unknown) => {
        if (this.#stopped) return;
        // Checked again with the next change or the next full reconcile.
        for (const key of keys) this.#dirty.add(key);
        this.#steps.failed(err);
      });
    }, this.#steps.delayMs);
    this.#timer.unref();
  }
}
