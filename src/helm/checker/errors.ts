/**
 * Errors of the Helm checker. Callers match on `code`.
 */

/** An option of the checker is invalid. */
export class InvalidHelmCheckerOptionError extends Error {
  override readonly name = "InvalidHelmCheckerOptionError";
  readonly code = "LOOKOUT_HELM_INVALID_OPTION";
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(`helm checker option ${option} must be ${expected}, got ${safe(value)}`);
    this.option = option;
    this.value = value;
  }
}

/** The checker was closed before the operation finished. */
export class HelmCheckerClosedError extends Error {
  override readonly name = "HelmCheckerClosedError";
  readonly code = "LOOKOUT_HELM_CHECKER_CLOSED";
  constructor() {
    super("the Helm checker is closed");
  }
}

/** The cluster's version could not be read, so no upgrade target is known yet. */
export class ClusterVersionUnavailableError extends Error {
  override readonly name = "ClusterVersionUnavailableError";
  readonly code = "LOOKOUT_HELM_VERSION_UNAVAILABLE";
  constructor(options?: ErrorOptions) {
    super("the cluster's version (/version) could not be read", options);
  }
}

function safe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
