/**
 * Typed errors of the cache API client. Callers match on `code`, never on message text.
 */
import type { Status } from "../kube/index.ts";

/**
 * An option or argument of `LookoutClient` has a value it cannot work with: thrown by the
 * constructor (`baseUrl`, `token`, `timeoutMs`); `get`/`list`/`listWithCache` reject with it,
 * before any request, for a `resource`, `namespace` or `name` that is not one path segment.
 */
export class LookoutClientInvalidOptionError extends Error {
  override readonly name = "LookoutClientInvalidOptionError";
  readonly code = "LOOKOUT_CLIENT_INVALID_OPTION";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(
      `invalid LookoutClient option ${option}=${JSON.stringify(value) ?? String(value)}: expected ${expected}`,
    );
    this.option = option;
    this.value = value;
  }
}

/**
 * The cache API answered with a non-2xx status. `status` is its Kubernetes Status body (one
 * is synthesized from the HTTP status when the body is not a Status); `statusCode` the HTTP
 * status; `reason` the Status reason (`NotFound`, `BadRequest`, `Unauthorized`, ...).
 */
export class LookoutApiError extends Error {
  override readonly name = "LookoutApiError";
  readonly code = "LOOKOUT_CLIENT_API_ERROR";
  readonly statusCode: number;
  readonly status: Status;
  readonly reason: string;
  constructor(statusCode: number, status: Status) {
    super(`cache API answered ${statusCode}: ${status.message ?? status.reason ?? "(no message)"}`);
    this.statusCode = statusCode;
    this.status = status;
    this.reason = status.reason ?? "";
  }
}

/**
 * The request failed before a whole answer (connection refused, reset, aborted, timed out).
 * `cause` is the `TimeoutError` DOMException of the deadline when `timeoutMs` ran out, the
 * signal's `reason` when the caller aborted, else the transport's error.
 */
export class LookoutRequestError extends Error {
  override readonly name = "LookoutRequestError";
  readonly code = "LOOKOUT_CLIENT_REQUEST_FAILED";
  /** The request's path and query. */
  readonly path: string;
  /** `what` replaces "failed: <the cause's message>" in the message. */
  constructor(path: string, options: ErrorOptions, what?: string) {
    const cause: unknown = options.cause;
    super(
      `cache API request ${path} ${what ?? `failed: ${cause instanceof Error ? cause.message : String(cause)}`}`,
      options,
    );
    this.path = path;
  }
}

/** A 2xx answer whose body is not the JSON expected. */
export class LookoutBadResponseError extends Error {
  override readonly name = "LookoutBadResponseError";
  readonly code = "LOOKOUT_CLIENT_BAD_RESPONSE";
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cache API response to ${path}: ${reason}`, options);
    this.path = path;
  }
}
