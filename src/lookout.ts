/**
 * The composition root: one kube-lookout, wired from its parts. Everything external is injected
 * (API client, MeterProvider, NATS connection or options, logger, clock), nothing global is
 * touched, no signal handler is installed and nothing exits the process: a host application
 * can run several in one process. The CLI's `run` command owns the process around it.
 *
 * What runs: the shared informers of the watched resources (their set can be replaced while
 * running: `updateResources`) and the cache API with `/metrics`, `/healthz`, `/readyz` on one
 * HTTP port on every replica; and, on the leader only (every replica when leader election is
 * off), the Helm checker, the event pipeline and the plugins. A follower's Helm paths answer 503
 * naming the leader's role, so one set of Helm findings and metrics exists per cluster.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { metrics as otel, type MeterProvider } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import {
  compositeSource,
  createCacheApi,
  startApiServer,
  type CacheApiHandler,
  type HelmSource,
  type ApiServer,
  type ServedResource,
} from "./api/index.ts";
import {
  compileDropFields,
  EventPipeline,
  informerSpecOf as eventsInformerSpec,
  NatsLink,
  type EventPipelineOptions,
  type EventResourceSpec,
  type NatsConnectionSource,
  type NatsLinkOptions,
} from "./events/index.ts";
import { HelmChecker, type HelmCheckerOptions } from "./helm/index.ts";
import { InformerFactory, type InformerSpec } from "./informer/index.ts";
import { formatResourceId, type KubeClient, type ResourceId } from "./kube/index.ts";
import { LeaderElector, type LeaderElectorOptions } from "./leader/index.ts";
import { silentLogger, type Logger } from "./logging/index.ts";
import { PluginHost, type PluginEntry } from "./plugins/index.ts";
import type { LookoutStore } from "./store/index.ts";
import { INFORMER_SCOPE, informerMetrics } from "./telemetry/index.ts";
import {
  checkResources,
  memberKey,
  memberSpecs,
  NamespaceSelection,
  type Member,
  type WatchUpdate,
} from "./watch/index.ts";
import type { WatchedResource } from "./watch/index.ts";

export type { WatchedResource, WatchUpdate } from "./watch/index.ts";
export { LookoutInvalidResourcesError } from "./watch/index.ts";

/** Options of {@link createLookout}. */
export interface LookoutOptions {
  /** The API client (in-cluster or kubeconfig: the caller decides). */
  readonly client: KubeClient;
  /** The state file, opened by the caller (`openStore`); closed by the caller too. */
  readonly store: LookoutStore;
  readonly resources: readonly WatchedResource[];
  /** The cluster's name (subjects, `ce-source`, metrics). */
  readonly cluster: string;
  readonly logger?: Logger;
  readonly meterProvider?: MeterProvider;
  /** Serves `/metrics` (e.g. `Telemetry.handleMetrics`); without it `/metrics` is 404. */
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The HTTP server; default 127.0.0.1 on an ephemeral port. `false`: no server. */
  readonly http?:
    { readonly host?: string; readonly port?: number; readonly tokenFile?: string } | false;
  /** The Helm checker (without `client`); `false` turns it off. */
  readonly helm?: Omit<HelmCheckerOptions, "client" | "meterProvider" | "logger" | "store"> | false;
  /** Events on NATS; undefined: off. `nats` is a connection source or NatsLink options. */
  readonly events?: Omit<
    EventPipelineOptions,
    "store" | "informers" | "nats" | "resources" | "cluster" | "logger" | "meterProvider"
  > & { readonly nats: NatsConnectionSource | NatsLinkOptions };
  readonly plugins?: readonly PluginEntry[];
  /** Leader election; undefined: off (this instance does everything). */
  readonly leaderElection?: Omit<
    LeaderElectorOptions,
    "client" | "onStartedLeading" | "onStoppedLeading" | "logger"
  >;
  /**
   * How long `close()` waits for the outbox to reach NATS before it stops the relay (what is
   * left is published at the next start). Default 10 000 ms.
   */
  readonly flushTimeoutMs?: number;
}

