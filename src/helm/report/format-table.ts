/**
 * The terminal report: aligned columns, a summary line, and the errors below.
 */
import { errorWhere, messageLine, oneLine } from "./columns.ts";
import type { HelmReport } from "./report.ts";
import { sortFindings, summaryLine } from "./report.ts";
import type { HelmReleaseError } from "../findings.ts";

const HEADERS = [
  "STATUS",
  "NAMESPACE",
  "RELEASE",
  "REVISION",
  "KIND",
  "NAME",
  "API VERSION",
  "DEPRECATED",
  "REMOVED",
  "REPLACEMENT",
] as const;

/**
 * One error as one line: `release: CODE: message` (namespace first when there is one, alone
 * when the error is about a whole namespace; the message's first line only, the JSON report
 * keeps it whole).
 */
export function errorLine(error: HelmReleaseError): string {
  return `${errorWhere(error)}: ${error.code}: ${messageLine(error.message)}`;
}

/**
 * The report for a terminal: a table with aligned columns (sorted as `sortFindings`; empty
 * values and nulls as `-`; omitted when there are no findings), the summary line, then
 * `Errors:` and one line per error when there are any. Plain text, no colours. Pure.
 */
export function formatTable(report: HelmReport): string {
  const lines: string[] = [];
  if (report.findings.length > 0) {
    const rows: string[][] = [[...HEADERS]];
    for (const f of sortFindings(report.findings)) {
      rows.push(
        [
          f.status,
          f.namespace,
          f.release,
          String(f.revision),
          f.kind,
          f.name,
          f.apiVersion,
          f.deprecatedIn,
          f.removedIn,
          f.replacementApi,
        ].map((v) => (v === null || v === "" ? "-" : oneLine(v))),
      );
    }
    // Loops, not Math.max(...): a spread passes every row as an argument, and ~140,000 rows
    // overflow the stack.
    const widths = HEADERS.map(() => 0);
    for (const row of rows) {
      for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    }
    for (const row of rows) {
      lines.push(
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      );
    }
    lines.push("");
  }
  lines.push(summaryLine(report));
  if (report.errors.length > 0) {
    lines.push("", "Errors:");
    for (const error of report.errors) lines.push(`  ${errorLine(error)}`);
  }
  return `${lines.join("\n")}\n`;
}
