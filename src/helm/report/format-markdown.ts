/**
 * The Markdown report: a GitHub-flavoured table for pull-request comments and job summaries.
 */
import { FINDING_FIELDS, errorWhere, fieldText, messageLine, oneLine } from "./columns.ts";
import type { HelmReport } from "./report.ts";
import { sortFindings, summaryLine } from "./report.ts";

/** Text safe in a GitHub table cell: backslashes and pipes escaped, on one line. */
export function markdownCell(text: string): string {
  return oneLine(text).replaceAll("\\", "\\\\").replaceAll("|", "\\|");
}

/**
 * The report as Markdown: the summary line, a GitHub table of the findings (sorted as
 * `sortFindings`, null as `-`; omitted when there are none), and a list of the errors (first
 * line of each message). Pure.
 */
export function formatMarkdown(report: HelmReport): string {
  const lines = [`**kube-lookout helm check**: ${markdownCell(summaryLine(report))}`];
  if (report.findings.length > 0) {
    lines.push(
      "",
      `| ${FINDING_FIELDS.join(" | ")} |`,
      `|${" --- |".repeat(FINDING_FIELDS.length)}`,
    );
    for (const finding of sortFindings(report.findings)) {
      const cells = FINDING_FIELDS.map((field) => markdownCell(fieldText(finding, field, "-")));
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  if (report.errors.length > 0) {
    lines.push("", "Errors:", "");
    for (const e of report.errors) {
      lines.push(
        `- \`${e.code}\` ${markdownCell(errorWhere(e))}: ${markdownCell(messageLine(e.message))}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
