/**
 * Applies forward migrations: each pending one in its own transaction, which also records it in
 * `store_migrations` and sets `PRAGMA user_version`, so a crash leaves the file at a whole
 * version.
 */
import type { Database } from "better-sqlite3";
import type { Logger } from "../logging/index.ts";
import { StoreMigrationFailedError } from "./errors.ts";
import type { Migration } from "./migrations.ts";

const LEDGER = `
CREATE TABLE IF NOT EXISTS store_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT;
`;

/** Reads `PRAGMA user_version`. */
export function userVersion(db: Database): number {
  const v: unknown = db.pragma("user_version", { simple: true });
  if (typeof v !== "number") throw new TypeError(`PRAGMA user_version gave ${String(v)}`);
  return v;
}

/**
 * Throws a TypeError unless the versions are 1, 2, 3, … in order (a programming error).
 */
export function checkMigrationList(migrations: readonly Migration[]): void {
  for (const [i, m] of migrations.entries()) {
    if (m.version !== i + 1) {
      throw new TypeError(`migration ${i} has version ${m.version}, expected ${i + 1}`);
    }
  }
}

/**
 * Applies every migration newer than the file's version, in order, and returns the versions
 * applied. The caller has checked that the file is not newer than the list. Throws
 * {@link StoreMigrationFailedError} (with the SQLite error as `cause`) when one fails; the
 * versions before it stay applied.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[],
  context: { readonly path: string; readonly logger: Logger; readonly now: () => number },
): number[] {
  const applied: number[] = [];
  const from = userVersion(db);
  for (const m of migrations) {
    if (m.version <= from) continue;
    const step = db.transaction(() => {
      m.up(db);
      db.exec(LEDGER);
      db.prepare(
        "INSERT INTO store_migrations (version, description, applied_at) VALUES (?, ?, ?)",
      ).run(m.version, m.description, context.now());
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (err) {
      throw new StoreMigrationFailedError(context.path, m.version, m.description, err);
    }
    context.logger.info("store migrated", {
      path: context.path,
      version: m.version,
      description: m.description,
    });
    applied.push(m.version);
  }
  return applied;
}
