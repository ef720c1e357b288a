/**
 * The store's schema as a list of forward migrations. `PRAGMA user_version` holds the version of
 * the last one applied; each runs in its own transaction (see `migrate.ts`). Append only: a
 * released migration is never edited, a change is a new migration with the next version.
 */
import type { Database } from "better-sqlite3";

/** One forward schema step. */
export interface Migration {
  /** The `user_version` after this step: 1 for the first, then consecutive. */
  readonly version: number;
  /** One line saying what the step adds; recorded in `store_migrations`. */
  readonly description: string;
  /** Applies the step. Runs inside a transaction; throwing rolls it back. */
  up(db: Database): void;
}

const V1_KV = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`;

const V1_HELM = `
CREATE TABLE helm_releases (
  namespace TEXT NOT NULL,
  release TEXT NOT NULL,
  revision INTEGER NOT NULL,
  payload_hash TEXT NOT NULL,
  driver TEXT NOT NULL CHECK (driver IN ('secret', 'configmap')),
  storage_name TEXT NOT NULL,
  storage_uid TEXT NOT NULL,
  storage_resource_version TEXT NOT NULL,
  chart TEXT NOT NULL,
  chart_version TEXT NOT NULL,
  app_version TEXT,
  status TEXT NOT NULL,
  scanned_at INTEGER NOT NULL,
  objects TEXT NOT NULL,
  errors TEXT NOT NULL,
  findings_computed_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, release),
  UNIQUE (namespace, release, revision, payload_hash)
) STRICT;

CREATE TABLE helm_findings (
  namespace TEXT NOT NULL,
  release TEXT NOT NULL,
  revision INTEGER NOT NULL,
  payload_hash TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('manifest', 'hook')),
  object_namespace TEXT NOT NULL,
  kind TEXT NOT NULL,
  api_version TEXT NOT NULL,
  name TEXT NOT NULL,
  component TEXT NOT NULL,
  target TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('deprecated', 'removed')),
  deprecated_in TEXT,
  removed_in TEXT,
  replacement_api TEXT,
  minors_until_removal INTEGER,
  computed_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, release, revision, payload_hash,
               source, object_namespace, kind, api_version, name, component, target),
  FOREIGN KEY (namespace, release, revision, payload_hash)
    REFERENCES helm_releases (namespace, release, revision, payload_hash) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
`;

/**
 * Version 2: `helm_findings` holds one row per release instead of one per finding (the write
 * cost was per row), the findings as one compact JSON array (see `helm-findings-json.ts`), and
 * `computed_at` moves there from `helm_releases`, so replacing findings leaves the release row
 * alone. Every release gets a row, `[]` when it has no findings. The array is built here in SQL
 * in the version-2 format, so this step does not change when the code's encoder does.
 */
const V2_HELM_FINDINGS = `
CREATE TABLE helm_findings_v2 (
  namespace TEXT NOT NULL,
  release TEXT NOT NULL,
  revision INTEGER NOT NULL,
  payload_hash TEXT NOT NULL,
  findings TEXT NOT NULL,
  computed_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, release, revision, payload_hash),
  FOREIGN KEY (namespace, release, revision, payload_hash)
    REFERENCES helm_releases (namespace, release, revision, payload_hash) ON DELETE CASCADE
) STRICT;

INSERT INTO helm_findings_v2 (namespace, release, revision, payload_hash, findings, computed_at)
SELECT r.namespace, r.release, r.revision, r.payload_hash,
  (SELECT json_group_array(
      CASE
        WHEN f.minors_until_removal IS NOT NULL THEN json_array(f.api_version, f.kind, f.name,
          f.object_namespace, f.source, f.component, f.target, f.status, f.deprecated_in,
          f.removed_in, f.replacement_api, f.minors_until_removal)
        WHEN f.replacement_api IS NOT NULL THEN json_array(f.api_version, f.kind, f.name,
          f.object_namespace, f.source, f.component, f.target, f.status, f.deprecated_in,
          f.removed_in, f.replacement_api)
        WHEN f.removed_in IS NOT NULL THEN json_array(f.api_version, f.kind, f.name,
          f.object_namespace, f.source, f.component, f.target, f.status, f.deprecated_in,
          f.removed_in)
        WHEN f.deprecated_in IS NOT NULL THEN json_array(f.api_version, f.kind, f.name,
          f.object_namespace, f.source, f.component, f.target, f.status, f.deprecated_in)
        ELSE json_array(f.api_version, f.kind, f.name, f.object_namespace, f.source,
          f.component, f.target, f.status)
      END ORDER BY f.ordinal)
    FROM helm_findings f
    WHERE f.namespace = r.namespace AND f.release = r.release AND f.revision = r.revision
      AND f.payload_hash = r.payload_hash),
  r.findings_computed_at
