/**
 * `createCacheApi`: the read-only HTTP API over the informers' caches, the Helm checker's
 * results and the probes, as one request handler for the shared HTTP server.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HelmFinding, ReleaseState } from "../helm/index.ts";
import type { ResourceId } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import { silentLogger } from "../logging/index.ts";
import { compileRedaction, type Redaction } from "../events/index.ts";
import { SelectorError } from "../selectors/index.ts";
import type { RequestHandler } from "./auth.ts";
import { ApiInvalidOptionError } from "./errors.ts";
import { replayChunks, streamList } from "./list-stream.ts";
import type { ResourceEntry, ServedResource } from "./registry.ts";
import { buildRegistry } from "./registry.ts";
import { parseRoute, type Route } from "./route.ts";
import { compileSelection, selectObjects } from "./select.ts";
import { SelectionCache } from "./selection-cache.ts";
import type { RawObject } from "../kube/index.ts";
import {
  badRequest,
  internalError,
  methodNotAllowed,
  serviceUnavailable,
  objectNotFound,
  pathNotFound,
  sendJson,
  sendStatus,
} from "./status.ts";

/** What `/readyz` answers: ready, or the reasons why not. */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** The Helm checker's read side (a `HelmChecker` satisfies it). */
export interface HelmSource {
  findings(): readonly HelmFinding[];
  releases(): readonly ReleaseState[];
  /** When present, the default readiness waits for `status().ready` (the first scan done). */
  status?(): { readonly ready: boolean };
  /**
   * When present and it returns a message, the results are not here (a follower replica: the
   * leader runs the checks): the Helm paths answer 503 ServiceUnavailable with the message, and
   * readiness does not wait for a scan.
   */
  unavailable?(): string | undefined;
}

/** When a resource's cache was last verified against the API server. */
export interface Verification {
  readonly resourceVersion: string;
  /** ms since epoch. */
  readonly at: number;
}

/** Options of {@link createCacheApi}. */
export interface CacheApiOptions {
  /** The served resources (see {@link ServedResource}); none is allowed. */
  readonly resources: readonly ServedResource[];
  /** The Helm results; without it the `/api/v1/helm/*` paths answer 404. */
  readonly helm?: HelmSource;
  /**
   * What `/readyz` reports. Default: ready when every served cache has synced and, with a
   * `helm` source that has `status()`, its first scan is done; the reasons name what is not.
   */
  readonly readiness?: () => Readiness;
  /** When each resource's cache was last verified (e.g. by the watch-verify plugin). */
  readonly lastVerified?: (resource: ResourceId) => Verification | undefined;
  /**
   * The HMAC key for Secret values (≥ 16 bytes). Secrets are served with every `data` and
   * `stringData` value replaced by `hmac-sha256:<hex>` (the events' redaction). Default: 32
   * random bytes per API instance (hashes are comparable only within one process's lifetime).
   */
  readonly secretHashKey?: Uint8Array;
  /**
   * Bytes of encoded list bodies kept for repeats: while a cache stays at the same
   * resourceVersion, the same list (resource, namespace, selectors) is answered with the bytes
   * written the first time. Bodies are kept whole or not at all, least recently used dropped
   * first. Default {@link DEFAULT_LIST_CACHE_BYTES}; 0 keeps none (the selected objects are
   * still remembered: they are references).
   */
  readonly listCacheBytes?: number;
  /** Where failures while streaming a response go. Default silent. */
  readonly logger?: Logger;
}

/** The default `listCacheBytes`: 32 MiB. */
export const DEFAULT_LIST_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The handler `createCacheApi` returns: true when it answered the request. `close()` removes
 * the event handlers the API registered on the informers (call it when the API is dropped,
 * e.g. replaced after a reconfiguration, while its informers live on); idempotent. The
 * handler goes on answering after `close()`, without remembering lists.
 */
export type CacheApiHandler = RequestHandler & { close(): void };

const HEADER_SYNCED_AT = "X-Kube-Lookout-Synced-At";
const HEADER_RV = "X-Kube-Lookout-Resource-Version";
const HEADER_VERIFIED_AT = "X-Kube-Lookout-Verified-At";
const HEADER_VERIFIED_RV = "X-Kube-Lookout-Verified-Resource-Version";

