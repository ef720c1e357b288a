/**
 * The Helm checker's state: `helm_releases` (the last scan of each release) and `helm_findings`
 * (its findings, cascading with the release row). Statements are prepared once.
 */
import type { Statement, Transaction } from "better-sqlite3";
import type { HelmFinding } from "../helm/index.ts";
import type { Logger } from "../logging/index.ts";
import { StoreBadInputError, StoreWriteFailedError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";
import { encodeObjects, parseIssues, parseObjects } from "./helm-json.ts";
import {
  SQL,
  type Bind,
  type FindingRow,
  type ReleaseKeyRow,
  type ReleaseRow,
} from "./helm-sql.ts";
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
    this.#count = db.prepare<[], number>(SQL.count).pluck();
    this.#releases = db.prepare<[], ReleaseRow>(SQL.releases);
    this.#findings = db.prepare<[], FindingRow>(SQL.findings);
    this.#key = db.prepare<[string, string], ReleaseKeyRow>(SQL.releaseKey);
    this.#deleteRelease = db.prepare<[string, string]>(SQL.deleteRelease);
    this.#insertRelease = db.prepare<Bind>(SQL.insertRelease);
    this.#deleteFindings = db.prepare<[string, string]>(SQL.deleteFindings);
    this.#insertFinding = db.prepare<Bind>(SQL.insertFinding);
    this.#setComputedAt = db.prepare<[number, string, string]>(SQL.setComputedAt);
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
