/**
 * Opening the state file: lock, version check, integrity check, pragmas, migrations, and
 * moving a corrupt file aside.
 *
 * One writer: the connection sets `PRAGMA locking_mode=EXCLUSIVE` and takes a write
 * transaction before reading anything, so it holds SQLite's exclusive file lock until it
 * closes. A second opener, in this process or another, retries the lock for `busyTimeoutMs`
 * and then fails with `LOOKOUT_STORE_LOCKED`. It retries itself rather than in SQLite's busy
 * handler because the lock is on the file it opened, not on the path: while it waits, the holder
 * may move that file aside as corrupt and create a fresh one at the path; an opener that then
 * took the old file's lock would read and write the fresh file's `-wal` (SQLite finds it by
 * name) as a second writer. So before each try it checks that the path still names the file it
 * opened, and reopens the path when not. Chosen over a pid lock file
 * because the OS drops the lock when the holder dies (no stale lock to judge, and in a
 * container the pid is often 1 in every run), and because it also shuts out any other SQLite
 * writer. In exclusive mode the WAL index lives in heap memory: no `-shm` file is made.
 */
import { accessSync, constants, existsSync, renameSync, statSync, type BigIntStats } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";
import type { Database } from "better-sqlite3";
import {
  StoreLockedError,
  StoreMigrationFailedError,
  StoreOpenFailedError,
  StoreTooNewError,
} from "./errors.ts";
import { SqliteLookoutStore, type LookoutStore } from "./lookout-store.ts";
import { checkMigrationList, migrate, userVersion } from "./migrate.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";
import { resolveStoreOptions, type ResolvedStoreOptions, type StoreOptions } from "./options.ts";

/** The page size of a new file (see docs/store.md, "Page size"). */
const PAGE_SIZE = 16384;

/**
 * Opens (creating if needed) the store at `options.path` and migrates it to the newest schema.
 * Synchronous. Throws:
 * - `LOOKOUT_STORE_INVALID_OPTION` / `LOOKOUT_STORE_MEMORY_REFUSED` before any I/O;
 * - `LOOKOUT_STORE_LOCKED` when another connection holds the file after `busyTimeoutMs`;
 * - `LOOKOUT_STORE_TOO_NEW` when the file's schema is newer than this code (file untouched);
 * - `LOOKOUT_STORE_MIGRATION_FAILED` when a migration throws (rolled back);
 * - `LOOKOUT_STORE_OPEN_FAILED` for a missing directory, permissions or I/O errors.
 * A file that is not a database or fails `PRAGMA integrity_check` is moved aside to
 * `<path>.corrupt-<ms>` (with its `-wal`/`-shm`/`-journal`), logged at warn, and replaced by a
 * fresh one: the store's `recovered` is then true.
 */
export function openStore(options: StoreOptions): LookoutStore {
  return openStoreWith(options, MIGRATIONS);
}

/** {@link openStore} with another migration list (tests of the migration runner). */
export function openStoreWith(
  options: StoreOptions,
  migrations: readonly Migration[],
): LookoutStore {
  const o = resolveStoreOptions(options);
  checkMigrationList(migrations);
  if (o.memory) {
    const db = new Sqlite(":memory:");
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, o);
    return storeOver(db, o, false);
  }
  const first = openFile(o, migrations, true);
  if ("db" in first) return storeOver(first.db, o, false);
  o.logger.warn("store file is corrupt; moved it aside and started a fresh one", {
    path: o.path,
    movedTo: first.movedTo,
    reason: first.corrupt,
  });
  const second = openFile(o, migrations, false);
  if ("db" in second) return storeOver(second.db, o, true);
  throw new StoreOpenFailedError(o.path, "the fresh file is corrupt too", second.corrupt);
}

/**
 * The store over a migrated connection. Preparing its statements fails when the schema is not
 * the one this code writes (only with a shorter migration list, in tests): the connection is
 * closed, releasing the lock, and the SQLite error is thrown.
 */
