/**
 * Starting a watch stream: the RV semantics (initial ADDEDs for ""/"0", history replay from N,
 * 410 as an in-stream ERROR when N is too old), streaming lists with the initial-events-end
 * bookmark, periodic bookmarks and the timeout.
 */
import type { ServerResponse } from "node:http";
import type { ParsedListOptions } from "./list-options.ts";
import { parseRv } from "./list-options.ts";
import { sortedObjects } from "./stored.ts";
import type { ResourceTable } from "./stored.ts";
import type { ObjectStore } from "./store.ts";
import type { WatchHub } from "./watch-hub.ts";
import { Watcher } from "./watcher.ts";
import { failure } from "./status.ts";

/** What a watch needs from the cluster. */
export interface WatchContext {
  readonly store: ObjectStore;
  readonly hub: WatchHub;
  readonly watchList: boolean;
  readonly bookmarkIntervalMs: number;
  /** A watcher whose unsent queue passes this (in characters of JSON) is ended. */
  readonly maxWatcherBufferBytes: number;
  /** Monotonic counter giving watchers their age order. */
  nextWatchId(): number;
}

const MIN_REQUEST_TIMEOUT_S = 1800;

/**
 * Answers a watch request: 200 and a stream of `{"type","object"}` lines. With
 * `metadataApiVersion` (e.g. `meta.k8s.io/v1`) every object, bookmarks included, is a
 * `PartialObjectMetadata`; otherwise whole objects.
 */
export function serveWatch(
  ctx: WatchContext,
  table: ResourceTable,
  namespace: string,
  opts: ParsedListOptions,
  res: ServerResponse,
  metadataApiVersion?: string,
): void {
  const { store } = ctx;
  const rvText = opts.resourceVersion;
  const fromStart = rvText === undefined || rvText === "0";
  let sendInitial: boolean;
  let endBookmark: boolean;
  if (opts.sendInitialEvents !== undefined) {
    sendInitial = opts.sendInitialEvents;
    endBookmark = sendInitial && opts.allowWatchBookmarks;
  } else {
    sendInitial = fromStart;
    // With the WatchList gate on, a legacy ""/"0" watch is defaulted to a streaming list.
    endBookmark = fromStart && ctx.watchList && opts.allowWatchBookmarks;
  }
  const requested = fromStart ? store.rv : parseRv(rvText);

  res.writeHead(200, {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
    "Transfer-Encoding": "chunked",
  });

  if (!sendInitial && requested < store.history.compactedRv) {
    const status = failure(
      410,
      "Expired",
      `too old resource version: ${requested} (${store.history.compactedRv})`,
    );
    res.end(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    return;
  }

  const fromRv = sendInitial ? store.rv : requested;
  const w = new Watcher(
    table,
    res,
    { namespace, labelMatcher: opts.labelMatcher, fieldMatcher: opts.fieldMatcher },
    fromRv,
    ctx.nextWatchId(),
    (closed) => ctx.hub.remove(closed),
    ctx.maxWatcherBufferBytes,
    metadataApiVersion,
  );
  if (sendInitial) {
    for (const o of sortedObjects(table)) {
      if (w.selects(o)) w.enqueue(`{"type":"ADDED","object":${w.objectJson(o)}}\n`);
    }
    if (endBookmark) w.bookmark(store.rv, true);
  } else {
    for (const ev of store.history.after(requested)) if (ev.table === table) w.offer(ev);
  }
  w.goLive();
  ctx.hub.add(w);

  if (opts.allowWatchBookmarks) {
    w.addTimer(
      setInterval(() => {
        w.bookmark(Math.max(store.rv, fromRv), false);
        w.flush();
      }, ctx.bookmarkIntervalMs),
    );
  }
  const timeoutMs =
    opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0
      ? opts.timeoutSeconds * 1000
      : MIN_REQUEST_TIMEOUT_S * 1000 * (1 + Math.random());
  w.addTimer(
    setTimeout(() => {
      if (opts.allowWatchBookmarks) w.bookmark(Math.max(store.rv, fromRv), false);
      w.end();
    }, timeoutMs),
  );
  res.flushHeaders();
  w.flush();
}