/**
 * Builds the cache API's request handler. It answers `/healthz`, `/readyz` and every path
 * under `/api/` (returning true), and returns false for anything else (e.g. `/metrics`) so
 * that the host server can answer it. It never sends a request to the API server: lists and
 * gets are served from the caches. Validates `options` at once: throws `ApiInvalidOptionError`
 * (`LOOKOUT_API_INVALID_OPTION`) naming the bad option, or the redaction's
 * `LOOKOUT_EVENTS_INVALID_OPTION` for a short `secretHashKey`.
 */
export function createCacheApi(options: CacheApiOptions): CacheApiHandler {
  if (typeof options !== "object" || options === null) {
    throw new ApiInvalidOptionError("options", options, "an object");
  }
  const { entries: registry, close } = buildRegistry(options.resources);
  for (const name of ["readiness", "lastVerified"] as const) {
    const fn: unknown = options[name];
    if (fn !== undefined && typeof fn !== "function") {
      throw new ApiInvalidOptionError(name, fn, "a function");
    }
  }
  const helm = options.helm;
  if (
    helm !== undefined &&
    (typeof helm.findings !== "function" || typeof helm.releases !== "function")
  ) {
    throw new ApiInvalidOptionError("helm", helm, "an object with findings() and releases()");
  }
  const redact = compileRedaction({ hashKey: options.secretHashKey ?? randomBytes(32) });
  const logger = options.logger ?? silentLogger;
  const bodyBudget = options.listCacheBytes ?? DEFAULT_LIST_CACHE_BYTES;
  if (typeof bodyBudget !== "number" || !Number.isSafeInteger(bodyBudget) || bodyBudget < 0) {
    throw new ApiInvalidOptionError("listCacheBytes", bodyBudget, "an integer ≥ 0");
  }
  const readiness = options.readiness ?? (() => defaultReadiness(registry, helm));
  const ctx: Context = {
    selections: new SelectionCache(bodyBudget),
    registry,
    helm,
    readiness,
    lastVerified: options.lastVerified,
    redact,
    logger,
  };
  const handle: RequestHandler = (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const route = parseRoute(q === -1 ? url : url.slice(0, q));
    if (route === undefined) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendStatus(res, methodNotAllowed(req.method ?? ""), { Allow: "GET, HEAD" });
      return true;
    }
    try {
      serve(ctx, route, new URLSearchParams(q === -1 ? "" : url.slice(q + 1)), req, res);
    } catch (err) {
      fail(ctx, res, err);
    }
    return true;
  };
  return Object.assign(handle, { close });
}

interface Context {
  readonly registry: Map<string, ResourceEntry>;
  readonly helm: HelmSource | undefined;
  readonly readiness: () => Readiness;
  readonly lastVerified: ((resource: ResourceId) => Verification | undefined) | undefined;
  readonly redact: Redaction;
  readonly logger: Logger;
  readonly selections: SelectionCache;
}

function defaultReadiness(
  registry: Map<string, ResourceEntry>,
  helm: HelmSource | undefined,
): Readiness {
  const reasons: string[] = [];
  for (const e of registry.values()) {
    if (!e.informer.hasSynced()) reasons.push(`cache of ${e.route} has not synced`);
  }
  if (helm?.status !== undefined && helm.unavailable?.() === undefined && !helm.status().ready) {
    reasons.push("the first Helm scan has not finished");
  }
  return { ready: reasons.length === 0, reasons };
}

function fail(ctx: Context, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    ctx.logger.warn("cache API response failed", { error: err });
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  if (err instanceof SelectorError) {
    sendStatus(res, badRequest(err.message));
    return;
  }
  ctx.logger.warn("cache API request failed", { error: err });
  sendStatus(res, internalError(err instanceof Error ? err.message : String(err)));
}

function serve(
  ctx: Context,
  route: Route,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  switch (route.type) {
    case "healthz":
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 2 });
      res.end(req.method === "HEAD" ? undefined : "ok");
      return;
    case "readyz": {
      const r = ctx.readiness();
      sendJson(res, r.ready ? 200 : 503, { ready: r.ready, reasons: r.reasons });
      return;
    }
    case "helm":
      if (ctx.helm === undefined) {
        sendStatus(res, pathNotFound());
        return;
      }
      {
        const why = ctx.helm.unavailable?.();
        if (why !== undefined) {
          sendStatus(res, serviceUnavailable(why));
          return;
        }
      }
      sendJson(res, 200, {
        kind: route.what === "findings" ? "HelmFindingList" : "HelmReleaseList",
        items: route.what === "findings" ? ctx.helm.findings() : ctx.helm.releases(),
      });
      return;
    case "notFound":
      sendStatus(res, pathNotFound());
      return;
    case "badPath":
      sendStatus(res, badRequest(route.message));
      return;
    case "resource":
      serveResource(ctx, route, query, req, res);
  }
}

