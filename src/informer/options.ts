/**
 * Informer options: their types, defaults and validation (typed errors naming the bad value).
 */
import type { Logger } from "../logging/index.ts";
import { silentLogger } from "../logging/index.ts";
import type { KubeObject, ListWatchClient, ResourceId } from "../kube/index.ts";
import { InvalidInformerOptionError } from "./errors.ts";
import type { InformerMetrics } from "./metrics.ts";
import { noopInformerMetrics } from "./metrics.ts";
import { guardMetrics } from "./guarded-metrics.ts";
import type { IndexFunc } from "./store.ts";

/** How the informer does its initial list: streaming (WatchList) or paged LIST. */
export type WatchListMode = "auto" | "on" | "off";

/** The resourceVersion of the first paged LIST: "0" (any, may be stale) or "" (consistent). */
export type InitialListResourceVersion = "0" | "";

/** Timer seam: `setTimeout`/`clearTimeout`-like. Handles returned are unref'd by the default. */
export interface InformerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of an {@link Informer}. Only `client` and `resource` are required. */
export interface InformerOptions {
  /** The list/watch client (`KubeClient` over HTTP). */
  readonly client: ListWatchClient;
  /** The resource to watch. */
  readonly resource: ResourceId;
  /** Watch one namespace; all namespaces when undefined or "". */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** LIST page size (`limit`). Default 500. */
  readonly pageSize?: number;
  /**
   * The resourceVersion of the first paged LIST (not used by a streaming list). "0" (default,
   * like client-go): served from the API server's watch cache, possibly stale, and in one
   * response whatever `pageSize` is. "": a consistent read, which the server pages by
   * `pageSize`. Relists after a sync use the last resourceVersion seen either way.
   */
  readonly initialListResourceVersion?: InitialListResourceVersion;
  /**
   * "auto" (default): try a streaming list; fall back to paged LIST for good once the server
   * refuses it (a 4xx answer, or a bookmark without the initial-events-end annotation). A
   * stream that only ends early (which a reset connection does too) gets one paged LIST for
   * that sync, and the next sync streams again. "on": always stream. "off": always paged LIST.
   */
  readonly watchList?: WatchListMode;
  /** Reconnect a watch that receives no byte for this long (ms). Default 300 000; 0 disables. */
  readonly stallTimeoutMs?: number;
  /** Keep `metadata.managedFields` (default false: the client strips them). */
  readonly keepManagedFields?: boolean;
  /**
   * Applied once to every object as it arrives (not to tombstones or resyncs); the result is
   * re-serialized. Must be idempotent and must not change namespace or name. Should not throw:
   * when it throws for an object, a `TransformFailedError` (`LOOKOUT_INFORMER_TRANSFORM_FAILED`,
   * naming the object's key, `cause` = what it threw) goes to the error sink once for that
   * arrival, and the object is skipped while the informer goes on syncing the rest: a listed
   * object is left out of the list (so an older cached version is removed as if deleted), an
   * ADDED or MODIFIED event is dropped, and a DELETED event still deletes.
   */
  readonly transform?: (obj: KubeObject) => KubeObject;
  /**
   * Extra indexes besides `namespace` (which always exists). An index function that throws
   * for an object is reported (`LOOKOUT_INFORMER_INDEX_FAILED`); the object is then cached
   * without entries in that index.
   */
  readonly indexers?: Readonly<Record<string, IndexFunc>>;
  /** Watch `timeoutSeconds` is drawn uniformly from [min, max]. Default [300, 600]. */
  readonly watchTimeoutSeconds?: readonly [min: number, max: number];
  /**
   * Retry backoff: `initialMs` doubling to `maxMs`, each delay uniform in [d, 2d) capped at
   * `maxMs` (client-go jitter 1.0). A server's Retry-After only lengthens it. Default 800 / 30 000.
   */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Stops the informer when aborted (like `close()`). */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly metrics?: InformerMetrics;
  /** Clock seam (ms since epoch). Default `Date`. */
  readonly clock?: { now(): number };
  /** Uniform [0,1) seam for jitter and watch timeouts. Default `Math.random`. */
  readonly random?: () => number;
  /** Timer seam for backoff sleeps and resync. Default: global timers, unref'd. */
  readonly timers?: InformerTimers;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly client: ListWatchClient;
  readonly resource: ResourceId;
  readonly namespace: string;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  readonly pageSize: number;
  readonly initialListResourceVersion: InitialListResourceVersion;
  readonly watchList: WatchListMode;
  readonly stallTimeoutMs: number;
  readonly stripManagedFields: boolean;
  readonly transform: ((obj: KubeObject) => KubeObject) | undefined;
  readonly indexers: Readonly<Record<string, IndexFunc>>;
  readonly watchTimeoutSeconds: readonly [number, number];
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly metrics: InformerMetrics;
  readonly now: () => number;
  readonly random: () => number;
  readonly timers: InformerTimers;
}

class DefaultTimer {
  readonly handle: NodeJS.Timeout;
  constructor(fn: () => void, ms: number) {
    this.handle = setTimeout(fn, ms);
    this.handle.unref();
  }
}

