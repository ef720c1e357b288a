/**
 * The reflector's watch request options (client-go reflector `watch`/`watchList`) and the
 * error an in-stream ERROR event stands for.
 */
import type { Status, WatchOptions } from "../kube/index.ts";
import { WatchErrorEventError, WatchExpiredError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";

/**
 * Options of one watch from `resourceVersion`: bookmarks on, a random timeout in
 * `watchTimeoutSeconds`, and with `streaming` a streaming list (`sendInitialEvents`).
 */
export function watchOptions(
  o: ResolvedOptions,
  streaming: boolean,
  resourceVersion: string,
): WatchOptions {
  const [min, max] = o.watchTimeoutSeconds;
  return {
    namespace: o.namespace,
    resourceVersion,
    allowWatchBookmarks: true,
    timeoutSeconds: min + Math.floor(o.random() * (max - min + 1)),
    stripManagedFields: o.stripManagedFields,
    ...(o.stallTimeoutMs > 0 ? { stallTimeoutMs: o.stallTimeoutMs } : {}),
    ...(o.labelSelector === undefined ? {} : { labelSelector: o.labelSelector }),
    ...(o.fieldSelector === undefined ? {} : { fieldSelector: o.fieldSelector }),
    ...(streaming ? { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" } : {}),
  };
}

/** The error for an ERROR event: `WatchExpiredError` for 410 Expired/Gone, else its status. */
export function errorEventError(status: Status, rv: string): Error {
  if (status.code === 410 || status.reason === "Expired" || status.reason === "Gone") {
    return new WatchExpiredError(rv, status.message);
  }
  return new WatchErrorEventError(status.code, status.reason, status.message);
}
