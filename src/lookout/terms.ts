/**
 * The terms of leadership of one instance, one at a time: a term begins when this instance
 * starts leading and ends when it stops. A term whose start failed (a store error, a folder that
 * is not there yet), or that could not even be built (an option one of its parts refuses), is
 * stopped and started anew after a pause (1 s doubling to 30 s) as long as this instance leads:
 * a leader that keeps its Lease must not sit on work it is not doing.
 */
import type { Logger } from "../logging/index.ts";
import type { LeaderTerm, LeaderTermStart } from "./leader-term.ts";

/** What {@link LeaderTerms} needs from the composition root. */
export interface LeaderTermsOptions {
  /** Builds a term (it starts at construction); may throw (retried like a failed start). */
  readonly create: () => LeaderTerm;
  readonly logger: Logger;
  /** True once the instance is shutting down: no new term then. */
  readonly closing: () => boolean;
  /** How long a stopping term may flush its outbox (asked when it stops). */
  readonly stopTimeoutMs: () => number;
}

/** Begins, ends and restarts terms, each change after the previous one (never two at once). */
export class LeaderTerms {
  readonly #o: LeaderTermsOptions;
  /** Term changes, one at a time. Never rejects. */
  #transitions: Promise<unknown> = Promise.resolve();
  #term: LeaderTerm | undefined;
  /** Starts in a row that failed (the next retry's backoff), and the last one's error. */
  #failures = 0;
  #error: string | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: LeaderTermsOptions) {
    this.#o = options;
  }

  /** The running term; undefined while not leading. */
  get current(): LeaderTerm | undefined {
    return this.#term;
  }

  /** The last failed start's error while it is retried; undefined otherwise. */
  get startError(): string | undefined {
    return this.#error;
  }

  /** True while a failed start waits for its retry (leading, but no term may be running). */
  get retrying(): boolean {
    return this.#retry !== undefined;
  }

  /** Resolves when the changes queued so far are done. Never rejects. */
  settled(): Promise<unknown> {
    return this.#transitions;
  }

  /** A new term, once the previous one has stopped. */
  begin(): void {
    this.#transitions = this.#transitions
      .then(() => this.#newTerm())
      .catch((err: unknown) => this.#o.logger.error("the leader's work could not start", { err }));
  }

  /** Stops the current term; resolves when it has stopped. Never rejects. */
  end(): Promise<unknown> {
    // Not leading any more: a failed start is not this instance's to retry or report.
    clearTimeout(this.#retry);
    this.#failures = 0;
    this.#error = undefined;
    this.#transitions = this.#transitions
      .then(() => this.#stopTerm())
      .catch((err: unknown) =>
        this.#o.logger.error("the leader's work did not stop cleanly", { err }),
      );
    return this.#transitions;
  }

  #newTerm(): void {
    if (this.#o.closing() || this.#term !== undefined) return;
    let term: LeaderTerm;
    try {
      term = this.#o.create();
    } catch (error) {
      this.#retryLater(undefined, error);
      return;
    }
    this.#term = term;
    void term.started.then((outcome) => this.#afterStart(term, outcome));
  }

  #afterStart(term: LeaderTerm, outcome: LeaderTermStart): void {
    if (outcome.failed) this.#retryLater(term, outcome.error);
    else if (!term.stopping) {
      this.#failures = 0;
      this.#error = undefined;
    }
  }

  /** Schedules a new term after a pause; `term` is the failed one (undefined: none was built). */
  #retryLater(term: LeaderTerm | undefined, error: unknown): void {
    if (this.#term !== term || this.#o.closing()) return;
    const delayMs = Math.min(1000 * 2 ** this.#failures, 30_000);
    this.#failures++;
    this.#error = error instanceof Error ? error.message : String(error);
    this.#o.logger.warn("the leader's work starts again after a pause", {
      delayMs,
      failures: this.#failures,
    });
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#transitions = this.#transitions
        .then(() => this.#restart(term))
        .catch((err: unknown) =>
          this.#o.logger.error("the leader's work could not start again", { err }),
        );
    }, delayMs);
  }

  async #restart(term: LeaderTerm | undefined): Promise<void> {
    // Leadership was lost (or lost and regained) meanwhile: that already replaced it.
    if (this.#term !== term || this.#o.closing()) return;
    await this.#stopTerm();
    this.#newTerm();
  }

  async #stopTerm(): Promise<void> {
    const term = this.#term;
    this.#term = undefined;
    await term?.stop(this.#o.stopTimeoutMs());
  }
}
