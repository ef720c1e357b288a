/**
 * The store's instruments (names as in the catalogue, docs/metrics.md; meter scope
 * `kube-lookout/store`): the file's size and its bound, write transactions by operation,
 * snapshots by resource, errors by code. Only `@opentelemetry/api`: the MeterProvider is
 * injected (default: the global one). The gauges read O(1) or O(resources) state: two pragmas
 * and the snapshot counts the repository keeps in memory (snapshots.ts), never the big tables.
 */
import {
  metrics as otelMetrics,
  ValueType,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableGauge,
} from "@opentelemetry/api";

/** The meter scope of the store's instruments. */
export const STORE_SCOPE = "kube-lookout/store";

/** Names of the store's instruments. */
export const StoreMetricNames = {
  size: "kube_lookout.store.size",
  sizeLimit: "kube_lookout.store.size.limit",
  transactionDuration: "kube_lookout.store.transaction.duration",
  snapshots: "kube_lookout.store.snapshots",
  errors: "kube_lookout.store.errors",
} as const;

/**
 * The `operation` of a write transaction: what it wrote, the first of these that applies.
 * `snapshots` (object snapshots, with or without the outbox rows reporting them: the recorder's
 * batches), `helm` (the Helm checker's state, `helm.apply`/`setMeta`), `outbox` (only outbox rows:
 * appends, acks, drops), `kv` (only the key/value table).
 */
export type WriteOperation = "snapshots" | "helm" | "outbox" | "kv";

/** The transaction duration's buckets (the catalogue's `FAST_S`, kept equal by a test). */
export const TRANSACTION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** What the gauges read at each collection, while the store is open. */
export interface StoreGaugeSource {
  /** False once the store is closed: nothing is observed then. */
  readonly open: boolean;
  /** `PRAGMA page_count` × `PRAGMA page_size`. */
  sizeBytes(): number;
  /** The `maxSizeBytes` option; undefined when unbounded (the gauge is then absent). */
  readonly maxSizeBytes: number | undefined;
  /** Snapshot rows per resource (resources with none are absent). */
  snapshotCounts(): ReadonlyMap<string, number>;
}

/** The instruments; {@link close} removes the gauges' callback. */
export class StoreMetrics {
  readonly #meter: Meter;
  readonly #duration: Histogram;
  readonly #errors: Counter;
  readonly #gauges: ObservableGauge[];
  readonly #callback: BatchObservableCallback;
  #closed = false;

  constructor(provider: MeterProvider | undefined, source: StoreGaugeSource) {
    const meter = (provider ?? otelMetrics.getMeterProvider()).getMeter(STORE_SCOPE);
    this.#meter = meter;
    this.#duration = meter.createHistogram(StoreMetricNames.transactionDuration, {
      description: "Duration of write transactions, by operation.",
      unit: "s",
      advice: { explicitBucketBoundaries: [...TRANSACTION_BUCKETS] },
    });
    this.#errors = meter.createCounter(StoreMetricNames.errors, {
      description: "Store errors, by code.",
      unit: "{error}",
    });
    const size = meter.createObservableGauge(StoreMetricNames.size, {
      description: "Size of the SQLite database (page count times page size).",
      unit: "By",
      valueType: ValueType.INT,
    });
    const limit = meter.createObservableGauge(StoreMetricNames.sizeLimit, {
      description: "The configured maxSizeBytes.",
      unit: "By",
      valueType: ValueType.INT,
    });
    const snapshots = meter.createObservableGauge(StoreMetricNames.snapshots, {
      description: "Object snapshots stored, by resource.",
      unit: "{object}",
      valueType: ValueType.INT,
    });
    this.#gauges = [size, limit, snapshots];
    this.#callback = (result) => {
      if (!source.open) return;
      result.observe(size, source.sizeBytes());
      if (source.maxSizeBytes !== undefined) result.observe(limit, source.maxSizeBytes);
      for (const [resource, n] of source.snapshotCounts()) {
        result.observe(snapshots, n, { "k8s.resource": resource });
      }
    };
    meter.addBatchObservableCallback(this.#callback, this.#gauges);
  }

  /** Records one outermost write transaction of `seconds`. */
  transaction(operation: WriteOperation, seconds: number): void {
    this.#duration.record(seconds, { operation });
  }

  /** Counts one error by its code. */
  error(code: string): void {
    this.#errors.add(1, { "error.type": code });
  }

  /** Removes the gauges' callback. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#meter.removeBatchObservableCallback(this.#callback, this.#gauges);
  }
}