function storeOver(db: Database, o: ResolvedStoreOptions, recovered: boolean): LookoutStore {
  try {
    if (o.maxSizeBytes !== undefined) boundSize(db, o.maxSizeBytes);
    return new SqliteLookoutStore(db, {
      path: o.path,
      recovered,
      logger: o.logger,
      maxSizeBytes: o.maxSizeBytes,
      meterProvider: o.meterProvider,
      synchronous: o.synchronous,
    });
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Sets `PRAGMA max_page_count` to the bound in whole pages (at least 1). Set after the
 * migrations, so a file can always be opened; SQLite keeps it at least the current page count.
 */
function boundSize(db: Database, maxSizeBytes: number): void {
  const pageSize: unknown = db.pragma("page_size", { simple: true });
  if (typeof pageSize !== "number" || pageSize <= 0) {
    throw new TypeError(`PRAGMA page_size gave ${String(pageSize)}`);
  }
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxSizeBytes / pageSize))}`);
}

type Opened =
  { readonly db: Database } | { readonly corrupt: string; readonly movedTo: string | undefined };

/**
 * One attempt. A corrupt file is renamed (when `recover`) while this connection still holds its
 * lock, so no other opener can slip in between, and before closing, because closing deletes
 * the `-wal` file.
 */
function openFile(
  o: ResolvedStoreOptions,
  migrations: readonly Migration[],
  recover: boolean,
): Opened {
  const deadline = performance.now() + o.busyTimeoutMs;
  for (;;) {
    const opened = openFileOnce(o, migrations, recover, deadline);
    if (opened !== "moved") return opened;
    // The path changes while another opener recovers it; past the wait, it holds the store.
    if (performance.now() >= deadline) throw new StoreLockedError(o.path, o.busyTimeoutMs);
  }
}

/** One open of the path; "moved" when the file opened was replaced at the path before the lock. */
function openFileOnce(
  o: ResolvedStoreOptions,
  migrations: readonly Migration[],
  recover: boolean,
  deadline: number,
): Opened | "moved" {
  let db: Database;
  let file: BigIntStats | undefined;
  try {
    // No busy handler while taking the lock (see lockSameFile); set once it is held.
    db = new Sqlite(o.path, { timeout: 0 });
    file = statSync(o.path, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    throw new StoreOpenFailedError(o.path, "open", err);
  }
  try {
    // Only a new, empty file takes it; an existing file keeps its page size.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma("locking_mode = EXCLUSIVE");
    // Take the lock and look before changing anything: a too-new or corrupt file stays as is.
    if (!lockSameFile(db, o.path, file, deadline)) {
      db.close();
      return "moved";
    }
    db.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
    const version = userVersion(db);
    if (version > migrations.length) {
      throw new StoreTooNewError(o.path, version, migrations.length);
    }
    const problems = integrityCheck(db);
    if (problems !== undefined) return corrupt(db, o, recover, problems);
    db.exec("COMMIT");
    const mode: unknown = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, not wal`);
    db.pragma(`synchronous = ${o.synchronous}`);
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, o);
    return { db };
  } catch (err) {
    const cause = err instanceof StoreMigrationFailedError ? err.cause : err;
    const code = sqliteCode(cause);
    if (code === "SQLITE_NOTADB" || code?.startsWith("SQLITE_CORRUPT") === true) {
      const reason = `${code}: ${cause instanceof Error ? cause.message : String(cause)}`;
      return corrupt(db, o, recover, reason);
    }
    db.close();
    if (err instanceof StoreTooNewError || err instanceof StoreMigrationFailedError) throw err;
    if (code?.startsWith("SQLITE_BUSY") === true || code?.startsWith("SQLITE_LOCKED") === true) {
      throw new StoreLockedError(o.path, o.busyTimeoutMs, { cause: err });
    }
    throw new StoreOpenFailedError(o.path, notWritable(o.path) ?? "setup", err);
  }
}

