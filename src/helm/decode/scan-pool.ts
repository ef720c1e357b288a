/**
 * A pool of worker threads (tinypool) that decode and scan release payloads in parallel.
 */
import { availableParallelism } from "node:os";
import { Tinypool } from "tinypool";
import { ScanPoolClosedError } from "./errors.ts";
import type { DecodeLimits } from "./payload.ts";
import type { ScanInput, ScanResult } from "./scan-release.ts";
import type { ScanTask } from "./scan-worker.ts";
import type { Timed } from "./timed-scan-worker.ts";

/** Options of {@link ScanPool}. */
export interface ScanPoolOptions {
  /** Worker threads at most; default `os.availableParallelism()`. */
  readonly maxThreads?: number;
  /** Decoding caps applied to every payload. */
  readonly limits?: DecodeLimits;
  /** Milliseconds an idle worker lives before it exits; default 10,000. */
  readonly idleTimeoutMs?: number;
}

/** Input of {@link ScanPool.scan}. */
export interface ScanPoolInput extends ScanInput {
  /**
   * Move the bytes of a `Buffer`/`Uint8Array` value to the worker instead of copying them. The
   * caller's buffer is then detached (length 0). Ignored for strings and for views that do not
   * span their whole `ArrayBuffer` (Node's pooled small Buffers share one).
   */
  readonly transfer?: boolean;
}

/**
 * Counters of a {@link ScanPool}. tinypool 2.2.0 exposes no utilization figure: the pool's
 * workers time each task themselves (`busyMs`), and utilization over an interval is the growth
 * of `busyMs` over the interval's length times `maxThreads` (as piscina reckons it).
 */
export interface ScanPoolStats {
  /** Tasks waiting for a worker. */
  readonly queueSize: number;
  /** Live worker threads. */
  readonly threads: number;
  /** The most threads the pool runs. */
  readonly maxThreads: number;
  /** Tasks completed since the pool was made (tinypool's count: failed and aborted ones too). */
  readonly completed: number;
  /** Milliseconds since the pool was made. */
  readonly durationMs: number;
  /**
   * Milliseconds worker threads spent running tasks that completed, summed over threads, since
   * the pool was made (a task's time is added when it completes; aborted tasks add nothing).
   */
  readonly busyMs: number;
}

/** Most payloads in one worker task of {@link ScanPool.scanMany}. */
const MAX_BATCH = 32;
/**
 * The worker module, next to this one and with its extension: `.ts` run by type stripping from
 * a checkout, `.js` in the built package (`dist/`, what an installed package runs).
 */
const WORKER = new URL(
  `./timed-scan-worker${import.meta.url.endsWith(".js") ? ".js" : ".ts"}`,
  import.meta.url,
).href;

/**
 * Runs `scanRelease` for each payload on worker threads. The constructor validates options and
 * starts no thread (threads start with the first task). Workers do not keep the process alive
 * once idle, and {@link close} ends them all.
 */
export class ScanPool {
  readonly #pool: Tinypool;
  readonly #limits: DecodeLimits;
  #closing: Promise<void> | undefined;
  #busyMs = 0;

  constructor(options: ScanPoolOptions = {}) {
    const maxThreads = options.maxThreads ?? availableParallelism();
    if (!Number.isSafeInteger(maxThreads) || maxThreads < 1) {
      throw new RangeError(`maxThreads must be a positive integer, got ${String(maxThreads)}`);
    }
    const idleTimeout = options.idleTimeoutMs ?? 10_000;
    if (!Number.isFinite(idleTimeout) || idleTimeout < 0) {
      throw new RangeError(`idleTimeoutMs must be >= 0, got ${String(idleTimeout)}`);
    }
    const max = options.limits?.maxOutputLength;
    if (max !== undefined && (!Number.isSafeInteger(max) || max <= 0)) {
      throw new RangeError(`maxOutputLength must be a positive integer, got ${String(max)}`);
    }
    this.#limits = { ...options.limits };
    this.#pool = new Tinypool({ filename: WORKER, minThreads: 0, maxThreads, idleTimeout });
  }

