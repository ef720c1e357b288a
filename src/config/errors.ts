/**
 * Errors of the sidecar's configuration. One error carries every problem found, so a user fixes
 * a file in one pass instead of one key per run.
 */

/** Where a problem came from: the YAML file, a `KUBE_LOOKOUT_*` variable, or a `--set` flag. */
export type ConfigSource = "file" | "env" | "flag";

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** The key path (`events.nats.servers[0]`), or the variable / flag name for env and flags. */
  readonly path: string;
  /** The offending value as shown to the user (`"FAST"`, `***` for a secret-looking key); undefined when none. */
  readonly value: string | undefined;
  /** What is wrong and what is allowed (`expected "FULL" or "NORMAL"`). */
  readonly message: string;
  /** A close known key for an unknown one (`did you mean`). */
  readonly suggestion?: string;
  /** The position in the file (1-based) when known. */
  readonly line?: number;
  readonly column?: number;
  /** Where the value came from, when known. */
  readonly source?: ConfigSource;
  /** The variable or flag that set the value (`KUBE_LOOKOUT_STORE_PATH`, `--set store.path`). */
  readonly origin?: string;
}

/** Formats one problem as a single line: `file:3:5: store.synchronous: "FAST": expected ...`. */
export function formatProblem(problem: ConfigProblem, file?: string): string {
  const where =
    problem.line === undefined
      ? ""
      : `${file ?? "config"}:${problem.line}${problem.column === undefined ? "" : `:${problem.column}`}: `;
  const value = problem.value === undefined ? "" : ` ${problem.value}:`;
  const hint = problem.suggestion === undefined ? "" : ` (did you mean "${problem.suggestion}"?)`;
  const origin = problem.origin === undefined ? "" : ` [from ${problem.origin}]`;
  return `${where}${problem.path}:${value} ${problem.message}${hint}${origin}`;
}

/**
 * The configuration is invalid: bad YAML, an unknown key, a value out of range, an unknown
 * `KUBE_LOOKOUT_*` variable or a bad `--set`. `problems` lists them all (never empty); the
 * message is their lines.
 */
export class ConfigInvalidError extends Error {
  override readonly name = "ConfigInvalidError";
  readonly code = "LOOKOUT_CONFIG_INVALID";
  /** Every problem found, in file order where known. */
  readonly problems: readonly ConfigProblem[];
  /** The file, when the configuration came from one. */
  readonly file: string | undefined;

  constructor(problems: readonly ConfigProblem[], file?: string, options?: ErrorOptions) {
    const lines = problems.map((p) => formatProblem(p, file));
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
      options,
    );
    this.problems = problems;
    this.file = file;
  }
}

/** The configuration file could not be read (missing, unreadable); `cause` is the I/O error. */
export class ConfigReadError extends Error {
  override readonly name = "ConfigReadError";
  readonly code = "LOOKOUT_CONFIG_UNREADABLE";
  readonly file: string;

  constructor(file: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? options.cause.message : "unknown error";
    super(`cannot read config file ${file}: ${reason}`, options);
    this.file = file;
  }
}
