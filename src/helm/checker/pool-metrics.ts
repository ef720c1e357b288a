/**
 * The scan pool's instruments (names as in the catalogue, docs/metrics.md; meter scope
 * `kube-lookout/scan-pool`): queue size, live threads, utilization since the previous
 * collection, tasks completed. Read from `ScanPool.stats` at each collection (O(1)); a closed
 * pool observes nothing. Only `@opentelemetry/api`.
 */
import {
  metrics as otelMetrics,
  ValueType,
  type BatchObservableCallback,
  type Meter,
  type MeterProvider,
  type Observable,
} from "@opentelemetry/api";
import type { ScanPoolStats } from "../decode/index.ts";

/** The meter scope of the pool's instruments. */
export const SCAN_POOL_SCOPE = "kube-lookout/scan-pool";

/** Names of the scan pool's instruments. */
export const ScanPoolMetricNames = {
  queueSize: "kube_lookout.scan_pool.queue.size",
  threads: "kube_lookout.scan_pool.threads",
  utilization: "kube_lookout.scan_pool.utilization",
  tasks: "kube_lookout.scan_pool.tasks",
} as const;

/** What the instruments read: a `ScanPool` is one. */
export interface MeteredPool {
  readonly stats: ScanPoolStats;
  readonly closed: boolean;
}

/**
 * Registers the pool's instruments on `provider` (default: the global one). Utilization is the
 * workers' task time since the previous collection (by any reader of the provider) over that
 * interval times `maxThreads`, from 0 to 1; the first collection measures from construction. A
 * task's time counts when it completes, so an interval that ends a long task can read high: it
 * is capped at 1 (the pool's tasks are batches of at most 32 payloads, milliseconds each).
 * {@link close} removes the callback.
 */
export class ScanPoolMetrics {
  readonly #meter: Meter;
  readonly #instruments: Observable[];
  readonly #callback: BatchObservableCallback;
  #closed = false;

  constructor(pool: MeteredPool, provider?: MeterProvider) {
    const meter = (provider ?? otelMetrics.getMeterProvider()).getMeter(SCAN_POOL_SCOPE);
    this.#meter = meter;
    const queue = meter.createObservableGauge(ScanPoolMetricNames.queueSize, {
      description: "Tasks waiting for a worker thread.",
      unit: "{task}",
      valueType: ValueType.INT,
    });
    const threads = meter.createObservableGauge(ScanPoolMetricNames.threads, {
      description: "Live worker threads.",
      unit: "{thread}",
      valueType: ValueType.INT,
    });
    const utilization = meter.createObservableGauge(ScanPoolMetricNames.utilization, {
      description:
        "Share of the pool's thread time spent running tasks since the previous collection.",
      unit: "1",
    });
    const tasks = meter.createObservableCounter(ScanPoolMetricNames.tasks, {
      description: "Tasks completed.",
      unit: "{task}",
      valueType: ValueType.INT,
    });
    this.#instruments = [queue, threads, utilization, tasks];
    let last = { at: performance.now(), busyMs: pool.stats.busyMs };
    this.#callback = (result) => {
      if (pool.closed) return;
      const s = pool.stats;
      const now = { at: performance.now(), busyMs: s.busyMs };
      const capacity = (now.at - last.at) * s.maxThreads;
      const share = capacity > 0 ? (now.busyMs - last.busyMs) / capacity : 0;
      last = now;
      result.observe(queue, s.queueSize);
      result.observe(threads, s.threads);
      result.observe(utilization, Math.min(1, Math.max(0, share)));
      result.observe(tasks, s.completed);
    };
    meter.addBatchObservableCallback(this.#callback, this.#instruments);
  }

  /** Removes the callback: nothing is observed from then on. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#meter.removeBatchObservableCallback(this.#callback, this.#instruments);
  }
}
