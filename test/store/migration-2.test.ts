import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import type { Database } from "better-sqlite3";
import type { HelmFinding } from "../../src/helm/index.ts";
import { silentLogger } from "../../src/logging/index.ts";
import { SCHEMA_VERSION, openStore, type StoredRelease } from "../../src/store/index.ts";
import { encodeObjects } from "../../src/store/helm-json.ts";
import { migrate } from "../../src/store/migrate.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { openStoreWith } from "../../src/store/open-store.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { findingsOf, release, tempDir } from "./support.ts";

after(assertNoActiveHandles);

/** The version-1 statements, as the version-1 code wrote rows. */
const V1_INSERT_RELEASE = `INSERT INTO helm_releases (namespace, release, revision, payload_hash,
    driver, storage_name, storage_uid, storage_resource_version, chart, chart_version,
    app_version, status, scanned_at, objects, errors, findings_computed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const V1_INSERT_FINDING = `INSERT INTO helm_findings (namespace, release, revision, payload_hash,
    source, object_namespace, kind, api_version, name, component, target, ordinal, status,
    deprecated_in, removed_in, replacement_api, minors_until_removal, computed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Writes a release and its findings the way version 1 did, findings rows in `order`. */
function writeV1(
  db: Database,
  r: StoredRelease,
  findings: readonly HelmFinding[],
  computedAt: number,
  order: readonly number[] = findings.map((_, j) => j),
): void {
  db.prepare(V1_INSERT_RELEASE).run(
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
    computedAt,
  );
  for (const j of order) {
    const f = findings[j]!;
    db.prepare(V1_INSERT_FINDING).run(
      r.namespace,
      r.release,
      r.revision,
      r.payloadHash,
      f.source,
      f.objectNamespace,
      f.kind,
      f.apiVersion,
      f.name,
      f.component,
      f.target,
      // Gaps, as a version-1 write of duplicates left them.
      j * 3,
      f.status,
      f.deprecatedIn,
      f.removedIn,
      f.replacementApi,
      f.minorsUntilRemoval,
      computedAt,
    );
  }
}

function columns(db: Database, table: string): string[] {
  return db
    .prepare<[string], string>("SELECT name FROM pragma_table_info(?) ORDER BY cid")
    .pluck()
    .all(table);
}

void test("migration 1 to 2 converts stored findings to one row per release", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "v1.db");
  const withNulls = release("ns", "nulls", 2, 4);
  // Stored lengths 8, 9, 10, 11, 12 (inner nulls kept) and 12.
  const nullFindings: HelmFinding[] = [];
  for (const [j, f] of findingsOf(withNulls, ["v1.22.0", "v1.25.0", "v1.29.0"]).entries()) {
    nullFindings.push({
      ...f,
      deprecatedIn: j === 1 || j === 5 ? f.deprecatedIn : null,
      removedIn: j === 2 || j === 5 ? f.removedIn : null,
      replacementApi: j === 3 || j === 5 ? f.replacementApi : null,
      minorsUntilRemoval: j === 4 ? 0 : j === 5 ? -1 : null,
      status: j === 0 ? "deprecated" : "removed",
    });
  }
  const many = release("other", "many", 7, 12);
  const none = release("ns", "empty", 1, 3);
  const cases = [
    { r: many, findings: findingsOf(many, ["v1.22.0", "v1.25.0", "v1.29.0"]), computedAt: 11 },
    { r: withNulls, findings: nullFindings, computedAt: 12 },
    { r: none, findings: [], computedAt: 13 },
  ];
  const raw = new Sqlite(path);
  migrate(raw, MIGRATIONS.slice(0, 1), { path, logger: silentLogger, now: () => 1 });
  raw.transaction(() => {
    for (const c of cases) {
      // Rows inserted in reverse: the conversion orders by ordinal, not by insertion.
      writeV1(raw, c.r, c.findings, c.computedAt, c.findings.map((_, j) => j).reverse());
    }
  })();
  assert.equal(
    raw.prepare("SELECT count(*) FROM helm_findings").pluck().get(),
    cases.reduce((n, c) => n + c.findings.length, 0),
  );
  raw.close();

  const store = openStore({ path });
  t.after(() => store.close());
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  const sorted = [...cases].sort((a, b) =>
    `${a.r.namespace}/${a.r.release}` < `${b.r.namespace}/${b.r.release}` ? -1 : 1,
  );
  assert.deepEqual(
    store.helm.loadReleases(),
    sorted.map((c) => c.r),
  );
  assert.deepEqual(
    store.helm.loadFindings(),
    sorted.map((c) => ({
      namespace: c.r.namespace,
      release: c.r.release,
      revision: c.r.revision,
      payloadHash: c.r.payloadHash,
      computedAt: c.computedAt,
      findings: c.findings,
    })),
  );
  store.close();

  // The converted text is exactly what version 2 writes for the same findings.
  const fresh = join(dir, "v2.db");
  const v2 = openStore({ path: fresh });
  t.after(() => v2.close());
  v2.helm.apply({
    upsert: cases.map((c) => ({ release: c.r, findings: c.findings, computedAt: c.computedAt })),
  });
  v2.close();
  const migrated = new Sqlite(path, { readonly: true });
  t.after(() => migrated.close());
  const written = new Sqlite(fresh, { readonly: true });
  t.after(() => written.close());
  const all = "SELECT * FROM helm_findings ORDER BY namespace, release";
  assert.deepEqual(migrated.prepare(all).all(), written.prepare(all).all());
  assert.deepEqual(columns(migrated, "helm_findings"), [
    "namespace",
    "release",
    "revision",
    "payload_hash",
    "findings",
    "computed_at",
  ]);
  assert.deepEqual(columns(migrated, "helm_releases"), columns(written, "helm_releases"));
  assert.equal(columns(migrated, "helm_releases").includes("findings_computed_at"), false);
  assert.equal(
    migrated.prepare("SELECT sql FROM sqlite_schema WHERE name = 'helm_findings'").pluck().get(),
    written.prepare("SELECT sql FROM sqlite_schema WHERE name = 'helm_findings'").pluck().get(),
  );
  assert.deepEqual(migrated.pragma("foreign_key_check"), []);
  assert.deepEqual(
    migrated.prepare("SELECT version FROM store_migrations ORDER BY version").pluck().all(),
    MIGRATIONS.map((m) => m.version),
  );
});

void test("a migrated file keeps the cascade: deleting a release deletes its findings row", (t) => {
  const path = join(tempDir(t), "v1.db");
  const a = release("ns", "a", 1, 4);
  const raw = new Sqlite(path);
  migrate(raw, MIGRATIONS.slice(0, 1), { path, logger: silentLogger, now: () => 1 });
  writeV1(raw, a, findingsOf(a), 5);
  raw.close();
  const store = openStore({ path });
  t.after(() => store.close());
  store.helm.apply({ delete: [{ namespace: "ns", release: "a" }] });
  assert.deepEqual(store.helm.loadFindings(), []);
  store.close();
  const db = new Sqlite(path, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.prepare("SELECT count(*) FROM helm_findings").pluck().get(), 0);
});

void test("opening with a migration list older than the code fails and releases the lock", (t) => {
  const path = join(tempDir(t), "s.db");
  assert.throws(() => openStoreWith({ path }, MIGRATIONS.slice(0, 1)));
  openStore({ path, busyTimeoutMs: 0 }).close();
});
