/**
 * Typed errors of the cache API. Callers and tests match on `code`, never on message text.
 */

/** An option of `createCacheApi` or `startApiServer` has a value it cannot work with. */
export class ApiInvalidOptionError extends Error {
  override readonly name = "ApiInvalidOptionError";
  readonly code = "LOOKOUT_API_INVALID_OPTION";
  /** The option's name, e.g. `resources[2].resource`. */
  readonly option: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string, options?: ErrorOptions) {
    super(`invalid cache API option ${option}=${describe(value)}: expected ${expected}`, options);
    this.option = option;
    this.value = value;
  }
}

/** The bearer token file could not be read, or holds no token. `cause` is the read error. */
export class ApiTokenFileError extends Error {
  override readonly name = "ApiTokenFileError";
  readonly code = "LOOKOUT_API_TOKEN_FILE";
  /** The file's path. */
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cache API token file ${JSON.stringify(path)}: ${reason}`, options);
    this.path = path;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}
