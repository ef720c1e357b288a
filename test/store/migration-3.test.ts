import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import { silentLogger } from "../../src/logging/index.ts";
import { SCHEMA_VERSION, openStore } from "../../src/store/index.ts";
import { encodeFindings } from "../../src/store/helm-findings-json.ts";
import { encodeObjects } from "../../src/store/helm-json.ts";
import { SQL } from "../../src/store/helm-sql.ts";
import { migrate } from "../../src/store/migrate.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { findingsOf, outboxEvent, release, snapshotRow, tempDir } from "./support.ts";

after(assertNoActiveHandles);

void test("a version-2 file migrates to 3, keeping its Helm data and kv", (t) => {
  const path = join(tempDir(t), "v2.db");
  const a = release("ns", "a", 3, 4);
  const b = release("other", "b", 1, 2);
  const raw = new Sqlite(path);
  // A file as the version-2 code made it: default 4 KiB pages, WAL.
  raw.pragma("journal_mode = WAL");
  migrate(raw, MIGRATIONS.slice(0, 2), { path, logger: silentLogger, now: () => 1 });
  raw.transaction(() => {
    for (const r of [a, b]) {
      raw
        .prepare(SQL.insertRelease)
        .run(
          r.namespace,
          r.release,
          r.revision,
          r.payloadHash,
          r.driver,
          r.storageName,
          r.storageUid,
          r.storageResourceVersion,
          r.chart,
          r.chartVersion,
          r.appVersion ?? null,
          r.status,
          r.scannedAt,
          encodeObjects(r.objects),
          JSON.stringify(r.errors),
        );
      raw
        .prepare(SQL.putFindings)
        .run(
          r.namespace,
          r.release,
          r.revision,
          r.payloadHash,
          encodeFindings("f", r, findingsOf(r)),
          9,
        );
    }
    raw.prepare("INSERT INTO kv (key, value) VALUES ('helm.scanFilter', 'x')").run();
  })();
  assert.equal(raw.pragma("user_version", { simple: true }), 2);
  raw.close();

  const store = openStore({ path, now: () => 2 });
  t.after(() => store.close());
  assert.equal(store.schemaVersion, 3);
  assert.equal(SCHEMA_VERSION, 3);
  assert.deepEqual(store.helm.loadReleases(), [a, b]);
  assert.deepEqual(
    store.helm.loadFindings().map((f) => [f.release, f.findings]),
    [
      ["a", findingsOf(a)],
      ["b", findingsOf(b)],
    ],
  );
  assert.equal(store.helm.getMeta("scanFilter"), "x");
  // The new tables work in the migrated (4 KiB page) file.
  assert.deepEqual(store.outbox.stats(), { rows: 0, bytes: 0, oldestObservedAt: undefined });
  store.snapshots.put(snapshotRow(1));
  const ids = store.outbox.append([outboxEvent(1)]);
  store.close();

  const db = new Sqlite(path, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma("page_size", { simple: true }), 4096);
  assert.deepEqual(
    db.prepare("SELECT version, applied_at FROM store_migrations ORDER BY version").all(),
    [
      { version: 1, applied_at: 1 },
      { version: 2, applied_at: 1 },
      { version: 3, applied_at: 2 },
    ],
  );
  const names = db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type IN ('table', 'trigger')")
    .pluck()
    .all();
  for (const name of [
    "snapshots",
    "outbox",
    "outbox_stats",
    "outbox_stats_insert",
    "outbox_stats_delete",
  ]) {
    assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
  }
  assert.deepEqual(db.prepare("SELECT id FROM outbox").pluck().all(), ids);
  assert.deepEqual(db.pragma("integrity_check"), [{ integrity_check: "ok" }]);
});

void test("a new file gets 16 KiB pages; the schema is STRICT", (t) => {
  const path = join(tempDir(t), "s.db");
  openStore({ path }).close();
  const db = new Sqlite(path, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma("page_size", { simple: true }), 16384);
  const strict = db
    .prepare<[], string>("SELECT name FROM pragma_table_list WHERE strict = 1 ORDER BY name")
    .pluck()
    .all();
  for (const name of ["outbox", "outbox_stats", "snapshots"]) assert.ok(strict.includes(name));
});
