/**
 * The Helm checker's state: `helm_releases` (the last scan of each release) and `helm_findings`
 * (one row per release: its findings as one JSON array, cascading with the release row).
 * Statements are prepared once.
 */
import type { Statement, Transaction } from "better-sqlite3";
import type { Logger } from "../logging/index.ts";
import { StoreBadInputError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";
import { encodeFindings, parseFindings } from "./helm-findings-json.ts";
import { encodeObjects, parseIssues, parseObjects } from "./helm-json.ts";
import {
  SQL,
  type Bind,
  type FindingsRow,
  type ReleaseKeyRow,
  type ReleaseRow,
} from "./helm-sql.ts";
import type { HelmStateChange, ReleaseFindings, StoredRelease } from "./helm-types.ts";
import type { KeyValueStore } from "./kv.ts";

/** Reads and changes the Helm checker's stored state. */
export interface HelmStateRepository {
  /**
   * A small setting of the checker's (kept in the `kv` table under `helm.<key>`), e.g. which
   * apiVersions its stored scans kept. Undefined when unset.
   */
  getMeta(key: string): string | undefined;
  /** Sets a setting of the checker's; see {@link getMeta}. */
  setMeta(key: string, value: string): void;
  /** How many releases are stored. */
  releaseCount(): number;
  /**
   * Every stored release, ordered by (namespace, release). A row whose JSON columns do not
   * decode is skipped with a warn log line (the checker rescans that release).
   */
  loadReleases(): StoredRelease[];
  /**
   * The findings of every stored release (one entry per release, also when it has none),
   * ordered by (namespace, release), each list in the order it was given to `apply`. A release
   * whose findings do not decode is left out with a warn log line (the checker recomputes).
   */
  loadFindings(): ReleaseFindings[];
  /**
   * Applies `upsert` (each replaces the release row and all its findings), then
   * `replaceFindings` (new findings for a stored release), then `delete` (release and findings;
   * a missing one is no error), all in one transaction: on any error nothing is written.
   * Throws `LOOKOUT_STORE_BAD_INPUT` for a finding of another release, revision, chart or chart
   * version, a finding field of the wrong type, or a `replaceFindings` entry for a release that
   * is not stored;
   * `LOOKOUT_STORE_WRITE_FAILED` when SQLite refuses a row (e.g. a non-integer revision, an
   * unknown driver); `LOOKOUT_STORE_FULL` when the size bound or the disk is full;
   * `LOOKOUT_STORE_CLOSED` after close.
   */
  apply(change: HelmStateChange): void;
}

/** The {@link HelmStateRepository} over one connection. */
export class SqliteHelmState implements HelmStateRepository {
  readonly #handle: StoreHandle;
  readonly #logger: Logger;
  readonly #count: Statement<[], number>;
  readonly #releases: Statement<[], ReleaseRow>;
  readonly #findings: Statement<[], FindingsRow>;
  readonly #key: Statement<[string, string], ReleaseKeyRow>;
  readonly #deleteRelease: Statement<[string, string]>;
  readonly #insertRelease: Statement<Bind>;
  readonly #putFindings: Statement<Bind>;
  readonly #apply: Transaction<(change: HelmStateChange) => void>;

  readonly #kv: KeyValueStore;

  constructor(handle: StoreHandle, logger: Logger, kv: KeyValueStore) {
    this.#handle = handle;
    this.#logger = logger;
    this.#kv = kv;
    const db = handle.db;
    this.#count = db.prepare<[], number>(SQL.count).pluck();
    this.#releases = db.prepare<[], ReleaseRow>(SQL.releases);
    this.#findings = db.prepare<[], FindingsRow>(SQL.findings);
    this.#key = db.prepare<[string, string], ReleaseKeyRow>(SQL.releaseKey);
    this.#deleteRelease = db.prepare<[string, string]>(SQL.deleteRelease);
    this.#insertRelease = db.prepare<Bind>(SQL.insertRelease);
    this.#putFindings = db.prepare<Bind>(SQL.putFindings);
    this.#apply = db.transaction((change: HelmStateChange) => this.#applyInTransaction(change));
  }

  getMeta(key: string): string | undefined {
    return this.#kv.get(`helm.${key}`);
  }

  setMeta(key: string, value: string): void {
    this.#handle.write("helm", "helm.setMeta", () => this.#kv.set(`helm.${key}`, value));
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
    const out: ReleaseFindings[] = [];
    for (const row of this.#findings.iterate()) {
      const findings = row.findings === null ? undefined : parseFindings(row.findings, row);
      if (findings === undefined || row.computedAt === null) {
        this.#logger.warn("store: skipping Helm findings that do not decode", {
          namespace: row.namespace,
          release: row.release,
          column: "findings",
        });
        continue;
      }
      out.push({
        namespace: row.namespace,
        release: row.release,
        revision: row.revision,
        payloadHash: row.payloadHash,
        computedAt: row.computedAt,
        findings,
      });
    }
    return out;
  }

  apply(change: HelmStateChange): void {
    this.#handle.write("helm", "helm.apply", () => this.#apply(change));
  }

  #applyInTransaction(change: HelmStateChange): void {
    for (const [i, { release: r, findings, computedAt }] of (change.upsert ?? []).entries()) {
      const text = encodeFindings(`upsert[${i}]`, r, findings);
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
      );
      this.#putFindings.run(r.namespace, r.release, r.revision, r.payloadHash, text, computedAt);
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
      const owner = { namespace: entry.namespace, release: entry.release, ...stored };
      const text = encodeFindings(`replaceFindings[${i}]`, owner, entry.findings);
      this.#putFindings.run(
        entry.namespace,
        entry.release,
        stored.revision,
        stored.payloadHash,
        text,
        entry.computedAt,
      );
    }
    for (const { namespace, release } of change.delete ?? []) {
      this.#deleteRelease.run(namespace, release);
    }
  }
}
