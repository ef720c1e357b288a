/**
 * The JSON report: a fixed shape for machines, independent of the internal finding type.
 */
import type { HelmFinding, HelmReleaseError } from "../findings.ts";
import type { FINDING_FIELDS } from "./columns.ts";
import type { HelmReport } from "./report.ts";
import { sortFindings } from "./report.ts";

/** A finding as it appears in the JSON report. */
export type JsonFinding = Pick<HelmFinding, (typeof FINDING_FIELDS)[number]>;

/** An error as it appears in the JSON report. */
export type JsonReleaseError = Pick<HelmReleaseError, "namespace" | "release" | "code" | "message">;

/** The JSON report document. */
export interface JsonReport {
  readonly target: string;
  readonly findings: readonly JsonFinding[];
  readonly errors: readonly JsonReleaseError[];
}

/**
 * The report as the JSON document `{target, findings: [{namespace, release, revision, name,
 * kind, apiVersion, deprecatedIn, removedIn, replacementApi, status}], errors: [{namespace,
 * release, code, message}]}`: exactly these keys in this order, nulls kept, findings sorted
 * as {@link sortFindings}. Pure.
 */
export function toJsonReport(report: HelmReport): JsonReport {
  return {
    target: report.target,
    findings: sortFindings(report.findings).map((f) => ({
      namespace: f.namespace,
      release: f.release,
      revision: f.revision,
      name: f.name,
      kind: f.kind,
      apiVersion: f.apiVersion,
      deprecatedIn: f.deprecatedIn,
      removedIn: f.removedIn,
      replacementApi: f.replacementApi,
      status: f.status,
    })),
    errors: report.errors.map((e) => ({
      namespace: e.namespace,
      release: e.release,
      code: e.code,
      message: e.message,
    })),
  };
}

/** {@link toJsonReport} serialized with two-space indentation and a final newline. */
export function formatJson(report: HelmReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
