/**
 * The report of a Helm deprecation check, shared by files mode and cluster mode: the target,
 * the findings and the releases (or files) that could not be fully checked, and the exit code
 * they give.
 */
import type { HelmFinding, HelmReleaseError } from "../findings.ts";

/** What one check found at one Kubernetes target. */
export interface HelmReport {
  /** The Kubernetes target version, `v1.25.0`. */
  readonly target: string;
  readonly findings: readonly HelmFinding[];
  readonly errors: readonly HelmReleaseError[];
}

/** The exit codes of `kube-lookout helm check`. */
export const HelmCheckExit = {
  /** No deprecated or removed API. */
  Clean: 0,
  /** Something could not be checked at all (bad usage, missing path, uncovered target). */
  Error: 1,
  /** Deprecated APIs, none removed at the target. */
  Deprecated: 2,
  /** At least one API is removed at the target. */
  Removed: 3,
} as const;
/** One of the {@link HelmCheckExit} values. */
export type HelmCheckExit = (typeof HelmCheckExit)[keyof typeof HelmCheckExit];

/**
 * The exit code of a report: 3 if any finding is `removed`, else 2 if any is `deprecated`,
 * else 0. Errors do not change it (the caller decides when nothing could be checked at all).
 */
export function exitCodeFor(report: HelmReport): HelmCheckExit {
  let deprecated = false;
  for (const finding of report.findings) {
    if (finding.status === "removed") return HelmCheckExit.Removed;
    deprecated = true;
  }
  return deprecated ? HelmCheckExit.Deprecated : HelmCheckExit.Clean;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(finding: HelmFinding): number {
  return finding.status === "removed" ? 0 : 1;
}

/**
 * The findings in report order: removed first, then by namespace, release, kind, name and
 * apiVersion (code-unit order); ties keep their input order. Returns a new array.
 */
export function sortFindings(findings: readonly HelmFinding[]): HelmFinding[] {
  return findings.toSorted(
    (a, b) =>
      rank(a) - rank(b) ||
      compareText(a.namespace, b.namespace) ||
      compareText(a.release, b.release) ||
      compareText(a.kind, b.kind) ||
      compareText(a.name, b.name) ||
      compareText(a.apiVersion, b.apiVersion),
  );
}

/**
 * One line saying what the report holds, e.g. `3 findings at v1.25.0: 1 removed, 2 deprecated;
 * 1 error` or `no deprecated or removed APIs at v1.25.0`.
 */
export function summaryLine(report: HelmReport): string {
  const removed = report.findings.filter((f) => f.status === "removed").length;
  const deprecated = report.findings.length - removed;
  const errors =
    report.errors.length === 0
      ? ""
      : `; ${report.errors.length} ${report.errors.length === 1 ? "error" : "errors"}`;
  if (report.findings.length === 0) {
    return `no deprecated or removed APIs at ${report.target}${errors}`;
  }
  const noun = report.findings.length === 1 ? "finding" : "findings";
  return `${report.findings.length} ${noun} at ${report.target}: ${removed} removed, ${deprecated} deprecated${errors}`;
}
