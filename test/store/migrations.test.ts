import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import type { Database } from "better-sqlite3";
import { SCHEMA_VERSION, openStore, type Migration } from "../../src/store/index.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { openStoreWith } from "../../src/store/open-store.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

interface LedgerRow {
  version: number;
  description: string;
  applied_at: number;
}

/** Reads a closed store file directly. */
function inspect(path: string): { version: number; ledger: LedgerRow[]; tables: string[] } {
  const db = new Sqlite(path, { readonly: true });
  try {
    const version = Number(db.pragma("user_version", { simple: true }));
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    const ledger = tables.includes("store_migrations")
      ? db.prepare<[], LedgerRow>("SELECT * FROM store_migrations ORDER BY version").all()
      : [];
    return { version, ledger, tables };
  } finally {
    db.close();
  }
}

void test("an empty file migrates to the latest version, each migration once", (t) => {
  const path = join(tempDir(t), "s.db");
  writeFileSync(path, "");
  const first = openStore({ path, now: () => 111 });
  assert.equal(first.schemaVersion, SCHEMA_VERSION);
  assert.equal(first.recovered, false);
  first.close();
  const a = inspect(path);
  assert.equal(a.version, SCHEMA_VERSION);
  assert.deepEqual(
    a.ledger,
    MIGRATIONS.map((m) => ({ version: m.version, description: m.description, applied_at: 111 })),
  );
  for (const table of ["kv", "helm_releases", "helm_findings"]) assert.ok(a.tables.includes(table));
  const second = openStore({ path, now: () => 222 });
  second.close();
  assert.deepEqual(inspect(path).ledger, a.ledger);
});

void test("a version-0 file with data keeps it: its kv rows and foreign tables survive", (t) => {
  const path = join(tempDir(t), "s.db");
  const raw = new Sqlite(path);
  raw.exec(`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO kv VALUES ('cluster', 'prod-1');
    CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hello');`);
  raw.close();
  const store = openStore({ path });
  t.after(() => store.close());
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  assert.equal(store.kv.get("cluster"), "prod-1");
  store.kv.set("cluster", "prod-2");
  assert.equal(store.helm.releaseCount(), 0);
  store.close();
  const db = new Sqlite(path, { readonly: true });
  t.after(() => db.close());
  assert.deepEqual(db.prepare("SELECT x FROM notes").pluck().all(), ["hello"]);
  assert.equal(db.prepare("SELECT value FROM kv WHERE key = 'cluster'").pluck().get(), "prod-2");
});

void test("a later migration runs once on a file made by an older list", (t) => {
  const path = join(tempDir(t), "s.db");
  openStore({ path }).close();
  assert.equal(inspect(path).version, SCHEMA_VERSION);
  let runs = 0;
  const next = SCHEMA_VERSION + 1;
  const longer: Migration[] = [
    ...MIGRATIONS,
    {
      version: next,
      description: "test: notes table",
      up(db: Database) {
        runs++;
        db.exec("CREATE TABLE notes (x TEXT NOT NULL) STRICT");
      },
    },
  ];
  const store = openStoreWith({ path }, longer);
  assert.equal(store.schemaVersion, next);
  store.close();
  openStoreWith({ path }, longer).close();
  assert.equal(runs, 1);
  const after2 = inspect(path);
  assert.equal(after2.version, next);
  assert.deepEqual(
    after2.ledger.map((r) => r.version),
    longer.map((m) => m.version),
  );
  assert.ok(after2.tables.includes("notes"));
});

void test("a failing migration rolls back whole and leaves the file at the version before", (t) => {
  const path = join(tempDir(t), "s.db");
  openStore({ path }).close();
  const next = SCHEMA_VERSION + 1;
  const failing: Migration[] = [
    ...MIGRATIONS,
    {
      version: next,
      description: "test: half done, then fails",
      up(db: Database) {
        db.exec("CREATE TABLE half (x TEXT)");
        db.exec("INSERT INTO no_such_table VALUES (1)");
      },
    },
  ];
  assert.throws(
    () => openStoreWith({ path }, failing),
    (err: unknown) =>
      codeOf(err) === "LOOKOUT_STORE_MIGRATION_FAILED" &&
      err instanceof Error &&
      "version" in err &&
      err.version === next &&
      err.cause instanceof Error,
  );
  const state = inspect(path);
  assert.equal(state.version, SCHEMA_VERSION);
  assert.equal(state.tables.includes("half"), false);
  assert.deepEqual(
    state.ledger.map((r) => r.version),
    MIGRATIONS.map((m) => m.version),
  );
  openStore({ path }).close(); // the failed open released its lock
});

void test("a migration list that is not 1, 2, 3, ... is a programming error", (t) => {
  const path = join(tempDir(t), "s.db");
  const gap: Migration[] = [{ version: 2, description: "gap", up() {} }];
  assert.throws(() => openStoreWith({ path }, gap), TypeError);
});

void test("a file newer than the code is LOOKOUT_STORE_TOO_NEW and left untouched", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "s.db");
  const raw = new Sqlite(path);
  raw.exec("CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('v9 data')");
  raw.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
  raw.close();
  const hash = (): string => createHash("sha256").update(readFileSync(path)).digest("hex");
  const before = { hash: hash(), mtime: statSync(path).mtimeMs, files: readdirSync(dir) };
  assert.throws(
    () => openStore({ path }),
    (err: unknown) =>
      withCode("LOOKOUT_STORE_TOO_NEW")(err) &&
      err instanceof Error &&
      "path" in err &&
      err.path === path &&
      "fileVersion" in err &&
      err.fileVersion === SCHEMA_VERSION + 7 &&
      "knownVersion" in err &&
      err.knownVersion === SCHEMA_VERSION,
  );
  assert.equal(hash(), before.hash);
  assert.equal(statSync(path).mtimeMs, before.mtime);
  assert.deepEqual(readdirSync(dir), before.files);
  assert.equal(inspect(path).version, SCHEMA_VERSION + 7);
});
