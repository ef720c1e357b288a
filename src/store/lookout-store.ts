/**
 * The open store: one SQLite connection, its transactions, the key/value table, the Helm
 * checker's repository, the object snapshots and the event outbox. Made by `openStore`.
 */
import type { MeterProvider } from "@opentelemetry/api";
import type { Database } from "better-sqlite3";
import type { Logger } from "../logging/index.ts";
import { StoreAsyncTransactionError, StoreFullError, StoreInTransactionError } from "./errors.ts";
import { StoreHandle } from "./handle.ts";
import { SqliteHelmState, type HelmStateRepository } from "./helm-state.ts";
import { SqliteKeyValueStore, type KeyValueStore } from "./kv.ts";
import { StoreMetrics } from "./metrics.ts";
import { userVersion } from "./migrate.ts";
import { SqliteOutbox, type OutboxRepository } from "./outbox.ts";
import type { StoreSynchronous } from "./options.ts";
import { SqliteSnapshots, type SnapshotRepository } from "./snapshots.ts";
import { WalSync } from "./wal-sync.ts";
import { isSqliteFull } from "./write-error.ts";

/** An open kube-lookout state file. Synchronous: every call returns when SQLite has answered. */
export interface LookoutStore extends Disposable {
  /** The file path as given (`":memory:"` for an in-memory store). */
  readonly path: string;
  /**
   * True when the file was corrupt or unreadable and was moved aside to
   * `<path>.corrupt-<epoch ms>`: the store is empty, the caller rebuilds from the cluster.
   */
  readonly recovered: boolean;
  /** The schema version (`PRAGMA user_version`) of the open file. */
  readonly schemaVersion: number;
  /** False after `close()`. */
  readonly open: boolean;
  /** The key/value table. */
  readonly kv: KeyValueStore;
  /** The Helm checker's releases and findings. */
  readonly helm: HelmStateRepository;
  /** The last transformed state of each watched object. */
  readonly snapshots: SnapshotRepository;
  /** The event outbox. */
  readonly outbox: OutboxRepository;
  /**
   * Runs `fn` in one write transaction and returns its result: committed when `fn` returns,
   * rolled back when it throws (the error is rethrown as is). Calls inside `fn`, including
   * `helm.apply`, `snapshots.put`, `outbox.append` and nested `transaction`, join it (nested
   * ones as savepoints). `fn` must be synchronous: a returned promise rolls back and throws
   * `LOOKOUT_STORE_ASYNC_TRANSACTION`. A `SQLITE_FULL` from the commit (or from `fn`'s own
   * SQLite calls) is thrown as `LOOKOUT_STORE_FULL`, after the rollback. The outermost
   * transaction is timed in `kube_lookout.store.transaction.duration` by what it wrote (see
   * docs/store.md, "Metrics"); one that wrote nothing is not recorded.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Checkpoints the WAL into the file and closes the connection, releasing the lock, and
   * removes the store's metric callbacks (its gauges report nothing from then on). Idempotent. Every other member then throws `LOOKOUT_STORE_CLOSED`. Inside
   * `transaction(fn)` it throws `LOOKOUT_STORE_IN_TRANSACTION` and the store stays open.
   */
  close(): void;
}

/** The {@link LookoutStore} over an open, migrated connection. */
export class SqliteLookoutStore implements LookoutStore {
  readonly path: string;
  readonly recovered: boolean;
  readonly kv: KeyValueStore;
  readonly helm: HelmStateRepository;
  readonly snapshots: SnapshotRepository;
  readonly outbox: OutboxRepository;
  readonly #handle: StoreHandle;
  readonly #logger: Logger;
  readonly #metrics: StoreMetrics;

  constructor(
    db: Database,
    fields: {
      path: string;
      recovered: boolean;
      logger: Logger;
      maxSizeBytes: number | undefined;
      meterProvider: MeterProvider | undefined;
      synchronous: StoreSynchronous;
    },
  ) {
    this.path = fields.path;
    this.recovered = fields.recovered;
    this.#logger = fields.logger;
    const handle = new StoreHandle(db, fields.maxSizeBytes, {
      synchronous: fields.synchronous,
      walSync: db.memory ? undefined : new WalSync(fields.path),
    });
    this.#handle = handle;
    const pageCount = db.prepare<[], number>("PRAGMA page_count").pluck();
    const pageSize = db.prepare<[], number>("PRAGMA page_size").pluck();
    this.#metrics = new StoreMetrics(fields.meterProvider, {
      get open() {
        return handle.open;
      },
      sizeBytes: () => (pageCount.get() ?? 0) * (pageSize.get() ?? 0),
      maxSizeBytes: fields.maxSizeBytes,
      snapshotCounts: () => snapshots.counts(),
    });
    handle.metrics = this.#metrics;
    this.kv = new SqliteKeyValueStore(this.#handle);
    this.helm = new SqliteHelmState(this.#handle, fields.logger, this.kv);
    const snapshots = new SqliteSnapshots(this.#handle);
    this.snapshots = snapshots;
    this.outbox = new SqliteOutbox(this.#handle);
  }

  get schemaVersion(): number {
    return userVersion(this.#handle.db);
  }

  get open(): boolean {
    return this.#handle.open;
  }

  transaction<T>(fn: () => T): T {
    const run = this.#handle.db.transaction((): T => {
      const result = fn();
      if (isThenable(result)) throw new StoreAsyncTransactionError();
      return result;
    });
    return this.#handle.transaction(run, (err) =>
      !(err instanceof StoreFullError) && isSqliteFull(err)
        ? new StoreFullError("transaction", this.#handle.maxSizeBytes, err)
        : err,
    );
  }

  close(): void {
    if (this.#handle.open && this.#handle.db.inTransaction) throw new StoreInTransactionError();
    const walSync = this.#handle.walSync;
    const db = this.#handle.release();
    if (db === undefined) return;
    walSync?.close();
    this.#metrics.close();
    if (!db.memory) {
      try {
        db.pragma("wal_checkpoint(TRUNCATE)");
      } catch (err) {
        this.#logger.warn("store: WAL checkpoint at close failed", { path: this.path, err });
      }
    }
    db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function isThenable(v: unknown): boolean {
  return (
    (typeof v === "object" || typeof v === "function") &&
    v !== null &&
    "then" in v &&
    typeof v.then === "function"
  );
}
