/**
 * The Kubernetes `Status` bodies the cache API answers errors with (the apiserver's shapes:
 * apimachinery `pkg/api/errors/errors.go`), and writing them.
 */
import type { ServerResponse } from "node:http";
import { failureStatus, type Status, type StatusDetails } from "../kube/index.ts";

export { failureStatus };

/** 404 for a path or resource the cache API does not serve. */
export function pathNotFound(): Status {
  return failureStatus(404, "NotFound", "the server could not find the requested resource", {});
}

/** 404 for one absent object: `pods "x" not found` (`deployments.apps "x"` outside core). */
export function objectNotFound(group: string, resource: string, name: string): Status {
  const qualified = group === "" ? resource : `${resource}.${group}`;
  const details: StatusDetails =
    group === "" ? { name, kind: resource } : { name, group, kind: resource };
  return failureStatus(404, "NotFound", `${qualified} "${name}" not found`, details);
}

/** 400 BadRequest naming the bad parameter. */
export function badRequest(message: string): Status {
  return failureStatus(400, "BadRequest", message);
}

/** 405 MethodNotAllowed: the cache API is read-only. */
export function methodNotAllowed(method: string): Status {
  return failureStatus(
    405,
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource: ${method} (the cache API is read-only: GET and HEAD only)`,
  );
}

/** 401 Unauthorized. */
export function unauthorized(): Status {
  return failureStatus(401, "Unauthorized", "Unauthorized");
}

/** 503 ServiceUnavailable, saying why. */
export function serviceUnavailable(message: string): Status {
  return failureStatus(503, "ServiceUnavailable", message);
}

/** 500 InternalError. */
export function internalError(message: string): Status {
  return failureStatus(
    500,
    "InternalError",
    `an error on the server ("${message}") has prevented the request from succeeding`,
  );
}

/** Writes `status` as the whole response (JSON, its own `code` as the HTTP status). */
export function sendStatus(
  res: ServerResponse,
  status: Status,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status.code, status, headers);
}

/** Writes `body` as one JSON response. For small bodies only (lists are streamed). */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}
