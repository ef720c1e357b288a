/**
 * Errors of the Helm deprecation table, Kubernetes versions and upgrade targets. Callers match
 * on `code`, never on the message.
 */

/** Stable codes of the errors of this folder. */
export const DeprecationsErrorCode = {
  /** A row of a deprecation table (built-in or given in code) is invalid. */
  BadTableRow: "LOOKOUT_HELM_BAD_TABLE_ROW",
  /** A Kubernetes or component version string (or `/version` document) cannot be read. */
  BadVersion: "LOOKOUT_HELM_BAD_VERSION",
  /** A target version is newer than the newest version the table covers. */
  TargetUncovered: "LOOKOUT_HELM_TARGET_UNCOVERED",
  /** A user-supplied extra-rows file cannot be read, parsed or validated. */
  BadExtraRows: "LOOKOUT_HELM_BAD_EXTRA_ROWS",
} as const;
/** One of the {@link DeprecationsErrorCode} values. */
export type DeprecationsErrorCode =
  (typeof DeprecationsErrorCode)[keyof typeof DeprecationsErrorCode];

function causeOf(cause: unknown): { cause: unknown } | undefined {
  return cause === undefined ? undefined : { cause };
}

/** A version string (`input`, as given) that does not parse as `vMAJOR.MINOR[.PATCH][-+suffix]`. */
export class BadVersionError extends Error {
  override readonly name = "BadVersionError";
  readonly code = DeprecationsErrorCode.BadVersion;
  /** The offending input, converted to a string for display when it was not one. */
  readonly input: string;

  constructor(input: string, reason: string, cause?: unknown) {
    super(`bad Kubernetes version ${JSON.stringify(input)}: ${reason}`, causeOf(cause));
    this.input = input;
  }
}

/**
 * A row of a deprecation table is invalid. `row` is its index in the table's `rows`, `field` the
 * offending field (the key for a duplicate), `value` the offending value.
 */
export class BadTableRowError extends Error {
  override readonly name = "BadTableRowError";
  readonly code = DeprecationsErrorCode.BadTableRow;
  readonly row: number;
  readonly field: string;
  readonly value: unknown;

  constructor(row: number, field: string, value: unknown, reason: string, cause?: unknown) {
    super(`deprecation table row ${row}, field ${field}: ${reason}`, causeOf(cause));
    this.row = row;
    this.field = field;
    this.value = value;
  }
}

/**
 * A user-supplied extra-rows file is unusable. `file` is its path; `row` and `field` name the
 * offending row (index in the file's rows) and field, both undefined when the whole file is at
 * fault (unreadable, not YAML/JSON, wrong top-level shape).
 */
export class BadExtraRowsError extends Error {
  override readonly name = "BadExtraRowsError";
  readonly code = DeprecationsErrorCode.BadExtraRows;
  readonly file: string;
  readonly row: number | undefined;
  readonly field: string | undefined;
  readonly value: unknown;

  constructor(
    file: string,
    reason: string,
    options?: { row?: number; field?: string; value?: unknown; cause?: unknown },
  ) {
    const where =
      options?.row === undefined
        ? ""
        : `, row ${options.row}${options.field === undefined ? "" : `, field ${options.field}`}`;
    super(`extra deprecation rows ${file}${where}: ${reason}`, causeOf(options?.cause));
    this.file = file;
    this.row = options?.row;
    this.field = options?.field;
    this.value = options?.value;
  }
}

/** A target version (`target`, formatted) lies beyond the table's coverage (`coversUpTo`). */
export class TargetUncoveredError extends Error {
  override readonly name = "TargetUncoveredError";
  readonly code = DeprecationsErrorCode.TargetUncovered;
  readonly target: string;
  readonly coversUpTo: string;

  constructor(target: string, coversUpTo: string) {
    super(
      `target Kubernetes ${target} is newer than the deprecation table knows (it covers up to ${coversUpTo}): update kube-lookout or choose an older target`,
    );
    this.target = target;
    this.coversUpTo = coversUpTo;
  }
}