FROM helm_releases r;

DROP TABLE helm_findings;
ALTER TABLE helm_findings_v2 RENAME TO helm_findings;
ALTER TABLE helm_releases DROP COLUMN findings_computed_at;
`;

/**
 * Version 3: object snapshots (the last transformed state of each watched object, keyed by a
 * caller-chosen resource string, namespace "" when cluster-scoped) and the event outbox.
 * `outbox` is AUTOINCREMENT so an id is never handed out twice, even after the newest rows are
 * deleted (the relay remembers the last id it read). `outbox_stats` holds the outbox's row and
 * byte counts, kept by triggers, so they roll back with the write and are read in O(1); bytes
 * are `length(body) + octet_length(headers) + octet_length(subject)`.
 */
const V3_SNAPSHOTS_OUTBOX = `
CREATE TABLE snapshots (
  resource TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  uid TEXT NOT NULL,
  resource_version TEXT NOT NULL,
  hash TEXT NOT NULL,
  object TEXT NOT NULL,
  PRIMARY KEY (resource, namespace, name)
) STRICT;

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  order_key TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  observed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox_stats (
  singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 0),
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;

INSERT INTO outbox_stats (singleton, rows, bytes) VALUES (0, 0, 0);

CREATE TRIGGER outbox_stats_insert AFTER INSERT ON outbox BEGIN
  UPDATE outbox_stats
    SET rows = rows + 1,
      bytes = bytes + length(NEW.body) + octet_length(NEW.headers) + octet_length(NEW.subject)
    WHERE singleton = 0;
END;

CREATE TRIGGER outbox_stats_delete AFTER DELETE ON outbox BEGIN
  UPDATE outbox_stats
    SET rows = rows - 1,
      bytes = bytes - length(OLD.body) - octet_length(OLD.headers) - octet_length(OLD.subject)
    WHERE singleton = 0;
END;
`;

/**
 * Version 4: `outbox_stats` is kept by the outbox's own statements instead of triggers: one
 * counter update per appended batch and per deleted range, in the same transaction as the rows
 * (so the counters still commit and roll back with them). The per-row triggers cost ~30 µs per
 * event on a file (the delete trigger reads each row's lengths once more): docs/store.md.
 */
const V4_OUTBOX_STATS_BY_STATEMENT = `
DROP TRIGGER outbox_stats_insert;
DROP TRIGGER outbox_stats_delete;
`;

/**
 * The built-in migrations, in order. Version 1: the key/value table (kept if a pre-versioning
 * file already has one) and the Helm checker's `helm_releases` and `helm_findings` (one row per
 * finding). Version 2: `helm_findings` one row per release (see {@link V2_HELM_FINDINGS}).
 * Version 3: `snapshots`, `outbox` and `outbox_stats` (see {@link V3_SNAPSHOTS_OUTBOX}).
 * Version 4: no counter triggers (see {@link V4_OUTBOX_STATS_BY_STATEMENT}).
 */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: "kv table; helm_releases and helm_findings",
    up(db: Database): void {
      db.exec(V1_KV);
      db.exec(V1_HELM);
    },
  },
  {
    version: 2,
    description: "helm_findings: one row per release, findings as a JSON array",
    up(db: Database): void {
      db.exec(V2_HELM_FINDINGS);
    },
  },
  {
    version: 3,
    description: "snapshots; outbox with outbox_stats kept by triggers",
    up(db: Database): void {
      db.exec(V3_SNAPSHOTS_OUTBOX);
    },
  },
  {
    version: 4,
    description: "outbox_stats kept by the outbox's statements, not triggers",
    up(db: Database): void {
      db.exec(V4_OUTBOX_STATS_BY_STATEMENT);
    },
  },
]);

/** The schema version this code creates and understands: the last migration's version. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
