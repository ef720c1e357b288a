/**
 * Query strings of list and watch requests, built from the options. Invalid numbers are
 * rejected at the edge with a `RangeError` naming the value.
 */
import type { ListOptions, WatchOptions } from "./types.ts";

function positiveInteger(name: string, value: number, min: number): string {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return String(value);
}

function setIf(q: URLSearchParams, key: string, value: string | undefined): void {
  if (value !== undefined && value !== "") q.set(key, value);
}

/** `?labelSelector=...&limit=...` for one list page ("" when there is nothing to send). */
export function listQuery(options: ListOptions): string {
  const q = new URLSearchParams();
  setIf(q, "labelSelector", options.labelSelector);
  setIf(q, "fieldSelector", options.fieldSelector);
  if (options.limit !== undefined) q.set("limit", positiveInteger("limit", options.limit, 1));
  setIf(q, "continue", options.continue);
  // "" is meaningful for RV only as "absent"; "0" is sent as is.
  setIf(q, "resourceVersion", options.resourceVersion);
  setIf(q, "resourceVersionMatch", options.resourceVersionMatch);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

/** `?watch=1&...` for one watch request. */
export function watchQuery(options: WatchOptions): string {
  const q = new URLSearchParams();
  q.set("watch", "1");
  setIf(q, "labelSelector", options.labelSelector);
  setIf(q, "fieldSelector", options.fieldSelector);
  setIf(q, "resourceVersion", options.resourceVersion);
  setIf(q, "resourceVersionMatch", options.resourceVersionMatch);
  if (options.allowWatchBookmarks === true) q.set("allowWatchBookmarks", "true");
  if (options.sendInitialEvents !== undefined) {
    q.set("sendInitialEvents", String(options.sendInitialEvents));
  }
  if (options.timeoutSeconds !== undefined) {
    q.set("timeoutSeconds", positiveInteger("timeoutSeconds", options.timeoutSeconds, 0));
  }
  return `?${q.toString()}`;
}
