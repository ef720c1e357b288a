/**
 * The SQL of the Helm repository and the row shapes it reads. The tables are `STRICT` and the
 * CHECK constraints hold the enumerations, so the row types are what SQLite returns.
 */
import type { ManifestSource, ReleaseDriver } from "../helm/index.ts";

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
  computedAt: number;
}

/** A `helm_findings` row as selected (chart fields come from the release). */
export interface FindingRow {
  namespace: string;
  release: string;
  source: ManifestSource;
  objectNamespace: string;
  kind: string;
  apiVersion: string;
  name: string;
  component: string;
  target: string;
  status: "deprecated" | "removed";
  deprecatedIn: string | null;
  removedIn: string | null;
  replacementApi: string | null;
  minorsUntilRemoval: number | null;
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
  app_version AS appVersion, status, scanned_at AS scannedAt, objects, errors,
  findings_computed_at AS computedAt`;

const FINDING_COLUMNS = `namespace, release, source, object_namespace AS objectNamespace, kind,
  api_version AS apiVersion, name, component, target, status, deprecated_in AS deprecatedIn,
  removed_in AS removedIn, replacement_api AS replacementApi,
  minors_until_removal AS minorsUntilRemoval`;

/** Positional parameters. */
export type Bind = (string | number | null)[];

/** The statements, prepared once per store. */
export const SQL = {
  count: "SELECT count(*) FROM helm_releases",
  releases: `SELECT ${RELEASE_COLUMNS} FROM helm_releases ORDER BY namespace, release`,
  findings: `SELECT ${FINDING_COLUMNS} FROM helm_findings ORDER BY namespace, release, ordinal`,
  releaseKey: `SELECT revision, payload_hash AS payloadHash, chart, chart_version AS chartVersion
    FROM helm_releases WHERE namespace = ? AND release = ?`,
  deleteRelease: "DELETE FROM helm_releases WHERE namespace = ? AND release = ?",
  insertRelease: `INSERT INTO helm_releases (namespace, release, revision, payload_hash, driver,
      storage_name, storage_uid, storage_resource_version, chart, chart_version, app_version,
      status, scanned_at, objects, errors, findings_computed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  deleteFindings: "DELETE FROM helm_findings WHERE namespace = ? AND release = ?",
  // Exact duplicates (the same object twice in a manifest) are one finding: stored once.
  insertFinding: `INSERT INTO helm_findings (namespace, release, revision, payload_hash, source,
      object_namespace, kind, api_version, name, component, target, ordinal, status,
      deprecated_in, removed_in, replacement_api, minors_until_removal, computed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  setComputedAt:
    "UPDATE helm_releases SET findings_computed_at = ? WHERE namespace = ? AND release = ?",
} as const;
