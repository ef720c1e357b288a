import { isReportFormat, REPORT_FORMATS, type ReportFormat } from "../../helm/report/index.ts";
import type { FlagValues } from "../args.ts";
import { stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";

/** The `--format` flag of a report command (default `table`); a bad value is a usage error. */
export function reportFormatFlag(values: FlagValues, command: string): ReportFormat {
  const format = stringFlag(values, "format") ?? "table";
  if (!isReportFormat(format)) {
    throw new UsageError(
      `--format must be one of ${REPORT_FORMATS.join(", ")}, got "${format}"`,
      command,
    );
  }
  return format;
}
