/**
 * Exponential backoff with client-go's jitter factor 1.0 (reflector defaults: 0.8 s doubling
 * to a 30 s cap): each delay is uniform in [d, 2d), capped at the maximum, so it never drops
 * near 0. The sequence restarts once no failure happened for `resetAfterMs` (2 min).
 */

/** Backoff parameters and seams. */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly resetAfterMs?: number;
  /** ms clock; default `Date.now`. */
  readonly now?: () => number;
  /** Uniform [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

/** Computes successive retry delays. Not a timer: the caller sleeps. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #resetAfterMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #attempt = 0;
  #lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#resetAfterMs = options.resetAfterMs ?? 120_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** The attempt count since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * Records a failure and returns how long to wait: with d = min(cap, initial·2^n), uniform in
   * [d, 2d), capped at `maxMs`.
   * When the previous failure is older than `resetAfterMs`, the sequence restarts.
   */
  next(): number {
    const now = this.#now();
    if (now - this.#lastFailureAt > this.#resetAfterMs) this.#attempt = 0;
    this.#lastFailureAt = now;
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.min(this.#maxMs, Math.floor(ceiling + this.#random() * ceiling));
  }

  /** Forgets past failures. */
  reset(): void {
    this.#attempt = 0;
    this.#lastFailureAt = Number.NEGATIVE_INFINITY;
  }
}
