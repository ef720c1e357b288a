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

void test("a version-2 file migrates to 3 and 4, keeping its Helm data and kv", (t) => {
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
  assert.equal(store.schemaVersion, 4);
  assert.equal(SCHEMA_VERSION, 4);
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
      { version: 4, applied_at: 2 },
    ],
  );
  const names = db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type IN ('table', 'trigger')")
    .pluck()
    .all();
  for (const name of ["snapshots", "outbox", "outbox_stats"]) {
    assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
  }
  assert.ok(!names.some((n) => n.startsWith("outbox_stats_")), `no triggers: ${names.join(", ")}`);
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

void test("a version-3 file with a backlog migrates to 4: counters kept, then kept by the statements", (t) => {
  const path = join(tempDir(t), "v3.db");
  const raw = new Sqlite(path);
  raw.pragma("journal_mode = WAL");
  migrate(raw, MIGRATIONS.slice(0, 3), { path, logger: silentLogger, now: () => 1 });
  // Rows as the version-3 code wrote them: its triggers count them.
  const insert = raw.prepare(
    `INSERT INTO outbox (subject, msg_id, order_key, headers, body, observed_at)
      VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (const n of [1, 2, 3, 4, 5]) {
    const e = outboxEvent(n);
    insert.run(e.subject, e.msgId, e.orderKey, JSON.stringify(e.headers), e.body, e.observedAt);
  }
  raw.prepare("DELETE FROM outbox WHERE id = 2").run();
  const before = raw
    .prepare<[], { rows: number; bytes: number }>("SELECT rows, bytes FROM outbox_stats")
    .get();
  assert.equal(before?.rows, 4);
  raw.close();
  const ids = [1, 2, 3, 4, 5];

  const store = openStore({ path });
  t.after(() => store.close());
  assert.equal(store.schemaVersion, 4);
  assert.deepEqual(store.outbox.stats(), {
    ...before,
    oldestObservedAt: outboxEvent(1).observedAt,
  });
  // From now on the outbox's statements count: appends, acks in and out of order, a drop.
  const more = store.outbox.append([6, 7].map(outboxEvent));
  store.outbox.ack([ids[4]!, ids[0]!, more[0]!, ids[0]!]);
  store.outbox.dropOldest(1);
  const stats = store.outbox.stats();
  assert.equal(stats.rows, 2);
  store.close();
  const recount = new Sqlite(path, { readonly: true, fileMustExist: true });
  t.after(() => recount.close());
  const row = recount
    .prepare<[], { rows: number; bytes: number }>(
      `SELECT count(*) AS rows,
          coalesce(sum(length(body) + octet_length(headers) + octet_length(subject)), 0) AS bytes
        FROM outbox`,
    )
    .get();
  assert.deepEqual({ rows: stats.rows, bytes: stats.bytes }, row);
});
