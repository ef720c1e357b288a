/**
 * `startSimulatedCluster`: an in-process `node:http` server speaking the Kubernetes REST
 * list/watch protocol, with an in-process object API, fault injection and a load driver.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { ResourceDefinition, ResourceId } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { silentLogger } from "../logging/index.ts";
import type { Logger } from "../logging/index.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import { RequestFaults } from "./faults.ts";
import type { SimVerb } from "./faults.ts";
import { handleRequest } from "./http-server.ts";
import type { RequestRecord, ServerContext } from "./http-server.ts";
import { kubeConfigYaml } from "./kubeconfig.ts";
import { Snapshots } from "./list-serve.ts";
import { churn, seed } from "./load.ts";
import type { ChurnOptions } from "./load.ts";
import { BUILTIN_RESOURCES, INITIAL_NAMESPACES } from "./registry-table.ts";
import { Registry } from "./registry.ts";
import { failure } from "./status.ts";
import { parseJson, parseKubeObject } from "./json.ts";
import { ObjectStore } from "./store.ts";
import { sortedObjects } from "./stored.ts";
import type { StoredObject } from "./stored.ts";
import { WatchHub } from "./watch-hub.ts";

/** Options of {@link startSimulatedCluster}. */
export interface SimulatedClusterOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default "v1.32.0"; /version derives major/minor from it. */
  gitVersion?: string;
  /** Watch history kept, in events; default 10_000; a watch from an older RV gets 410 Expired. */
  historySize?: number;
  /** Cadence of BOOKMARKs to watchers that allow them; default 60_000. */
  bookmarkIntervalMs?: number;
  /** Continue tokens older than this get 410; default 300_000. */
  continueTtlMs?: number;
  /** Serve sendInitialEvents streaming lists; default true. */
  watchList?: boolean;
  /** Extra resources besides the built-in registry. */
  resources?: ResourceDefinition[];
  /** ms since epoch; default Date.now. Used for timestamps and continue-token age. */
  clock?: () => number;
  logger?: Logger;
}

/** Options of `faults.failRequests`. */
export interface FailRequestsOptions {
  status: number;
  retryAfterSeconds?: number;
  /** Default 1. */
  count?: number;
  verb?: SimVerb;
  resource?: ResourceId | string;
}

