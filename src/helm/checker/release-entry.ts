/**
 * The checker's per-release entries: building them from a scan, a stored row or a failed read,
 * and turning a batch of them into the store's change.
 */
import { SCAN_ISSUE_CODES } from "../decode/index.ts";
import type { ScanIssue, ScanResult, ScannedObject } from "../decode/index.ts";
import type { HelmFinding, HelmReleaseError } from "../findings.ts";
import type { FetchFailure } from "./payload-fetch.ts";
import type { HelmStateChange, StoredRelease } from "./state-store.ts";
import type { RevisionRef } from "./storage-object.ts";

/** The checked state of one release. */
export interface ReleaseState {
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  readonly driver: "secret" | "configmap";
  readonly storageName: string;
  readonly storageUid: string;
  readonly storageResourceVersion: string;
  readonly payloadHash: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly appVersion?: string;
  readonly status: string;
  /** When its payload was scanned (ms since epoch). */
  readonly scannedAt: number;
  /** When its findings were computed (ms since epoch). */
  readonly computedAt: number;
  readonly findings: readonly HelmFinding[];
  readonly errors: readonly HelmReleaseError[];
}

export interface Entry extends ReleaseState {
  /** Objects that have a row in the table (what findings are computed from). */
  readonly objects: readonly ScannedObject[];
  readonly issues: readonly ScanIssue[];
}

/** Entries to write: upserted (new scan), re-evaluated (same scan), removed. */
export interface EntryChange {
  readonly upsert: Entry[];
  readonly replace: Entry[];
  readonly remove: Entry[];
}

export const scanErrorToRelease = (
  ref: { namespace: string; release: string; revision: number },
  issue: { code: string; message: string },
): HelmReleaseError => ({
  namespace: ref.namespace,
  release: ref.release,
  revision: ref.revision,
  code: issue.code,
  message: issue.message,
});

export function codeOf(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : "LOOKOUT_HELM_FETCH_FAILED";
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An entry from a stored row (objects filtered by `keep`) and its stored findings. */
export function entryFromStored(
  r: StoredRelease,
  findings: readonly HelmFinding[],
  computedAt: number,
  keep: (objects: readonly ScannedObject[]) => ScannedObject[],
): Entry {
  return {
    namespace: r.namespace,
    release: r.release,
    revision: r.revision,
    driver: r.driver,
    storageName: r.storageName,
    storageUid: r.storageUid,
    storageResourceVersion: r.storageResourceVersion,
    payloadHash: r.payloadHash,
    chart: r.chart,
    chartVersion: r.chartVersion,
    ...(r.appVersion === undefined ? {} : { appVersion: r.appVersion }),
    status: r.status,
    scannedAt: r.scannedAt,
    computedAt,
    findings,
    errors: r.errors.map((issue) => scanErrorToRelease(r, issue)),
    objects: keep(r.objects),
    issues: r.errors,
  };
}

/** An entry from a fresh scan (findings not computed yet). */
export function entryFromScan(ref: RevisionRef, result: ScanResult, now: number): Entry {
  const summary = result.release;
  return {
    namespace: ref.namespace,
    release: ref.release,
    revision: ref.revision,
    driver: ref.driver,
    storageName: ref.name,
    storageUid: ref.uid,
    storageResourceVersion: ref.resourceVersion,
    payloadHash: result.payloadHash,
    chart: summary?.chart.name ?? "",
    chartVersion: summary?.chart.version ?? "",
    ...(summary?.chart.appVersion === undefined ? {} : { appVersion: summary.chart.appVersion }),
    status: ref.status,
    scannedAt: now,
    computedAt: now,
    findings: [],
    errors: result.errors.map((issue) => scanErrorToRelease(ref, issue)),
    objects: result.objects,
    issues: result.errors,
  };
}

/** Whether an entry holds what a scan found (not only a failed read or a payload-less object). */
function hasScan(entry: Entry): boolean {
  return entry.payloadHash !== "" || entry.objects.length > 0 || entry.findings.length > 0;
}

/**
 * The entry without the errors of failed reads (codes that are not {@link SCAN_ISSUE_CODES}):
 * what its last scan found. For an entry whose payload was read again.
 */
export function withoutReadErrors(entry: Entry): Entry {
  if (entry.issues.every((i) => SCAN_ISSUE_CODES.has(i.code))) return entry;
  return {
    ...entry,
    errors: entry.errors.filter((e) => SCAN_ISSUE_CODES.has(e.code)),
    issues: entry.issues.filter((i) => SCAN_ISSUE_CODES.has(i.code)),
  };
}

/**
 * An entry for a revision whose storage object has no payload: bad input, like a payload that
 * does not decode (no objects, no findings, the error as its issue). Its storage uid is kept,
 * so it is not read again until the object changes.
 */
export function entryFromBadPayload(failure: FetchFailure, now: number): Entry {
  const issue = { code: codeOf(failure.error), message: messageOf(failure.error) };
  return entryFromScan(failure.ref, { payloadHash: "", objects: [], errors: [issue] }, now);
}

/**
 * An entry for a revision whose payload could not be read. With a previous entry that holds a
 * scan, its checked state stays (findings of the last revision read, its payload's own errors)
 * with this read error beside it, replacing the error of an earlier failed read: a release that
 * keeps failing keeps its findings and one current read error. Otherwise: no findings and the
 * error, at the revision that failed.
 */
export function entryFromFailure(
  failure: FetchFailure,
  previous: Entry | undefined,
  now: number,
): Entry {
  // An empty storage uid makes the next scan of this release read it again.
  const unread = { storageUid: "", storageResourceVersion: "" };
  if (previous === undefined || !hasScan(previous)) {
    return { ...entryFromBadPayload(failure, now), ...unread };
  }
  const issue = { code: codeOf(failure.error), message: messageOf(failure.error) };
  const kept = withoutReadErrors(previous);
  return {
    ...kept,
    ...unread,
    errors: [...kept.errors, scanErrorToRelease(failure.ref, issue)],
    issues: [...kept.issues, issue],
  };
}

/** The store's change for a batch of entries. */
export function toStateChange(change: EntryChange): HelmStateChange {
  return {
    upsert: change.upsert.map((e) => ({
      release: {
        namespace: e.namespace,
        release: e.release,
        revision: e.revision,
        payloadHash: e.payloadHash,
        driver: e.driver,
        storageName: e.storageName,
        storageUid: e.storageUid,
        storageResourceVersion: e.storageResourceVersion,
        chart: e.chart,
        chartVersion: e.chartVersion,
        ...(e.appVersion === undefined ? {} : { appVersion: e.appVersion }),
        status: e.status,
        scannedAt: e.scannedAt,
        objects: e.objects,
        errors: e.issues,
      },
      findings: e.findings,
      computedAt: e.computedAt,
    })),
    replaceFindings: change.replace.map((e) => ({
      namespace: e.namespace,
      release: e.release,
      findings: e.findings,
      computedAt: e.computedAt,
    })),
    delete: change.remove.map((e) => ({ namespace: e.namespace, release: e.release })),
  };
}

export function sameFindings(a: readonly HelmFinding[], b: readonly HelmFinding[]): boolean {
  if (a.length !== b.length) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
