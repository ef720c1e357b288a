/**
 * Errors of the Helm check reports and of files mode. Callers match on `code`, never on the
 * message.
 */

/** Stable codes of the errors of this folder. */
export const ReportErrorCode = {
  /** A path given to files mode does not exist. */
  PathNotFound: "LOOKOUT_HELM_PATH_NOT_FOUND",
  /** A manifest file (or stdin) exists but cannot be read. */
  FileUnreadable: "LOOKOUT_HELM_FILE_UNREADABLE",
  /** A manifest file (or stdin) is in an encoding that cannot be read (UTF-32, NUL characters). */
  BadEncoding: "LOOKOUT_HELM_BAD_ENCODING",
  /** The given paths hold no `*.yaml`, `*.yml` or `*.json` file. */
  NoManifests: "LOOKOUT_HELM_NO_MANIFESTS",
  /** `formatReport` was asked for a format it does not know. */
  BadReportFormat: "LOOKOUT_HELM_BAD_REPORT_FORMAT",
} as const;
/** One of the {@link ReportErrorCode} values. */
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

/** A path given to files mode (`path`, as given) does not exist. */
export class ManifestPathNotFoundError extends Error {
  override readonly name = "ManifestPathNotFoundError";
  readonly code = ReportErrorCode.PathNotFound;
  readonly path: string;

  constructor(path: string, options?: ErrorOptions) {
    super(`no such file or folder: ${path}`, options);
    this.path = path;
  }
}

/** A manifest file (`path`; `-` for stdin) cannot be read; `cause` is the fs error. */
export class ManifestUnreadableError extends Error {
  override readonly name = "ManifestUnreadableError";
  readonly code = ReportErrorCode.FileUnreadable;
  readonly path: string;

  constructor(path: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`cannot read ${path}${reason}`, options);
    this.path = path;
  }
}

/** The encoding a manifest was found in; `unknown` when nothing names it (NUL characters). */
export type ManifestEncoding = "UTF-16LE" | "UTF-16BE" | "UTF-32LE" | "UTF-32BE" | "unknown";

/**
 * A manifest file (`path`; `-` for stdin) whose bytes are not text that can be checked:
 * `encoding` is what they were found to be, `reason` says why and what to do. The message is
 * `cannot read PATH (ENCODING): REASON`, standard input named as such.
 */
export class ManifestEncodingError extends Error {
  override readonly name = "ManifestEncodingError";
  readonly code = ReportErrorCode.BadEncoding;
  readonly path: string;
  readonly encoding: ManifestEncoding;

  constructor(path: string, encoding: ManifestEncoding, reason: string, options?: ErrorOptions) {
    const where = path === "-" ? "standard input" : path;
    const what = encoding === "unknown" ? "" : ` (${encoding})`;
    super(`cannot read ${where}${what}: ${reason}`, options);
    this.path = path;
    this.encoding = encoding;
  }
}

/** The paths given to files mode (`paths`) hold no manifest file. */
export class NoManifestsError extends Error {
  override readonly name = "NoManifestsError";
  readonly code = ReportErrorCode.NoManifests;
  readonly paths: readonly string[];

  constructor(paths: readonly string[]) {
    super(`no *.yaml, *.yml or *.json files under ${paths.join(", ")}`);
    this.paths = paths;
  }
}

/** `formatReport` got a format (`format`, as given) that is not one of `REPORT_FORMATS`. */
export class BadReportFormatError extends Error {
  override readonly name = "BadReportFormatError";
  readonly code = ReportErrorCode.BadReportFormat;
  readonly format: string;

  constructor(format: string, known: readonly string[]) {
    super(`unknown report format ${JSON.stringify(format)}: expected one of ${known.join(", ")}`);
    this.format = format;
  }
}