/** A running simulated cluster. See docs/contracts-sim.md. */
export interface SimulatedCluster extends AsyncDisposable {
  /** "http://127.0.0.1:PORT". */
  readonly url: string;
  readonly port: number;
  /** The current global resourceVersion (opaque decimal string). */
  readonly resourceVersion: string;
  /** A kubeconfig (cluster "sim", context "sim", no auth) for kubectl / client-node. */
  kubeConfigYaml(): string;
  /** Serves another resource from now on. Throws LOOKOUT_SIM_INVALID for an empty name part. */
  registerResource(def: ResourceDefinition): void;
  /** Creates like POST; throws SimError (ALREADY_EXISTS, INVALID, UNKNOWN_RESOURCE). */
  create(resource: ResourceId | string, object: KubeObject): KubeObject;
  /** A fresh copy of the object, or undefined. */
  get(resource: ResourceId | string, namespace: string, name: string): KubeObject | undefined;
  /** Fresh copies, sorted by namespace/name; all namespaces when `namespace` is undefined/"". */
  list(resource: ResourceId | string, namespace?: string): KubeObject[];
  /** Replaces like PUT; stale RV → SimError LOOKOUT_SIM_CONFLICT; NOT_FOUND. */
  update(resource: ResourceId | string, object: KubeObject): KubeObject;
  /** JSON merge patch like PATCH; NOT_FOUND. */
  patch(
    resource: ResourceId | string,
    namespace: string,
    name: string,
    mergePatch: object,
  ): KubeObject;
  /** Deletes; returns the last state (deletionTimestamp set), undefined when absent. */
  delete(resource: ResourceId | string, namespace: string, name: string): KubeObject | undefined;
  /** Runs fn synchronously; the events it makes reach watchers after it returns, in large writes. */
  batch<T>(fn: () => T): T;
  /** Open watch connections, optionally of one resource. */
  openWatchCount(resource?: ResourceId | string): number;
  /** Every request served (last 10_000). */
  readonly requests: ReadonlyArray<RequestRecord>;
  readonly faults: {
    /** Ends open watches (cleanly, or with half a JSON line then a destroyed socket); returns how many. */
    closeWatches(opts?: { resource?: ResourceId | string; midLine?: boolean }): number;
    /** Stops writing to open watches, keeping their sockets open; returns how many. */
    stallWatches(opts?: { resource?: ResourceId | string }): number;
    /** Fails the next `count` matching requests with `status` (429 adds Retry-After). */
    failRequests(opts: FailRequestsOptions): void;
    /** The next `count` events are not sent to the oldest open watcher (of `resource`). */
    dropEvents(opts: { count: number; resource?: ResourceId | string }): void;
    /** Forgets all history now: any watch from an older RV gets 410. */
    compact(): void;
    /** Every outstanding continue token gets 410 next time. */
    expireContinueTokens(): void;
  };
  readonly load: {
    /** Creates `count` objects (default: realistic pods over namespaces ns-0..ns-9) in one batch. */
    seed(resource: ResourceId | string, count: number, make?: (i: number) => KubeObject): void;
    /** Applies `count` random changes at `ratePerSec` from a seeded PRNG; resolves with the counts. */
    churn(
      opts: ChurnOptions & { resource: ResourceId | string },
    ): Promise<{ created: number; updated: number; deleted: number }>;
  };
  /** Ends every watch, closes the server and all sockets, clears all timers. Idempotent. */
  close(): Promise<void>;
}

const MAX_REQUESTS = 10_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new SimError(
      SimErrorCode.Invalid,
      failure(
        422,
        "Invalid",
        `invalid option ${name}: ${String(value)} (must be a positive number)`,
      ),
    );
  }
  return value;
}

function copy(o: StoredObject): KubeObject {
  return parseKubeObject(o.json);
}

function cloneJson(o: object): unknown {
  return parseJson(JSON.stringify(o));
}

function clone(o: KubeObject): KubeObject {
  return parseKubeObject(JSON.stringify(o));
}

/**
 * Starts a simulated cluster listening on `host:port` (default 127.0.0.1:0). Resolves once
 * it listens; rejects when it cannot listen or an option is invalid (LOOKOUT_SIM_INVALID).
 * It starts with the namespaces default, kube-node-lease, kube-public and kube-system.
 * The server keeps the process alive until `close()`.
 */
