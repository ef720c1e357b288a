/**
 * Errors of the HTTP list/watch client. Callers match on `code`, never on message text.
 */
import { isStatus, type Status } from "./status.ts";

/** A non-2xx answer from the API server, for a list or a watch request. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly code = "LOOKOUT_KUBE_API";
  /** The HTTP status code. */
  readonly statusCode: number;
  /** `Status.reason` when the body was a Status (`Expired`, `Gone`, `TooManyRequests`, ...). */
  readonly reason: string | undefined;
  /** The Status object when the body was one. */
  readonly status: Status | undefined;
  /** From the `Retry-After` header, else from `status.details.retryAfterSeconds`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    fields: {
      statusCode: number;
      status?: Status | undefined;
      retryAfterSeconds?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.statusCode = fields.statusCode;
    this.status = fields.status;
    this.reason = fields.status?.reason;
    this.retryAfterSeconds = fields.retryAfterSeconds;
  }
}

/** A 2xx answer whose body could not be read as the expected JSON (list body or watch line). */
export class KubeBadResponseError extends Error {
  override readonly name = "KubeBadResponseError";
  readonly code = "LOOKOUT_KUBE_BAD_RESPONSE";
  /** Byte offset in the body or line where reading failed, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, options?: ErrorOptions) {
    super(message, options);
    this.offset = offset;
  }
}

/**
 * No byte arrived for `stallTimeoutMs` (e.g. a half-open connection): on a watch stream, or on a
 * list request, before its headers or between chunks of its body. The request was destroyed.
 */
export class WatchStalledError extends Error {
  override readonly name = "WatchStalledError";
  readonly code = "LOOKOUT_WATCH_STALLED";
  readonly stallTimeoutMs: number;

  constructor(stallTimeoutMs: number, options?: ErrorOptions) {
    super(`request stalled: no byte received for ${stallTimeoutMs} ms`, options);
    this.stallTimeoutMs = stallTimeoutMs;
  }
}

/** The client cannot be configured: no current cluster, bad server URL, rejected auth setup. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  readonly code = "LOOKOUT_KUBE_CONFIG";
}

function statusOf(value: unknown): Status | undefined {
  if (value instanceof KubeApiError) return value.status;
  return isStatus(value) ? value : undefined;
}

function codeOf(value: unknown): number | undefined {
  if (value instanceof KubeApiError) return value.statusCode;
  return statusOf(value)?.code;
}

/**
 * True when `value` (a {@link KubeApiError} or a Status, e.g. of a watch ERROR event) says the
 * requested resourceVersion or continue token is gone: HTTP 410 with reason `Expired` or `Gone`
 * (client-go `isExpiredError`; servers up to 1.17 sent `Gone`).
 */
export function isExpired(value: unknown): boolean {
  if (codeOf(value) !== 410) return false;
  const reason = statusOf(value)?.reason;
  return reason === "Expired" || reason === "Gone";
}

/**
 * True when `value` (a {@link KubeApiError} or a Status) says the requested resourceVersion is
 * newer than the server knows: a cause of type `ResourceVersionTooLarge`, or a `Timeout` status
 * whose message contains "Too large resource version" (client-go
 * `isTooLargeResourceVersionError`).
 */
export function isTooLargeResourceVersion(value: unknown): boolean {
  const status = statusOf(value);
  if (status === undefined) return false;
  const causes = status.details?.causes;
  if (causes?.some((c) => c.type === "ResourceVersionTooLarge") === true) return true;
  return (
    status.reason === "Timeout" &&
    typeof status.message === "string" &&
    status.message.includes("Too large resource version")
  );
}

/**
 * The delay the server asked for, in milliseconds: `retryAfterSeconds` of a {@link KubeApiError}
 * (header or Status details) or of a Status; undefined when there is none.
 */
export function retryAfterMs(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (value instanceof KubeApiError) seconds = value.retryAfterSeconds;
  else seconds = statusOf(value)?.details?.retryAfterSeconds;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** A request was made on a `KubeClient` after `close()`. */
export class KubeClientClosedError extends Error {
  override readonly name = "KubeClientClosedError";
  readonly code = "LOOKOUT_KUBE_CLOSED";

  constructor() {
    super("KubeClient is closed");
  }
}