/** The default timers: global, unref'd so the informer never keeps the process alive. */
export const defaultTimers: InformerTimers = {
  setTimeout: (fn, ms) => new DefaultTimer(fn, ms),
  clearTimeout(handle) {
    if (handle instanceof DefaultTimer) clearTimeout(handle.handle);
  },
};

function bad(option: string, value: unknown, expected: string): never {
  throw new InvalidInformerOptionError(option, value, expected);
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") bad(name, value, "a string");
  return value;
}

function intAtLeast(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    bad(name, value, `an integer ≥ ${min}`);
  }
  return value;
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== "function") bad(name, value, "a function");
  return value;
}

/** Applies defaults and validates; throws `LOOKOUT_INFORMER_INVALID_OPTION` naming the option. */
export function resolveOptions(options: InformerOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) bad("options", options, "an object");
  const client: Partial<ListWatchClient> | undefined = options.client;
  if (
    typeof client !== "object" ||
    client === null ||
    typeof client.list !== "function" ||
    typeof client.watch !== "function"
  ) {
    bad("client", client, "a ListWatchClient (list and watch methods)");
  }
  const r: Partial<ResourceId> | undefined = options.resource;
  if (
    typeof r !== "object" ||
    r === null ||
    typeof r.group !== "string" ||
    typeof r.version !== "string" ||
    r.version === "" ||
    typeof r.resource !== "string" ||
    r.resource === ""
  ) {
    bad("resource", r, "a ResourceId { group, version, resource }");
  }
  const watchList = options.watchList ?? "auto";
  if (watchList !== "auto" && watchList !== "on" && watchList !== "off") {
    bad("watchList", watchList, '"auto", "on" or "off"');
  }
  const initialListResourceVersion = options.initialListResourceVersion ?? "0";
  if (initialListResourceVersion !== "0" && initialListResourceVersion !== "") {
    bad("initialListResourceVersion", initialListResourceVersion, '"0" or ""');
  }
  const wts = options.watchTimeoutSeconds ?? [300, 600];
  if (
    !Array.isArray(wts) ||
    wts.length !== 2 ||
    !wts.every((n) => Number.isSafeInteger(n) && n >= 1) ||
    wts[0] > wts[1]
  ) {
    bad("watchTimeoutSeconds", wts, "[min, max] integers with 1 ≤ min ≤ max");
  }
  const indexers = options.indexers ?? {};
  if (typeof indexers !== "object" || indexers === null) bad("indexers", indexers, "an object");
  for (const [name, fn] of Object.entries(indexers)) {
    if (typeof fn !== "function") bad(`indexers.${name}`, fn, "a function");
    if (name === "namespace") bad("indexers.namespace", name, "a name other than namespace");
  }
  const backoffInitialMs = intAtLeast("backoff.initialMs", options.backoff?.initialMs, 800, 1);
  const backoffMaxMs = intAtLeast("backoff.maxMs", options.backoff?.maxMs, 30_000, 1);
  if (backoffMaxMs < backoffInitialMs) bad("backoff.maxMs", backoffMaxMs, "≥ backoff.initialMs");
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    bad("signal", signal, "an AbortSignal");
  }
  const logger = options.logger;
  if (
    logger !== undefined &&
    (typeof logger !== "object" ||
      logger === null ||
      typeof logger.warn !== "function" ||
      typeof logger.info !== "function" ||
      typeof logger.debug !== "function" ||
      typeof logger.error !== "function")
  ) {
    bad("logger", logger, "a Logger (debug, info, warn, error)");
  }
  const metrics = options.metrics;
  if (metrics !== undefined && (typeof metrics !== "object" || metrics === null)) {
    bad("metrics", metrics, "an InformerMetrics object");
  }
  const clock = options.clock;
  if (clock !== undefined && typeof clock.now !== "function") bad("clock", clock, "{ now() }");
  const timers = options.timers;
  if (
    timers !== undefined &&
    (typeof timers.setTimeout !== "function" || typeof timers.clearTimeout !== "function")
  ) {
    bad("timers", timers, "{ setTimeout, clearTimeout }");
  }
  return {
    client: options.client,
    resource: { group: r.group, version: r.version, resource: r.resource },
    namespace: optionalString("namespace", options.namespace) ?? "",
    labelSelector: optionalString("labelSelector", options.labelSelector),
    fieldSelector: optionalString("fieldSelector", options.fieldSelector),
    pageSize: intAtLeast("pageSize", options.pageSize, 500, 1),
    initialListResourceVersion,
    watchList,
    stallTimeoutMs: intAtLeast("stallTimeoutMs", options.stallTimeoutMs, 300_000, 0),
    stripManagedFields: options.keepManagedFields !== true,
    transform: optionalFunction("transform", options.transform),
    indexers,
    watchTimeoutSeconds: [wts[0], wts[1]],
    backoffInitialMs,
    backoffMaxMs,
    signal,
    logger: logger ?? silentLogger,
    // Every hook call goes through one guard: a throwing hook never reaches the informer.
    metrics: guardMetrics(metrics ?? noopInformerMetrics, logger ?? silentLogger),
    now: clock === undefined ? Date.now : () => clock.now(),
    random: optionalFunction("random", options.random) ?? Math.random,
    timers: timers ?? defaultTimers,
  };
}
