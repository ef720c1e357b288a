/**
 * The one open connection of a store, shared by its parts, so that every use after `close()`
 * fails the same way; and the place every write goes through, so that write transactions are
 * timed (the outermost one, by what it wrote), store errors counted (each error once), and
 * in-memory state derived from writes (the snapshot counts) changed only by what commits.
 */
import type { Database } from "better-sqlite3";
import { StoreClosedError } from "./errors.ts";
import type { StoreMetrics, WriteOperation } from "./metrics.ts";
import type { StoreSynchronous } from "./options.ts";
import type { WalSync } from "./wal-sync.ts";
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
  /** The connection's `synchronous` setting. */
  readonly synchronous: StoreSynchronous;
  /** Syncs the WAL off the thread; undefined for an in-memory database. */
  readonly walSync: WalSync | undefined;
  #metrics: StoreMetrics | undefined;
  /** Nesting of `write`/`transaction` calls; 0 outside any. */
  #depth = 0;
  /** What the outermost transaction has written so far (bits of {@link KIND_BITS}). */
  #kinds = 0;
  #startedAt = 0;
  /** Errors already counted (one passes through a nested write and its transaction). */
  readonly #counted = new WeakSet<object>();
  /**
   * Actions to run when what was written commits, one list per open `write`/`transaction`
   * level: a level that returns hands its list to the level around it (the outermost runs it),
   * a level that throws drops its list, as SQLite rolls the level back (a nested transaction
   * is a savepoint; a failed statement rolls back itself).
   */
  readonly #afterCommit: (() => void)[][] = [];

  constructor(
    db: Database,
    maxSizeBytes: number | undefined,
    durability: { synchronous: StoreSynchronous; walSync: WalSync | undefined },
  ) {
    this.#db = db;
    this.maxSizeBytes = maxSizeBytes;
    this.synchronous = durability.synchronous;
    this.walSync = durability.walSync;
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
    let ok = false;
    try {
      this.assertOpen();
      const result = fn();
      ok = true;
      return result;
    } catch (err) {
      throw this.countError(writeError(operation, err, this.maxSizeBytes));
    } finally {
      this.#leave(outer, ok);
    }
  }

  /**
   * Runs a caller's transaction body `fn` (which runs SQLite's transaction): the outermost one
   * is timed by what it wrote (nothing written, nothing recorded). Errors pass through `mapError`
   * and, when they are the store's own, are counted once.
   */
  transaction<T>(fn: () => T, mapError: (err: unknown) => unknown): T {
    const outer = this.#enter(undefined);
    let ok = false;
    try {
      const result = fn();
      ok = true;
      return result;
    } catch (err) {
      throw this.countError(mapError(err));
    } finally {
      this.#leave(outer, ok);
    }
  }

  /**
   * Runs `action` once the current write commits: at once when no SQLite transaction is open,
   * else at the end of the outermost `write` or `transaction` if every level around it returns;
   * never if one of them throws. Only inside
   * {@link write}/{@link transaction}, after the write's statement succeeded.
   */
  afterCommit(action: () => void): void {
    const level = this.#afterCommit.at(-1);
    if (level === undefined) throw new Error("afterCommit outside a write");
    // No SQLite transaction open: the statement committed on its own (also after SQLite rolled
    // a whole transaction back on SQLITE_FULL and the caller's body went on writing).
    if (this.#db?.inTransaction !== true) action();
    else level.push(action);
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
    this.#afterCommit.push([]);
    return outer;
  }

  #leave(outer: boolean, ok: boolean): void {
    this.#depth--;
    const actions = this.#afterCommit.pop() ?? [];
    if (ok) {
      // Committed when no SQLite transaction is open any more (the outermost level, or a level
      // whose transaction was the outermost after SQLite rolled back the one around it).
      const parent = this.#afterCommit.at(-1);
      if (parent !== undefined && this.#db?.inTransaction === true) parent.push(...actions);
      else for (const action of actions) action();
    }
    if (!outer || this.#kinds === 0 || this.#metrics === undefined) return;
    const kinds = this.#kinds;
    const operation = KIND_BITS.find(([, bit]) => (kinds & bit) !== 0)?.[0];
    if (operation === undefined) return;
    this.#metrics.transaction(operation, (performance.now() - this.#startedAt) / 1000);
  }
}