/**
 * Why the store cannot write, when it cannot: SQLite opens a write-protected file read-only and
 * then fails the lock with "disk I/O error" (`SQLITE_IOERR_LOCK`), or a write with "attempt to
 * write a readonly database" when only the directory (where the `-wal` goes) is read-only.
 */
function notWritable(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return "the file is not writable by this process (its mode or owner, or a read-only file system)";
  }
  const dir = dirname(path);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return `its directory ${dir} is not writable by this process (SQLite creates the -wal file there)`;
  }
  return undefined;
}

/**
 * Begins the exclusive transaction that takes the file's lock, retrying while another connection
 * holds it until `deadline` (then the `SQLITE_BUSY` error is thrown). False, with no lock taken,
 * when the path no longer names `file`, the file `db` opened: it was moved aside (or removed)
 * while this waited. Checked before each try, so the lock of a moved file is never taken (taking
 * it would open the `-wal` of the fresh file at the path), and once more after the lock (a move
 * in the microseconds between the check and the lock).
 */
function lockSameFile(
  db: Database,
  path: string,
  file: BigIntStats | undefined,
  deadline: number,
): boolean {
  let delay = 1;
  for (;;) {
    if (!sameFile(path, file)) return false;
    try {
      db.exec("BEGIN EXCLUSIVE");
      break;
    } catch (err) {
      const left = deadline - performance.now();
      if (sqliteCode(err)?.startsWith("SQLITE_BUSY") !== true || left <= 0) throw err;
      sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 50);
    }
  }
  if (sameFile(path, file)) return true;
  db.exec("ROLLBACK");
  return false;
}

/** True when `path` still names `file` (same device and inode). */
function sameFile(path: string, file: BigIntStats | undefined): boolean {
  const now = statSync(path, { bigint: true, throwIfNoEntry: false });
  return file !== undefined && now !== undefined && now.dev === file.dev && now.ino === file.ino;
}

/** Blocks the thread for `ms` (opening is synchronous, as SQLite's own busy handler is). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Moves the file aside (when `recover`), then closes the connection. */
function corrupt(db: Database, o: ResolvedStoreOptions, recover: boolean, reason: string): Opened {
  try {
    return { corrupt: reason, movedTo: recover ? moveAside(o) : undefined };
  } finally {
    db.close();
  }
}

/**
 * Undefined when `PRAGMA integrity_check` says ok, else its first lines. Not `quick_check`,
 * which does not compare indexes with their tables: a snapshot row missing from its index would
 * be missed by the catch-up's read (announced again as added) and stored a second time. The
 * full check costs about twice as much (100,000 snapshots, 145 MiB: 135 ms against 66 ms).
 */
function integrityCheck(db: Database): string | undefined {
  const rows: unknown = db.pragma("integrity_check(20)", { simple: false });
  const lines = Array.isArray(rows)
    ? rows.map((r: unknown) =>
        typeof r === "object" && r !== null && "integrity_check" in r
          ? String(r.integrity_check)
          : String(r),
      )
    : [String(rows)];
  return lines.length === 1 && lines[0] === "ok" ? undefined : lines.join("; ");
}

function sqliteCode(err: unknown): string | undefined {
  if (err instanceof Error && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** Renames the file and its companions to `<path>.corrupt-<ms>[-n]`; returns the new path. */
function moveAside(o: ResolvedStoreOptions): string {
  const stamp = o.now();
  let target = `${o.path}.corrupt-${stamp}`;
  for (let n = 1; existsSync(target); n++) target = `${o.path}.corrupt-${stamp}-${n}`;
  try {
    renameSync(o.path, target);
    for (const suffix of ["-wal", "-shm", "-journal"]) {
      if (existsSync(o.path + suffix)) renameSync(o.path + suffix, target + suffix);
    }
  } catch (err) {
    throw new StoreOpenFailedError(o.path, `moving the corrupt file to ${target}`, err);
  }
  return target;
}
