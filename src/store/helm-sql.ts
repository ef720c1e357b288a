/**
 * The SQL of the Helm repository and the row shapes it reads. The tables are `STRICT` and the
 * CHECK constraints hold the enumerations, so the row types are what SQLite returns; the JSON
 * columns are text here and decoded by type guards (`helm-json.ts`, `helm-findings-json.ts`).
 */
import type { ReleaseDriver } from "../helm/index.ts";

/** A `helm_releases` row as selected. */
export interface ReleaseRow {
  namespace: string;
  release: string;
  revision: number;
  payloadHash: string;
  driver: ReleaseDriver;
  storageName: string;
  storageUid: string;
  storageResourceVersion: string;
  chart: string;
  chartVersion: string;
  appVersion: string | null;
  status: string;
  scannedAt: number;
  objects: string;
  errors: string;
}

/**
 * A release joined with its `helm_findings` row; `findings` and `computedAt` are null when the
 * row is missing (only a hand-edited file lacks one).
 */
export interface FindingsRow {
  namespace: string;
  release: string;
  revision: number;
  payloadHash: string;
  chart: string;
  chartVersion: string;
  findings: string | null;
  computedAt: number | null;
}

/** What `replaceFindings` needs of a stored release. */
export interface ReleaseKeyRow {
  revision: number;
  payloadHash: string;
  chart: string;
  chartVersion: string;
}

const RELEASE_COLUMNS = `namespace, release, revision, payload_hash AS payloadHash, driver,
  storage_name AS storageName, storage_uid AS storageUid,
  storage_resource_version AS storageResourceVersion, chart, chart_version AS chartVersion,
  app_version AS appVersion, status, scanned_at AS scannedAt, objects, errors`;

/** Positional parameters. */
export type Bind = (string | number | null)[];

/** The statements, prepared once per store. */
export const SQL = {
  count: "SELECT count(*) FROM helm_releases",
  releases: `SELECT ${RELEASE_COLUMNS} FROM helm_releases ORDER BY namespace, release`,
  findings: `SELECT r.namespace, r.release, r.revision, r.payload_hash AS payloadHash, r.chart,
      r.chart_version AS chartVersion, f.findings, f.computed_at AS computedAt
    FROM helm_releases r LEFT JOIN helm_findings f
      ON f.namespace = r.namespace AND f.release = r.release AND f.revision = r.revision
        AND f.payload_hash = r.payload_hash
    ORDER BY r.namespace, r.release`,
  releaseKey: `SELECT revision, payload_hash AS payloadHash, chart, chart_version AS chartVersion
    FROM helm_releases WHERE namespace = ? AND release = ?`,
  deleteRelease: "DELETE FROM helm_releases WHERE namespace = ? AND release = ?",
  insertRelease: `INSERT INTO helm_releases (namespace, release, revision, payload_hash, driver,
      storage_name, storage_uid, storage_resource_version, chart, chart_version, app_version,
      status, scanned_at, objects, errors)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // One row per release: the upsert's release row was just inserted (its old findings row went
  // with the old release row); replaceFindings overwrites the stored one.
  putFindings: `INSERT INTO helm_findings (namespace, release, revision, payload_hash, findings,
      computed_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, release, revision, payload_hash)
      DO UPDATE SET findings = excluded.findings, computed_at = excluded.computed_at`,
} as const;
