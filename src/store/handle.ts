/**
 * The one open connection of a store, shared by its parts, so that every use after `close()`
 * fails the same way; and the place every write goes through, so that write transactions are
 * timed (the outermost one, by what it wrote) and store errors counted (each error once).
 */
import type { Database } from "better-sqlite3";
import { StoreClosedError } from "./errors.ts";
import type { StoreMetrics, WriteOperation } from "./metrics.ts";
import { writeError } from "./write-error.ts";

/** Bits of what a transaction wrote, in the order that names its `operation`. */
const KIND_BITS: readonly (readonly [WriteOperation, number])[] = [
  ["snapshots", 1],
  ["helm", 2],
  ["outbox", 4],
  ["kv", 8],
];

function bitOf(kind: WriteOperation): number {
  return KIND_BITS.find(([k]) => k === kind)?.[1] ?? 0;
}

/** Holds the connection until {@link StoreHandle.release}. */
export class StoreHandle {
  #db: Database | undefined;
  /** The `maxSizeBytes` option, for the `LOOKOUT_STORE_FULL` message; undefined when unbounded. */
  readonly maxSizeBytes: number | undefined;
  #metrics: StoreMetrics | undefined;
  /** Nesting of `write`/`transaction` calls; 0 outside any. */
  #depth = 0;
  /** What the outermost transaction has written so far (bits of {@link KIND_BITS}). */
  #kinds = 0;
  #startedAt = 0;
  /** Errors already counted (one passes through a nested write and its transaction). */
  readonly #counted = new WeakSet<object>();

  constructor(db: Database, maxSizeBytes?: number) {
    this.#db = db;
    this.maxSizeBytes = maxSizeBytes;
  }

  /** Where writes are timed and errors counted (set once the store is built). */
  set metrics(metrics: StoreMetrics) {
    this.#metrics = metrics;
  }

  /** The connection; throws {@link StoreClosedError} once released. */
  get db(): Database {
    if (this.#db === undefined) throw new StoreClosedError();
    return this.#db;
  }

  /** Throws {@link StoreClosedError} once released. */
  assertOpen(): void {
    if (this.#db === undefined) throw new StoreClosedError();
  }

  /** True until {@link release}. */
  get open(): boolean {
    return this.#db !== undefined;
  }

  /**
   * Runs one write of a repository (`operation` names it in errors, e.g. `snapshots.put`):
   * throws {@link StoreClosedError} once released; turns what `fn` throws into the store's typed
   * error (see `writeError`) and counts it. Outside a transaction the call is one write
   * transaction, timed as `kind`; inside one it marks the transaction as having written `kind`.
   */
  write<T>(kind: WriteOperation, operation: string, fn: () => T): T {
    const outer = this.#enter(kind);
    try {
      this.assertOpen();
      return fn();
    } catch (err) {
      throw this.countError(writeError(operation, err, this.maxSizeBytes));
    } finally {
      this.#leave(outer);
    }
  }

  /**
   * Runs a caller's transaction body `fn` (which runs SQLite's transaction): the outermost one
   * is timed by what it wrote (nothing written, nothing recorded). Errors pass through `mapError`
   * and, when they are the store's own, are counted once.
   */
  transaction<T>(fn: () => T, mapError: (err: unknown) => unknown): T {
    const outer = this.#enter(undefined);
    try {
      return fn();
    } catch (err) {
      throw this.countError(mapError(err));
    } finally {
      this.#leave(outer);
    }
  }

  /** Counts `err` in `kube_lookout.store.errors` when it carries a `LOOKOUT_STORE_*` code and was not counted yet; returns it. */
  countError(err: unknown): unknown {
    if (
      err instanceof Error &&
      "code" in err &&
      typeof err.code === "string" &&
      err.code.startsWith("LOOKOUT_STORE_") &&
      !this.#counted.has(err)
    ) {
      this.#counted.add(err);
      this.#metrics?.error(err.code);
    }
    return err;
  }

  /** Marks the store closed and hands the connection to the closer (undefined the 2nd time). */
  release(): Database | undefined {
    const db = this.#db;
    this.#db = undefined;
    return db;
  }

  #enter(kind: WriteOperation | undefined): boolean {
    const outer = this.#depth === 0;
    if (outer) {
      this.#kinds = 0;
      this.#startedAt = performance.now();
    }
    if (kind !== undefined) this.#kinds |= bitOf(kind);
    this.#depth++;
    return outer;
  }

  #leave(outer: boolean): void {
    this.#depth--;
    if (!outer || this.#kinds === 0 || this.#metrics === undefined) return;
    const kinds = this.#kinds;
    const operation = KIND_BITS.find(([, bit]) => (kinds & bit) !== 0)?.[0];
    if (operation === undefined) return;
    this.#metrics.transaction(operation, (performance.now() - this.#startedAt) / 1000);
  }
}
