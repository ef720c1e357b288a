/**
 * The CSV report (RFC 4180): a header row and one row per finding, CRLF line ends.
 */
import { FINDING_FIELDS, fieldText } from "./columns.ts";
import type { HelmReport } from "./report.ts";
import { sortFindings } from "./report.ts";

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: quoted (inner quotes doubled) when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The findings as RFC 4180 CSV: the header `namespace,release,revision,name,kind,apiVersion,
 * deprecatedIn,removedIn,replacementApi,status`, then one row per finding sorted as
 * `sortFindings`; null as an empty field; every record ends with CRLF. The report's errors
 * are not part of the CSV (a reader of the table would take them for findings): the caller
 * shows them elsewhere (the CLI writes them to stderr). Pure.
 */
export function formatCsv(report: HelmReport): string {
  const rows = [FINDING_FIELDS.join(",")];
  for (const finding of sortFindings(report.findings)) {
    rows.push(FINDING_FIELDS.map((field) => csvField(fieldText(finding, field, ""))).join(","));
  }
  return `${rows.join("\r\n")}\r\n`;
}
