/**
 * The one open connection of a store, shared by its parts, so that every use after `close()`
 * fails the same way.
 */
import type { Database } from "better-sqlite3";
import { StoreClosedError } from "./errors.ts";

/** Holds the connection until {@link StoreHandle.release}. */
export class StoreHandle {
  #db: Database | undefined;
  /** The `maxSizeBytes` option, for the `LOOKOUT_STORE_FULL` message; undefined when unbounded. */
  readonly maxSizeBytes: number | undefined;

  constructor(db: Database, maxSizeBytes?: number) {
    this.#db = db;
    this.maxSizeBytes = maxSizeBytes;
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

  /** Marks the store closed and hands the connection to the closer (undefined the 2nd time). */
  release(): Database | undefined {
    const db = this.#db;
    this.#db = undefined;
    return db;
  }
}
