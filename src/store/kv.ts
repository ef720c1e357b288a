/**
 * A small string key/value table for the odd setting that has no table of its own (the
 * deprecation table's hash the findings were computed with, a last-sync marker, …).
 */
import type { Statement } from "better-sqlite3";
import { StoreBadInputError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";

/** String keys to string values, each call its own transaction (or part of `transaction(fn)`). */
export interface KeyValueStore {
  /** The value, or undefined when the key is not set. Throws `LOOKOUT_STORE_CLOSED` after close. */
  get(key: string): string | undefined;
  /**
   * Sets (or replaces) the value. Throws `LOOKOUT_STORE_BAD_INPUT` for a non-string key or value,
   * `LOOKOUT_STORE_FULL` when the size bound or the disk is full, `LOOKOUT_STORE_WRITE_FAILED`
   * when SQLite refuses the write otherwise.
   */
  set(key: string, value: string): void;
  /** Removes the key; true when it was set. */
  delete(key: string): boolean;
}

/** The {@link KeyValueStore} over the `kv` table. */
export class SqliteKeyValueStore implements KeyValueStore {
  readonly #handle: StoreHandle;
  readonly #get: Statement<[string], string>;
  readonly #set: Statement<[string, string]>;
  readonly #delete: Statement<[string]>;

  constructor(handle: StoreHandle) {
    this.#handle = handle;
    const db = handle.db;
    this.#get = db.prepare<[string], string>("SELECT value FROM kv WHERE key = ?").pluck();
    this.#set = db.prepare<[string, string]>(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.#delete = db.prepare<[string]>("DELETE FROM kv WHERE key = ?");
  }

  get(key: string): string | undefined {
    this.#handle.assertOpen();
    checkString("key", key);
    return this.#get.get(key);
  }

  set(key: string, value: string): void {
    this.#handle.write("kv", "kv.set", () => {
      checkString("key", key);
      checkString("value", value);
      this.#set.run(key, value);
    });
  }

  delete(key: string): boolean {
    return this.#handle.write("kv", "kv.delete", () => {
      checkString("key", key);
      return this.#delete.run(key).changes > 0;
    });
  }
}

function checkString(field: string, value: unknown): void {
  if (typeof value !== "string") throw new StoreBadInputError(field, value, "must be a string");
}