export async function startSimulatedCluster(
  options: SimulatedClusterOptions = {},
): Promise<SimulatedCluster> {
  const historySize = Math.floor(positive("historySize", options.historySize, 10_000));
  const bookmarkIntervalMs = positive("bookmarkIntervalMs", options.bookmarkIntervalMs, 60_000);
  const continueTtlMs = positive("continueTtlMs", options.continueTtlMs, 300_000);
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const registry = new Registry();
  for (const def of [...BUILTIN_RESOURCES, ...(options.resources ?? [])]) registry.add(def);
  const hub = new WatchHub();
  const store = new ObjectStore({ historySize, clock, onEvent: (e) => hub.dispatch(e) });
  const snapshots = new Snapshots(continueTtlMs, clock);
  const faults = new RequestFaults();
  const requests: RequestRecord[] = [];
  const sleeps = new Map<NodeJS.Timeout, () => void>();
  let closed = false;
  let closing: Promise<void> | undefined;
  let watchId = 0;

  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (closed) {
        resolve();
        return;
      }
      const t = setTimeout(() => {
        sleeps.delete(t);
        resolve();
      }, ms);
      t.unref();
      sleeps.set(t, resolve);
    });

  const ctx: ServerContext = {
    store,
    hub,
    registry,
    snapshots,
    faults,
    watchList: options.watchList ?? true,
    bookmarkIntervalMs,
    gitVersion: options.gitVersion ?? "v1.32.0",
    logger,
    nextWatchId: () => ++watchId,
    isClosed: () => closed,
    record(r) {
      requests.push(r);
      if (requests.length > MAX_REQUESTS) requests.splice(0, requests.length - MAX_REQUESTS);
    },
    sleep,
  };

  const nsDef = registry.resolve("namespaces");
  hub.batch(() => {
    for (const name of INITIAL_NAMESPACES) {
      store.create(nsDef, {
        metadata: { name },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      });
    }
  });

  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    void handleRequest(ctx, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error("simulated cluster: server error", { error }));
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new TypeError("simulated cluster: server has no TCP address");
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info("simulated cluster listening", { url });

  const resolve = (resource: ResourceId | string): ResourceDefinition => registry.resolve(resource);
  const tableOf = (resource: ResourceId | string | undefined) =>
    resource === undefined ? undefined : store.table(resolve(resource));

  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      for (const [t, wake] of sleeps) {
        clearTimeout(t);
        wake();
      }
      sleeps.clear();
      hub.destroyAll();
      const done = new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections();
      await done;
      logger.info("simulated cluster closed", { url });
    })();
    return closing;
  };

  const cluster: SimulatedCluster = {
    url,
    port: address.port,
    get resourceVersion() {
      return String(store.rv);
    },
    kubeConfigYaml: () => kubeConfigYaml(url),
    registerResource: (def) => registry.add(def),
    create: (resource, object) => copy(store.create(resolve(resource), clone(object))),
    get(resource, namespace, name) {
      const o = store.get(resolve(resource), namespace, name);
      return o === undefined ? undefined : copy(o);
    },
    list(resource, namespace) {
      const objects = sortedObjects(store.table(resolve(resource)));
      const ns = namespace ?? "";
      return objects.filter((o) => ns === "" || o.namespace === ns).map(copy);
    },
    update: (resource, object) => copy(store.update(resolve(resource), clone(object))),
    patch: (resource, namespace, name, mergePatch) =>
      copy(store.patch(resolve(resource), namespace, name, cloneJson(mergePatch))),
    delete(resource, namespace, name) {
      const def = resolve(resource);
      if (store.get(def, namespace, name) === undefined) return undefined;
      return copy(store.delete(def, namespace, name));
    },
    batch: (fn) => hub.batch(fn),
    openWatchCount: (resource) => hub.watchers(tableOf(resource)).length,
    requests,
    faults: {
      closeWatches(opts) {
        const ws = hub.watchers(tableOf(opts?.resource));
        for (const w of ws) {
          if (opts?.midLine === true) w.breakMidLine();
          else w.end();
        }
        return ws.length;
      },
      stallWatches(opts) {
        const ws = hub.watchers(tableOf(opts?.resource));
        for (const w of ws) w.stall();
        return ws.length;
      },
      failRequests(opts) {
        const count = opts.count ?? 1;
        if (!Number.isInteger(opts.status) || opts.status < 400 || opts.status > 599) {
          throw new SimError(
            SimErrorCode.Invalid,
            failure(422, "Invalid", `invalid fault status ${opts.status}`),
          );
        }
        const def = opts.resource === undefined ? undefined : resolve(opts.resource);
        faults.add(opts.status, opts.retryAfterSeconds, count, opts.verb, def);
      },
      dropEvents(opts) {
        const w = hub.watchers(tableOf(opts.resource))[0];
        if (w !== undefined) w.dropCount += opts.count;
      },
      compact: () => store.compact(),
      expireContinueTokens: () => snapshots.clear(),
    },
    load: {
      seed: (resource, count, make) => seed(store, hub, resolve(resource), count, make),
      churn: (opts) => churn(store, hub, resolve(opts.resource), opts, sleep, () => closed),
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return cluster;
}
