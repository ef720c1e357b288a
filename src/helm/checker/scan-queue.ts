/**
 * The checker's one queue of scans: jobs run one at a time, in order; full scans are joined
 * rather than repeated.
 */
export class ScanQueue<S> {
  #tail: Promise<unknown> = Promise.resolve();
  /** The full scan waiting in the queue (joined by every call), and the one running. */
  #fullQueued: Promise<S> | undefined;
  #fullRunning: Promise<S> | undefined;

  /** Runs `job` once every job queued before it has settled; resolves or rejects as it does. */
  enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job, job);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Queues a full scan, or joins one: the queued one always; the running one unless `fresh`
   * (a change that a scan must see from its start, such as a new table).
   */
  full(job: () => Promise<S>, fresh: boolean): Promise<S> {
    if (this.#fullQueued !== undefined) return this.#fullQueued;
    if (!fresh && this.#fullRunning !== undefined) return this.#fullRunning;
    const queued = this.enqueue(async () => {
      this.#fullQueued = undefined;
      this.#fullRunning = queued;
      try {
        return await job();
      } finally {
        if (this.#fullRunning === queued) this.#fullRunning = undefined;
      }
    });
    this.#fullQueued = queued;
    return queued;
  }

  /** Resolves once every job queued so far has settled. Never rejects. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