/** A running (or startable) kube-lookout. */
export interface Lookout extends AsyncDisposable {
  /** Starts everything; resolves when the HTTP server listens (not when caches are synced). */
  start(): Promise<void>;
  /**
   * Resolves when every served cache has synced and, when this instance leads, its first Helm
   * scan is done (a follower does not scan: the leader's readiness covers that).
   */
  readonly ready: Promise<void>;
  /** The HTTP server's URL once started (undefined without one). */
  readonly url: string | undefined;
  readonly informers: InformerFactory;
  /** The Helm checker while this instance leads (or always, without leader election). */
  readonly helm: HelmChecker | undefined;
  /** The event pipeline while this instance leads (or always, without leader election). */
  readonly events: EventPipeline | undefined;
  /** True while this instance does the leader's work. */
  readonly leading: boolean;
  /** The watched resources as last set (the options', or the last `updateResources`). */
  readonly resources: readonly WatchedResource[];
  /**
   * Metric producers to register with the telemetry (`addMetricProducer`): the informers'
   * gauges and, with the checker, the Helm findings.
   */
  readonly metricProducers: readonly MetricProducer[];
  /**
   * Live reconfiguration: replaces the watched resources. Watches whose resource, namespace,
   * selectors and settings are unchanged keep running (no relist, no event lost or repeated);
   * removed or changed ones are stopped, new ones started (their events begin with a catch-up
   * against the stored snapshots), and the cache API serves the new set. Validates first:
   * rejects with `LookoutInvalidResourcesError` (`LOOKOUT_INVALID_RESOURCES`), changing
   * nothing, for a bad list. Resolves with what changed once the new watches are started (not
   * synced).
   */
  updateResources(resources: readonly WatchedResource[]): Promise<WatchUpdate>;
  /** Stops everything in reverse order; idempotent. */
  close(): Promise<void>;
}

/** Builds a kube-lookout; nothing runs until `start()`. */
export function createLookout(options: LookoutOptions): Lookout {
  return new LookoutImpl(options);
}

function isSource(n: NatsConnectionSource | NatsLinkOptions): n is NatsConnectionSource {
  return "waitForConnection" in n && typeof n.waitForConnection === "function";
}

