/**
 * `startSimulatedCluster`: an in-process `node:http` server speaking the Kubernetes REST
 * list/watch protocol, with an in-process object API, fault injection and a load driver.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { ResourceDefinition, ResourceId } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { silentLogger } from "../logging/index.ts";
import type { SimulatedCluster, SimulatedClusterOptions } from "./cluster-api.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import { RequestFaults } from "./faults.ts";
import { createHelmReleases } from "./helm-releases.ts";
import { handleRequest } from "./http-server.ts";
import type { RequestRecord, ServerContext } from "./http-server.ts";
import { kubeConfigYaml } from "./kubeconfig.ts";
import { Snapshots } from "./list-serve.ts";
import { createMetricsApi, METRICS_RESOURCES } from "./metrics-api.ts";
import { churn, seed } from "./load.ts";
import { BUILTIN_RESOURCES, INITIAL_NAMESPACES } from "./registry-table.ts";
import { Registry } from "./registry.ts";
import { failure } from "./status.ts";
import { parseJson, parseKubeObject } from "./json.ts";
import { ObjectStore } from "./store.ts";
import { sortedObjects } from "./stored.ts";
import type { StoredObject } from "./stored.ts";
import { WatchHub } from "./watch-hub.ts";

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
  const maxWatcherBufferBytes = positive(
    "maxWatcherBufferBytes",
    options.maxWatcherBufferBytes,
    256 * 1024 * 1024,
  );
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const registry = new Registry();
  for (const def of [...BUILTIN_RESOURCES, ...METRICS_RESOURCES, ...(options.resources ?? [])]) {
    registry.add(def);
  }
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
    maxWatcherBufferBytes,
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

  const metricsApi = createMetricsApi({
    registry,
    faults,
    clock,
    list: (def) => sortedObjects(store.table(def)).map(copy),
    record: (r) => ctx.record(r),
  });
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    if (!metricsApi.serve(req, res)) void handleRequest(ctx, req, res);
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
      stallLists(opts) {
        const count = opts?.count ?? 1;
        if (!Number.isInteger(count) || count < 1) {
          throw new SimError(
            SimErrorCode.Invalid,
            failure(
              422,
              "Invalid",
              `invalid fault count ${String(count)} (must be a positive integer)`,
            ),
          );
        }
        const def = opts?.resource === undefined ? undefined : resolve(opts.resource);
        faults.addListStall(count, def);
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
      forbid(opts) {
        if (opts?.namespace === "") {
          throw new SimError(
            SimErrorCode.Invalid,
            failure(
              422,
              "Invalid",
              'invalid forbid namespace "" (leave it out for the cluster scope)',
            ),
          );
        }
        const def = opts?.resource === undefined ? undefined : resolve(opts.resource);
        const remove = faults.addForbid(opts?.verb, def, opts?.namespace);
        return { remove, [Symbol.dispose]: remove };
      },
      allow: () => faults.clearForbids(),
      compact: () => store.compact(),
      expireContinueTokens: () => snapshots.clear(),
    },
    load: {
      seed: (resource, count, make) => seed(store, hub, resolve(resource), count, make),
      churn: (opts) => churn(store, hub, resolve(opts.resource), opts, sleep, () => closed),
    },
    helm: createHelmReleases(store, hub, resolve, clock),
    metrics: metricsApi.metrics,
    close,
    [Symbol.asyncDispose]: close,
  };
  return cluster;
}
