/**
 * Errors of the simulated API server. Every {@link SimError} carries the Kubernetes `Status`
 * the HTTP layer answers with, so the in-process API and HTTP share one error path.
 */
import type { Status } from "../kube/status.ts";

/** Stable codes of {@link SimError}. */
export const SimErrorCode = {
  NotFound: "LOOKOUT_SIM_NOT_FOUND",
  Conflict: "LOOKOUT_SIM_CONFLICT",
  AlreadyExists: "LOOKOUT_SIM_ALREADY_EXISTS",
  Invalid: "LOOKOUT_SIM_INVALID",
  UnknownResource: "LOOKOUT_SIM_UNKNOWN_RESOURCE",
  /** A malformed request (bad query parameter, body, selector): HTTP 400. */
  BadRequest: "LOOKOUT_SIM_BAD_REQUEST",
  /** A resourceVersion or continue token older than the server keeps: HTTP 410. */
  Expired: "LOOKOUT_SIM_EXPIRED",
  /** A resourceVersion newer than the server's: HTTP 504. */
  Timeout: "LOOKOUT_SIM_TIMEOUT",
  /** A request denied by a `faults.forbid` rule: HTTP 403 Forbidden. */
  Forbidden: "LOOKOUT_SIM_FORBIDDEN",
  /** Any other HTTP-only failure (405, 415, 429, 500): see `status.code`. */
  Http: "LOOKOUT_SIM_HTTP",
} as const;
/** One of the {@link SimErrorCode} values. */
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

/** A failed simulated API operation; `status` is the Kubernetes Status sent over HTTP. */
export class SimError extends Error {
  override readonly name = "SimError";
  readonly code: SimErrorCode;
  readonly status: Status;

  constructor(code: SimErrorCode, status: Status, options?: { cause?: unknown }) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`, options);
    this.code = code;
    this.status = status;
  }
}
