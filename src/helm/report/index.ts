/**
 * Reports of a one-shot Helm deprecation check, shared by files mode and cluster mode: the
 * report shape, its exit code, the table/JSON/CSV/Markdown formats, and files mode (reading
 * rendered manifests and checking them at one target).
 */
export { csvField, formatCsv } from "./format-csv.ts";
export { formatJson, toJsonReport } from "./format-json.ts";
export type { JsonFinding, JsonReleaseError, JsonReport } from "./format-json.ts";
export { formatMarkdown, markdownCell } from "./format-markdown.ts";
export { errorLine, formatTable } from "./format-table.ts";
export { REPORT_FORMATS, formatReport, isReportFormat } from "./format-report.ts";
export type { ReportFormat } from "./format-report.ts";
export { FINDING_FIELDS, messageLine } from "./columns.ts";
export type { FindingField } from "./columns.ts";
export { HelmCheckExit, exitCodeFor, sortFindings, summaryLine } from "./report.ts";
export type { HelmReport } from "./report.ts";
export {
  BadReportFormatError,
  ManifestEncodingError,
  ManifestPathNotFoundError,
  ManifestUnreadableError,
  NoManifestsError,
  ReportErrorCode,
} from "./errors.ts";
export type { ManifestEncoding } from "./errors.ts";
export { checkManifestText, decodeManifest } from "./manifest-encoding.ts";
export { loadCheckTable, resolveTarget, tableComponents } from "./check-target.ts";
export { checkManifests, checkScannedManifests } from "./files-check.ts";
export type {
  FilesCheckOptions,
  FilesCheckResult,
  ManifestText,
  ScannedManifest,
} from "./files-check.ts";
export { STDIN_PATH, listManifestFiles, readManifests } from "./manifest-files.ts";
export type { ManifestFileList, ManifestReads, ReadManifestsOptions } from "./manifest-files.ts";