function cacheHeaders(ctx: Context, entry: ResourceEntry): Record<string, string> {
  const h: Record<string, string> = {
    [HEADER_RV]: entry.informer.lastSyncResourceVersion,
    "Cache-Control": "no-store",
  };
  const synced = entry.lastSyncedAt();
  if (synced !== undefined) h[HEADER_SYNCED_AT] = new Date(synced).toISOString();
  const verified = ctx.lastVerified?.(entry.resource);
  if (verified !== undefined) {
    h[HEADER_VERIFIED_AT] = new Date(verified.at).toISOString();
    h[HEADER_VERIFIED_RV] = verified.resourceVersion;
  }
  return h;
}

function serveResource(
  ctx: Context,
  route: Extract<Route, { type: "resource" }>,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const entry = ctx.registry.get(route.resource);
  // A namespaced path for a cluster-scoped resource, or one object of a namespaced resource
  // without its namespace, is no path of ours.
  if (
    entry === undefined ||
    (route.namespace !== undefined && !entry.namespaced) ||
    (route.namespace === undefined && route.name !== undefined && entry.namespaced)
  ) {
    sendStatus(res, pathNotFound());
    return;
  }
  // As the API server does with a watch cache that is (re)initializing: an empty list or a 404
  // from a cache that has not synced would read as the cluster's state.
  if (!(entry.informer.canAnswer?.() ?? entry.informer.hasSynced())) {
    sendStatus(res, serviceUnavailable(`cache of ${entry.route} has not synced`), {
      "Retry-After": "1",
      "Cache-Control": "no-store",
    });
    return;
  }
  const headers = cacheHeaders(ctx, entry);
  const render = entry.isSecret
    ? (obj: RawObject): string => JSON.stringify(ctx.redact(obj.object, entry.resource))
    : (obj: RawObject): string => obj.json;
  if (route.name !== undefined) {
    const obj = entry.informer.store.getByKey(route.namespace ?? "", route.name);
    if (obj === undefined) {
      sendStatus(
        res,
        objectNotFound(entry.resource.group, entry.resource.resource, route.name),
        headers,
      );
      return;
    }
    const text = render(obj);
    res.writeHead(200, {
      ...headers,
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(req.method === "HEAD" ? undefined : text);
    return;
  }
  const labelSelector = query.get("labelSelector") ?? "";
  const fieldSelector = query.get("fieldSelector") ?? "";
  const selection = compileSelection(entry, labelSelector, fieldSelector);
  const rv = entry.informer.lastSyncResourceVersion;
  const key = `${entry.route}\u0000${route.namespace ?? ""}\u0000${labelSelector}\u0000${fieldSelector}`;
  const list = ctx.selections.get(key, entry.version(), () =>
    selectObjects(entry, route.namespace, selection),
  );
  res.writeHead(200, { ...headers, "Content-Type": "application/json" });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  if (list.chunks !== undefined) {
    replayChunks(res, list.chunks).catch((err: unknown) => fail(ctx, res, err));
    return;
  }
  const kept: Buffer[] = [];
  let bytes = 0;
  let keeping = ctx.selections.fits(1);
  const keep = (chunk: Buffer): void => {
    if (!keeping) return;
    bytes += chunk.length;
    if (ctx.selections.fits(bytes)) kept.push(chunk);
    else {
      keeping = false;
      kept.length = 0;
    }
  };
  const head = `{"kind":${JSON.stringify(entry.listKind)},"apiVersion":${JSON.stringify(entry.apiVersion)},"metadata":{"resourceVersion":${JSON.stringify(rv)}},"items":[`;
  const stream = async (): Promise<void> => {
    const whole = await streamList(res, head, list.items, render, keep);
    if (whole && keeping) ctx.selections.keepBody(key, list, kept, bytes);
  };
  stream().catch((err: unknown) => fail(ctx, res, err));
}