class LookoutImpl implements Lookout {
  readonly #o: LookoutOptions;
  readonly #logger: Logger;
  readonly informers: InformerFactory;
  readonly metricProducers: readonly MetricProducer[];
  #helm: HelmChecker | undefined;
  readonly #ready = Promise.withResolvers<void>();
  readonly #abort = new AbortController();
  readonly #members = new Map<string, Member>();
  readonly #namespaces: NamespaceSelection;
  #resources: readonly WatchedResource[];
  #reconciling: Promise<unknown> = Promise.resolve();
  #unsubscribeHelm: (() => void) | undefined;
  #server: ApiServer | undefined;
  #api: CacheApiHandler | undefined;
  #link: NatsLink | undefined;
  #events: EventPipeline | undefined;
  #plugins: PluginHost | undefined;
  #elector: LeaderElector | undefined;
  #leading: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: LookoutOptions) {
    checkResources(options.resources);
    this.#o = options;
    this.#resources = [...options.resources];
    this.#logger = options.logger ?? silentLogger;
    const metrics = informerMetrics((options.meterProvider ?? otel).getMeter(INFORMER_SCOPE));
    this.informers = new InformerFactory({
      client: options.client,
      logger: this.#logger,
      metricsFor: () => metrics.forInformer(),
    });
    this.#namespaces = new NamespaceSelection(this.informers, () => void this.#reconcile());
    const helmProducer: MetricProducer = {
      collect: (collectOptions) =>
        this.#helm?.metricProducer.collect(collectOptions) ??
        Promise.resolve({
          resourceMetrics: { resource: emptyResource(), scopeMetrics: [] },
          errors: [],
        }),
    };
    this.metricProducers = [
      metrics.metricProducer,
      ...(options.helm === false ? [] : [helmProducer]),
    ];
  }

  get helm(): HelmChecker | undefined {
    return this.#helm;
  }

  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  get events(): EventPipeline | undefined {
    return this.#events;
  }

  get leading(): boolean {
    return this.#events !== undefined || this.#plugins !== undefined;
  }

  get resources(): readonly WatchedResource[] {
    return this.#resources;
  }

  start(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new Error("kube-lookout is closed"));
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const o = this.#o;
    await this.#reconcile();
    if (o.http !== false) {
      const metrics = o.metricsHandler;
      const http = o.http ?? {};
      this.#server = await startApiServer({
        ...(http.host === undefined ? {} : { host: http.host }),
        ...(http.port === undefined ? {} : { port: http.port }),
        ...(http.tokenFile === undefined ? {} : { tokenFile: http.tokenFile }),
        handler: (req, res) => {
          if (metrics !== undefined && (req.url ?? "").split("?")[0] === "/metrics") {
            metrics(req, res);
            return true;
          }
          return this.#api?.(req, res) ?? false;
        },
      });
    }
    if (o.leaderElection === undefined) {
      this.#leading = this.#lead(new AbortController().signal);
    } else {
      this.#elector = new LeaderElector({
        ...o.leaderElection,
        client: o.client,
        logger: this.#logger,
        onStartedLeading: (signal) => {
          this.#leading = this.#lead(signal);
        },
        onStoppedLeading: () => void this.#stopLeading(),
      });
      this.#elector.start();
    }
    void this.#waitReady();
  }

  updateResources(resources: readonly WatchedResource[]): Promise<WatchUpdate> {
    if (this.#closed !== undefined) return Promise.reject(new Error("kube-lookout is closed"));
    try {
      checkResources(resources);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    this.#resources = [...resources];
    if (this.#started === undefined) {
      return Promise.resolve({ started: 0, stopped: 0, kept: 0 });
    }
    return this.#reconcile();
  }

  /**
   * Brings the running watches to the wanted set (one at a time: calls queue). The wanted set
   * is the resources with their namespace selectors expanded to the namespaces selected now.
   */
  #reconcile(): Promise<WatchUpdate> {
    const next = this.#reconciling.then(() => this.#applyWanted());
    this.#reconciling = next.catch(() => undefined);
    return next;
  }

  async #applyWanted(): Promise<WatchUpdate> {
    if (this.#closing) return { started: 0, stopped: 0, kept: this.#members.size };
    this.#namespaces.retain(this.#resources);
    const wanted = new Map<string, WatchedResource>();
    for (const spec of memberSpecs(this.#resources, this.#namespaces)) {
      wanted.set(memberKey(spec), spec);
    }
    const stopping: Member[] = [];
    for (const [key, member] of this.#members) {
      if (wanted.has(key)) continue;
      this.#members.delete(key);
      stopping.push(member);
    }
    let started = 0;
    for (const [key, spec] of wanted) {
      if (this.#members.has(key)) continue;
      const lease = this.informers.acquire(informerSpecOf(spec));
      void lease.informer.start();
      const member: Member = { key, spec, lease, events: undefined };
      this.#members.set(key, member);
      started++;
      const events = this.#events;
      if (events !== undefined && spec.events !== false) {
        member.events = events.addResource(eventSpecOf(spec));
      }
    }
    if (started > 0 || stopping.length > 0 || this.#api === undefined) this.#rebuildApi();
    await Promise.all(
      stopping.map(async (m) => {
        await m.events?.remove();
        await m.lease.release();
      }),
    );
    const update = { started, stopped: stopping.length, kept: wanted.size - started };
    if (started > 0 || stopping.length > 0) this.#logger.info("watches updated", update);
    return update;
  }

  /** A new cache API over the members that feed the cache; the old one is closed. */
  #rebuildApi(): void {
    if (this.#o.http === false) return;
    const byRoute = new Map<string, Member[]>();
    for (const m of this.#members.values()) {
      if (m.spec.cache === false) continue;
      const id = m.spec.resource;
      const route = `${id.group}/${id.resource}`;
      const list = byRoute.get(route);
      if (list === undefined) byRoute.set(route, [m]);
      else list.push(m);
    }
    const served: ServedResource[] = [...byRoute.values()].map((members) => {
      const spec = members[0]!.spec;
      return {
        resource: spec.resource,
        kind: spec.kind,
        namespaced: spec.namespaced ?? true,
        informer: compositeSource(members.map((m) => m.lease.informer)),
      };
    });
    const old = this.#api;
    this.#api = createCacheApi({
      resources: served,
      ...(this.#o.helm === false ? {} : { helm: this.#helmSource() }),
      logger: this.#logger,
      notReady: () => (this.#closing ? ["shutting down"] : []),
      lastVerified: (resource) => storedVerification(this.#o.store, resource),
    });
    old?.close();
  }

  /** The Helm results as the cache API sees them: the leader's checker, or "ask the leader". */
  #helmSource(): HelmSource {
    return {
      findings: () => this.#helm?.findings() ?? [],
      releases: () => this.#helm?.releases() ?? [],
      status: () => this.#helm?.status() ?? { ready: false },
      unavailable: () =>
        this.#helm === undefined
          ? "the Helm checks run on the leader replica; this replica follows (leader election)"
          : undefined,
    };
  }

  /**
   * The leader's work: the Helm checker, the event pipeline and the plugins, until `signal`
   * aborts. The checker exists from the first (synchronous) step on.
   */
  async #lead(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const helm =
      o.helm === false
        ? undefined
        : new HelmChecker({
            ...o.helm,
            client: o.client,
            store: o.store.helm,
            logger: this.#logger,
            ...(o.meterProvider === undefined ? {} : { meterProvider: o.meterProvider }),
          });
    this.#helm = helm;
    if (o.events !== undefined) {
      const { nats, ...rest } = o.events;
      let source: NatsConnectionSource;
      if (isSource(nats)) source = nats;
      else {
        this.#link = new NatsLink({ ...nats, logger: this.#logger });
        this.#link.start();
        source = this.#link;
      }
      this.#events = new EventPipeline({
        ...rest,
        store: o.store,
        informers: this.informers,
        nats: source,
        resources: [],
        cluster: o.cluster,
        logger: this.#logger,
        ...(o.meterProvider === undefined ? {} : { meterProvider: o.meterProvider }),
      });
      const events = this.#events;
      this.#unsubscribeHelm = helm?.onFindingsChanged((change) => events.recordHelm(change));
      await events.start();
      // Serialized with reconfiguration: every member gets its recorder exactly once.
      const synced = await (this.#reconciling = this.#reconciling.then(() =>
        [...this.#members.values()]
          .filter((m) => m.spec.events !== false && m.events === undefined)
          .map((m) => (m.events = events.addResource(eventSpecOf(m.spec))).synced),
      ));
      if (Array.isArray(synced)) await Promise.all(synced);
    }
    if (helm !== undefined && !signal.aborted) await helm.start();
    if (o.plugins !== undefined && o.plugins.length > 0 && !signal.aborted) {
      const events = this.#events;
      this.#plugins = new PluginHost({
        plugins: o.plugins,
        informers: this.informers,
        client: o.client,
        resources: [...this.#members.values()]
          .filter((m) => m.spec.metrics !== false)
          .map((m) => informerSpecOf(m.spec)),
        store: o.store,
        logger: this.#logger,
        ...(o.meterProvider === undefined ? {} : { meterProvider: o.meterProvider }),
        ...(events === undefined
          ? {}
          : {
              events: { publish: (suffix: string, body: unknown) => events.publish(suffix, body) },
            }),
      });
      const result = await this.#plugins.start();
      for (const f of result.failed) {
        this.#logger.error("plugin not started", { plugin: f.plugin, err: f.error });
      }
    }
  }

  async #stopLeading(): Promise<void> {
    await this.#leading?.catch(() => undefined);
    const plugins = this.#plugins;
    const events = this.#events;
    const link = this.#link;
    const helm = this.#helm;
    this.#helm = undefined;
    this.#unsubscribeHelm?.();
    this.#unsubscribeHelm = undefined;
    this.#plugins = undefined;
    this.#events = undefined;
    this.#link = undefined;
    for (const m of this.#members.values()) m.events = undefined;
    const t0 = performance.now();
    const step = (name: string): void =>
      this.#logger.debug("stop leading step done", {
        step: name,
        ms: Math.round(performance.now() - t0),
      });
    await plugins?.close();
    step("plugins");
    await helm?.close();
    step("helm checker");
    await events?.close({ flushTimeoutMs: this.#closing ? (this.#o.flushTimeoutMs ?? 10_000) : 0 });
    step("events");
    await link?.close();
    step("nats link");
  }

  /** Resolves `ready` once every watch (as the wanted set settles) has synced and Helm is. */
  async #waitReady(): Promise<void> {
    const stop = this.#abort.signal;
    try {
      for (;;) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- namespaces first, then their watches
        await this.#namespaces.waitForSync(stop);
        // oxlint-disable-next-line eslint/no-await-in-loop -- the selected namespaces' watches
        await this.#reconcile();
        const members = [...this.#members.values()].filter((m) => m.spec.cache !== false);
        // oxlint-disable-next-line eslint/no-await-in-loop -- until the set stops changing
        await Promise.all(members.map((m) => m.lease.informer.waitForSync(stop)));
        if ([...this.#members.values()].every((m) => m.lease.informer.hasSynced())) break;
      }
      // A leader's first Helm scan counts (as /readyz says); a follower has no checker.
      if (this.#o.leaderElection === undefined) await (this.#leading ?? Promise.resolve());
      await this.#helm?.ready;
      this.#ready.resolve();
    } catch {
      // closed first: stays pending
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#abort.abort();
      await this.#started?.catch(() => undefined);
      await this.#reconciling;
      // The leader's work first (pending events recorded, the outbox flushed within the
      // deadline), then the Lease is released, so a follower starts from a drained outbox.
      const t0 = performance.now();
      const step = (name: string): void =>
        this.#logger.debug("shutdown step done", {
          step: name,
          ms: Math.round(performance.now() - t0),
        });
      await this.#stopLeading();
      step("leader work (plugins, events, outbox flush, NATS)");
      await this.#elector?.close();
      step("lease released");
      await this.#server?.close();
      this.#api?.close();
      step("http server");
      this.#namespaces.close();
      await Promise.all([...this.#members.values()].map((m) => m.lease.release()));
      this.#members.clear();
      await this.informers.close();
      step("informers");
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The last verification of `resource` the `watch-verify` plugin recorded in the store's kv
 * (`watch-verify.<group/version/resource>`: `{ resourceVersion, time }`), if any.
 */
function storedVerification(
  store: LookoutStore,
  resource: ResourceId,
): { resourceVersion: string; at: number } | undefined {
  let text: string | undefined;
  try {
    text = store.kv.get(`watch-verify.${formatResourceId(resource)}`);
  } catch {
    return undefined; // the store is closed: nothing to say
  }
  if (text === undefined) return undefined;
  const mark: unknown = JSON.parse(text);
  const rv: unknown =
    typeof mark === "object" && mark !== null ? Reflect.get(mark, "resourceVersion") : undefined;
  const time: unknown =
    typeof mark === "object" && mark !== null ? Reflect.get(mark, "time") : undefined;
  return typeof rv === "string" && typeof time === "number"
    ? { resourceVersion: rv, at: time }
    : undefined;
}

/** The informer a member (or a plugin) watches through. */
function informerSpecOf(r: WatchedResource): InformerSpec {
  return eventsInformerSpec(eventSpecOf(r));
}

/** The event pipeline's spec of a member: its informer's, with `dropFields` as the transform. */
function eventSpecOf(r: WatchedResource): EventResourceSpec {
  const drop = r.dropFields ?? [];
  let transform = r.transform;
  let transformKey = r.transformKey;
  if (transform === undefined && drop.length > 0) {
    // The informer factory shares informers by this key: same fields dropped, same informer.
    transformKey = `drop:${JSON.stringify(drop)}`;
    transform = compileDropFields(drop);
  }
  return {
    resource: r.resource,
    kind: r.kind,
    ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
    ...(r.labelSelector === undefined ? {} : { labelSelector: r.labelSelector }),
    ...(r.fieldSelector === undefined ? {} : { fieldSelector: r.fieldSelector }),
    ...(r.pageSize === undefined ? {} : { pageSize: r.pageSize }),
    ...(transform === undefined ? {} : { transform, transformKey: transformKey ?? "" }),
  };
}
