/**
 * Classifies errors from the list/watch client for the reflector's retry decisions
 * (client-go `isExpiredError`, `isTooLargeResourceVersionError`, `isWatchErrorRetriable`).
 * Reads the `KubeApiError` fields by shape (`code`, `statusCode`, `status`, `retryAfterSeconds`).
 */
import { isStatus, type Status } from "../kube/index.ts";
import { WatchExpiredError } from "./errors.ts";

interface ApiErrorShape {
  readonly statusCode: number;
  readonly status: Status | undefined;
  readonly retryAfterSeconds: number | undefined;
}

/** The `code` property of an error-like value, if any. */
export function codeOf(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

function apiError(err: unknown): ApiErrorShape | undefined {
  if (
    typeof err !== "object" ||
    err === null ||
    !("code" in err) ||
    err.code !== "LOOKOUT_KUBE_API" ||
    !("statusCode" in err) ||
    typeof err.statusCode !== "number"
  ) {
    return undefined;
  }
  return {
    statusCode: err.statusCode,
    status: "status" in err && isStatus(err.status) ? err.status : undefined,
    retryAfterSeconds:
      "retryAfterSeconds" in err && typeof err.retryAfterSeconds === "number"
        ? err.retryAfterSeconds
        : undefined,
  };
}

/** The HTTP status of an API error, undefined for anything else. */
export function httpStatus(err: unknown): number | undefined {
  return apiError(err)?.statusCode;
}

/** 410 Expired/Gone from a request, or an expired watch stream. */
export function isExpiredError(err: unknown): boolean {
  if (err instanceof WatchExpiredError) return true;
  const api = apiError(err);
  if (api === undefined || api.statusCode !== 410) return false;
  const reason = api.status?.reason;
  return reason === undefined || reason === "Expired" || reason === "Gone";
}

/** The requested resourceVersion is newer than the server knows. */
export function isTooLargeResourceVersionError(err: unknown): boolean {
  const status = apiError(err)?.status;
  if (status === undefined) return false;
  if (status.details?.causes?.some((c) => c.type === "ResourceVersionTooLarge") === true) {
    return true;
  }
  return (
    status.reason === "Timeout" && (status.message ?? "").includes("Too large resource version")
  );
}

/** The server's Retry-After, in ms, when it gave one. */
export function retryAfterMs(err: unknown): number | undefined {
  const s = apiError(err)?.retryAfterSeconds;
  return s === undefined ? undefined : s * 1000;
}

/** True for failures after which a watch is retried without a relist. */
export function isWatchRetriable(err: unknown): boolean {
  const status = httpStatus(err);
  if (status === 429) return true;
  if (status !== undefined) return false;
  const code = codeOf(err);
  if (code === "LOOKOUT_WATCH_STALLED") return true;
  return (
    typeof code === "string" &&
    (code === "ECONNREFUSED" ||
      code === "ECONNRESET" ||
      code === "EPIPE" ||
      code.startsWith("UND_ERR_"))
  );
}

/** A stalled watch (no byte for `stallTimeoutMs`). */
export function isStalled(err: unknown): boolean {
  return codeOf(err) === "LOOKOUT_WATCH_STALLED";
}
