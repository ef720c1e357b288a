/**
 * The Helm checker's state: `helm_releases` (the last scan of each release) and `helm_findings`
 * (its findings, cascading with the release row). Statements are prepared once.
 */
import type { Statement, Transaction } from "better-sqlite3";
import type { HelmFinding, ManifestSource, ReleaseDriver } from "../helm/index.ts";
import type { Logger } from "../logging/index.ts";
import { StoreBadInputError, StoreWriteFailedError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";
import { encodeObjects, parseIssues, parseObjects } from "./helm-json.ts";
import type { HelmStateChange, ReleaseFindings, StoredRelease } from "./helm-types.ts";

/** Reads and changes the Helm checker's stored state. */
export interface HelmStateRepository {
  /** How many releases are stored. */
  releaseCount(): number;
  /**
   * Every stored release, ordered by (namespace, release). A row whose JSON columns do not
   * decode is skipped with a warn log line (the checker rescans that release).
   */
  loadReleases(): StoredRelease[];
  /**
   * The findings of every stored release (one entry per release, also when it has none),
   * ordered by (namespace, release), each list in the order it was given to `apply`.
   */
  loadFindings(): ReleaseFindings[];
  /**
   * Applies `upsert` (each replaces the release row and all its findings), then
   * `replaceFindings` (new findings for a stored release), then `delete` (release and findings;
   * a missing one is no error), all in one transaction: on any error nothing is written.
   * Throws `LOOKOUT_STORE_BAD_INPUT` for a finding of another release, revision, chart or chart
   * version, or a `replaceFindings` entry for a release that is not stored;
   * `LOOKOUT_STORE_WRITE_FAILED` when SQLite refuses a row (e.g. a non-integer revision, an
   * unknown driver); `LOOKOUT_STORE_CLOSED` after close.
   */
  apply(change: HelmStateChange): void;
}

interface ReleaseRow {
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

interface FindingRow {
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

interface ReleaseKeyRow {
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

type Bind = (string | number | null)[];

/** The {@link HelmStateRepository} over one connection. */
export class SqliteHelmState implements HelmStateRepository {
  readonly #handle: StoreHandle;
  readonly #logger: Logger;
  readonly #count: Statement<[], number>;
  readonly #releases: Statement<[], ReleaseRow>;
  readonly #findings: Statement<[], FindingRow>;
  readonly #key: Statement<[string, string], ReleaseKeyRow>;
  readonly #deleteRelease: Statement<[string, string]>;
  readonly #insertRelease: Statement<Bind>;
  readonly #deleteFindings: Statement<[string, string]>;
  readonly #insertFinding: Statement<Bind>;
  readonly #setComputedAt: Statement<[number, string, string]>;
  readonly #apply: Transaction<(change: HelmStateChange) => void>;

  constructor(handle: StoreHandle, logger: Logger) {
    this.#handle = handle;
    this.#logger = logger;
    const db = handle.db;
    this.#count = db.prepare<[], number>("SELECT count(*) FROM helm_releases").pluck();
    this.#releases = db.prepare<[], ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM helm_releases ORDER BY namespace, release`,
    );
    this.#findings = db.prepare<[], FindingRow>(
      `SELECT ${FINDING_COLUMNS} FROM helm_findings ORDER BY namespace, release, ordinal`,
    );
    this.#key = db.prepare<[string, string], ReleaseKeyRow>(
      `SELECT revision, payload_hash AS payloadHash, chart, chart_version AS chartVersion
       FROM helm_releases WHERE namespace = ? AND release = ?`,
    );
    this.#deleteRelease = db.prepare<[string, string]>(
      "DELETE FROM helm_releases WHERE namespace = ? AND release = ?",
    );
    this.#insertRelease = db.prepare<Bind>(
      `INSERT INTO helm_releases (namespace, release, revision, payload_hash, driver, storage_name,
         storage_uid, storage_resource_version, chart, chart_version, app_version, status,
         scanned_at, objects, errors, findings_computed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#deleteFindings = db.prepare<[string, string]>(
      "DELETE FROM helm_findings WHERE namespace = ? AND release = ?",
    );
    // Exact duplicates (the same object twice in a manifest) are one finding: stored once.
    this.#insertFinding = db.prepare<Bind>(
      `INSERT INTO helm_findings (namespace, release, revision, payload_hash, source,
         object_namespace, kind, api_version, name, component, target, ordinal, status,
         deprecated_in, removed_in, replacement_api, minors_until_removal, computed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.#setComputedAt = db.prepare<[number, string, string]>(
      "UPDATE helm_releases SET findings_computed_at = ? WHERE namespace = ? AND release = ?",
    );
    this.#apply = db.transaction((change: HelmStateChange) => this.#applyInTransaction(change));
  }

  releaseCount(): number {
    this.#handle.assertOpen();
    return this.#count.get() ?? 0;
  }

  loadReleases(): StoredRelease[] {
    this.#handle.assertOpen();
    const out: StoredRelease[] = [];
    for (const row of this.#releases.iterate()) {
      const objects = parseObjects(row.objects);
      const errors = parseIssues(row.errors);
      if (objects === undefined || errors === undefined) {
        this.#logger.warn("store: skipping a Helm release row whose JSON does not decode", {
          namespace: row.namespace,
          release: row.release,
          column: objects === undefined ? "objects" : "errors",
        });
        continue;
      }
      out.push({
        namespace: row.namespace,
        release: row.release,
        revision: row.revision,
        payloadHash: row.payloadHash,
        driver: row.driver,
        storageName: row.storageName,
        storageUid: row.storageUid,
        storageResourceVersion: row.storageResourceVersion,
        chart: row.chart,
        chartVersion: row.chartVersion,
        ...(row.appVersion === null ? {} : { appVersion: row.appVersion }),
        status: row.status,
        scannedAt: row.scannedAt,
        objects,
        errors,
      });
    }
    return out;
  }

  loadFindings(): ReleaseFindings[] {
    this.#handle.assertOpen();
    const groups = new Map<string, ReleaseFindings & { chart: string; chartVersion: string }>();
    const out: ReleaseFindings[] = [];
    for (const r of this.#releases.iterate()) {
      const group = {
        namespace: r.namespace,
        release: r.release,
        revision: r.revision,
        payloadHash: r.payloadHash,
        computedAt: r.computedAt,
        findings: [],
        chart: r.chart,
        chartVersion: r.chartVersion,
      };
      groups.set(keyOf(r.namespace, r.release), group);
      out.push(group);
    }
    let group: (ReleaseFindings & { chart: string; chartVersion: string }) | undefined;
    for (const f of this.#findings.iterate()) {
      if (group === undefined || group.namespace !== f.namespace || group.release !== f.release) {
        group = groups.get(keyOf(f.namespace, f.release));
        if (group === undefined) continue; // cannot happen: foreign key
      }
      group.findings.push({
        namespace: f.namespace,
        release: f.release,
        revision: group.revision,
        chart: group.chart,
        chartVersion: group.chartVersion,
        name: f.name,
        objectNamespace: f.objectNamespace,
        kind: f.kind,
        apiVersion: f.apiVersion,
        source: f.source,
        component: f.component,
        deprecatedIn: f.deprecatedIn,
        removedIn: f.removedIn,
        replacementApi: f.replacementApi,
        target: f.target,
        status: f.status,
        minorsUntilRemoval: f.minorsUntilRemoval,
      });
    }
    return out.map(({ namespace, release, revision, payloadHash, computedAt, findings }) => ({
      namespace,
      release,
      revision,
      payloadHash,
      computedAt,
      findings,
    }));
  }

  apply(change: HelmStateChange): void {
    this.#handle.assertOpen();
    try {
      this.#apply(change);
    } catch (err) {
      if (err instanceof StoreBadInputError) throw err;
      throw new StoreWriteFailedError("helm.apply", err);
    }
  }

  #applyInTransaction(change: HelmStateChange): void {
    for (const [i, { release: r, findings, computedAt }] of (change.upsert ?? []).entries()) {
      this.#deleteRelease.run(r.namespace, r.release);
      this.#insertRelease.run(
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
      this.#insertFindings(`upsert[${i}]`, r, r.payloadHash, findings, computedAt);
    }
    for (const [i, entry] of (change.replaceFindings ?? []).entries()) {
      const stored = this.#key.get(entry.namespace, entry.release);
      if (stored === undefined) {
        throw new StoreBadInputError(
          `replaceFindings[${i}]`,
          `${entry.namespace}/${entry.release}`,
          "no such release is stored",
        );
      }
      const ref = { namespace: entry.namespace, release: entry.release, ...stored };
      this.#deleteFindings.run(entry.namespace, entry.release);
      this.#setComputedAt.run(entry.computedAt, entry.namespace, entry.release);
      this.#insertFindings(
        `replaceFindings[${i}]`,
        ref,
        stored.payloadHash,
        entry.findings,
        entry.computedAt,
      );
    }
    for (const { namespace, release } of change.delete ?? []) {
      this.#deleteRelease.run(namespace, release);
    }
  }

  #insertFindings(
    where: string,
    ref: {
      namespace: string;
      release: string;
      revision: number;
      chart: string;
      chartVersion: string;
    },
    payloadHash: string,
    findings: readonly HelmFinding[],
    computedAt: number,
  ): void {
    for (const [j, f] of findings.entries()) {
      checkSame(`${where}.findings[${j}]`, f, ref);
      this.#insertFinding.run(
        ref.namespace,
        ref.release,
        ref.revision,
        payloadHash,
        f.source,
        f.objectNamespace,
        f.kind,
        f.apiVersion,
        f.name,
        f.component,
        f.target,
        j,
        f.status,
        f.deprecatedIn,
        f.removedIn,
        f.replacementApi,
        f.minorsUntilRemoval,
        computedAt,
      );
    }
  }
}

const OWN_FIELDS = ["namespace", "release", "revision", "chart", "chartVersion"] as const;

/** A finding must belong to the release it is stored under. */
function checkSame(
  where: string,
  f: HelmFinding,
  ref: Readonly<Record<(typeof OWN_FIELDS)[number], string | number>>,
): void {
  for (const field of OWN_FIELDS) {
    if (f[field] !== ref[field]) {
      throw new StoreBadInputError(
        `${where}.${field}`,
        f[field],
        `expected ${JSON.stringify(ref[field])}, the release's`,
      );
    }
  }
}

function keyOf(namespace: string, release: string): string {
  return `${namespace}\u0000${release}`;
}