  /**
   * Decodes and scans one payload on a worker. Resolves with the same {@link ScanResult} as
   * `scanRelease` in this thread (bad input is in `errors`, not a rejection). Rejects with
   * `signal.reason` when `signal` aborts first (a running task's worker is terminated), with
   * {@link ScanPoolClosedError} after {@link close}, or with the worker's error for a bug.
   */
  async scan(input: ScanPoolInput, signal?: AbortSignal): Promise<ScanResult> {
    if (this.#closing !== undefined) throw new ScanPoolClosedError();
    signal?.throwIfAborted();
    const transferList: ArrayBuffer[] = [];
    const task = this.#task(input, transferList);
    const result: ScanResult = await this.#run(task, "default", transferList, signal);
    return result;
  }

  /**
   * Scans many payloads, several per worker task (fewer thread round trips than one
   * {@link scan} each); resolves with the results in input order. Rejects as {@link scan} does;
   * on abort or close nothing is returned for any of them.
   */
  async scanMany(inputs: readonly ScanPoolInput[], signal?: AbortSignal): Promise<ScanResult[]> {
    if (this.#closing !== undefined) throw new ScanPoolClosedError();
    signal?.throwIfAborted();
    const threads = this.#pool.options.maxThreads;
    const size = Math.min(MAX_BATCH, Math.max(1, Math.ceil(inputs.length / (threads * 4))));
    const batches: Promise<ScanResult[]>[] = [];
    for (let i = 0; i < inputs.length; i += size) {
      const transferList: ArrayBuffer[] = [];
      const tasks = inputs.slice(i, i + size).map((input) => this.#task(input, transferList));
      batches.push(this.#run(tasks, "timedScanBatch", transferList, signal));
    }
    const settled = await Promise.allSettled(batches);
    const out: ScanResult[] = [];
    for (const s of settled) {
      if (s.status === "rejected") throw s.reason;
      out.push(...s.value);
    }
    return out;
  }

  /**
   * Starts every worker thread now (each loads the scanning code), so that the first real scans
   * do not wait for thread start-up. Resolves when they are up; never rejects (a failure shows
   * again on the first scan). A no-op after {@link close}.
   */
  async warm(): Promise<void> {
    if (this.#closing !== undefined) return;
    const threads = this.#pool.options.maxThreads;
    const tasks = Array.from({ length: threads }, () =>
      this.#pool.run([], { name: "timedScanBatch" }).catch(() => undefined),
    );
    await Promise.all(tasks);
  }

  #task(input: ScanPoolInput, transferList: ArrayBuffer[]): ScanTask {
    const value = input.value;
    if (
      input.transfer === true &&
      typeof value !== "string" &&
      value.byteOffset === 0 &&
      value.byteLength === value.buffer.byteLength &&
      value.buffer instanceof ArrayBuffer
    ) {
      transferList.push(value.buffer);
    }
    return {
      value,
      driver: input.driver,
      limits: this.#limits,
      ...(input.apiVersions === undefined ? {} : { apiVersions: input.apiVersions }),
    };
  }

  async #run<T>(
    task: ScanTask | ScanTask[],
    name: "default" | "timedScanBatch",
    transferList: ArrayBuffer[],
    signal: AbortSignal | undefined,
  ): Promise<T> {
    try {
      const result: Timed<T> = await this.#pool.run(task, {
        name,
        ...(signal === undefined ? {} : { signal }),
        ...(transferList.length === 0 ? {} : { transferList }),
      });
      this.#busyMs += result.busyMs;
      return result.value;
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      if (this.#closing !== undefined) throw new ScanPoolClosedError();
      throw err;
    }
  }

  /** Current counters (see {@link ScanPoolStats}). */
  get stats(): ScanPoolStats {
    return {
      queueSize: this.#pool.queueSize,
      threads: this.#pool.threads.length,
      maxThreads: this.#pool.options.maxThreads,
      completed: this.#pool.completed,
      durationMs: this.#pool.duration,
      busyMs: this.#busyMs,
    };
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Ends every worker; queued and running scans reject with {@link ScanPoolClosedError}.
   * Idempotent: every call resolves with the same completion.
   */
  close(): Promise<void> {
    this.#closing ??= this.#pool.destroy();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
