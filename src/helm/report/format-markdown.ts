/**
 * The Markdown report: a GitHub-flavoured table for pull-request comments and job summaries.
 */
import { FINDING_FIELDS, errorWhere, fieldText, messageLine, oneLine } from "./columns.ts";
import type { HelmReport } from "./report.ts";
import { sortFindings, summaryLine } from "./report.ts";

/**
 * The characters that carry meaning inside a GitHub table cell: the cell separator, backslash
 * escapes, code spans, emphasis and strikethrough, links and images, raw HTML and autolinks,
 * entity references. Each is shown as itself when backslash-escaped (CommonMark allows that
 * before any ASCII punctuation).
 */
const MARKDOWN_INLINE = /[\\|`*_[\]<>~&]/g;

/**
 * Text shown literally in a GitHub table cell, on one line: the characters of
 * {@link MARKDOWN_INLINE} backslash-escaped, so that a file name such as `*_old_*.yaml` or an
 * error quoting `<none>` reads as written instead of as emphasis or an HTML tag.
 */
export function markdownCell(text: string): string {
  return oneLine(text).replace(MARKDOWN_INLINE, "\\$&");
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
