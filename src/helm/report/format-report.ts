/**
 * One entry point for every report format.
 */
import { BadReportFormatError } from "./errors.ts";
import { formatCsv } from "./format-csv.ts";
import { formatJson } from "./format-json.ts";
import { formatMarkdown } from "./format-markdown.ts";
import { formatTable } from "./format-table.ts";
import type { HelmReport } from "./report.ts";

/** The report formats, for flags and help. */
export const REPORT_FORMATS = ["table", "json", "csv", "markdown"] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** True when `text` names a report format. */
export function isReportFormat(text: string): text is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(text);
}

/**
 * The report as text in `format` (see `formatTable`, `formatJson`, `formatCsv`,
 * `formatMarkdown`). Pure. Throws {@link BadReportFormatError} (`LOOKOUT_HELM_BAD_REPORT_FORMAT`)
 * for an unknown format.
 */
export function formatReport(report: HelmReport, format: ReportFormat): string {
  switch (format) {
    case "table":
      return formatTable(report);
    case "json":
      return formatJson(report);
    case "csv":
      return formatCsv(report);
    case "markdown":
      return formatMarkdown(report);
    default:
      throw new BadReportFormatError(String(format), REPORT_FORMATS);
  }
}
