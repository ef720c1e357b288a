/**
 * The composition root: one kube-lookout, wired from its parts. Everything external is injected
 * (API client, MeterProvider, NATS connection or options, logger, clock), nothing global is
 * touched, no signal handler is installed and nothing exits the process: a host application
 * can run several in one process. The CLI's `run` command owns the process around it.
 *
 * What runs: the shared informers of the watched resources; the cache API and `/metrics`,
 * `/healthz`, `/readyz` on one HTTP port; the Helm checker; and, on the leader only (every
 * replica when leader election is off), the event pipeline and the plugins.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MeterProvider } from "@opentelemetry/api";
import {
  createCacheApi,
  startApiServer,
  type CacheApiHandler,
  type ApiServer,
  type ServedResource,
} from "./api/index.ts";
import {
  EventPipeline,
  NatsLink,
  type EventPipelineOptions,
  type EventResourceSpec,
  type NatsConnectionSource,
  type NatsLinkOptions,
} from "./events/index.ts";
import { HelmChecker, type HelmCheckerOptions } from "./helm/index.ts";
import { InformerFactory, type InformerLease } from "./informer/index.ts";
import type { KubeClient, ResourceId } from "./kube/index.ts";
import { LeaderElector, type LeaderElectorOptions } from "./leader/index.ts";
import { silentLogger, type Logger } from "./logging/index.ts";
import { PluginHost, type PluginEntry } from "./plugins/index.ts";
import type { LookoutStore } from "./store/index.ts";

/** One watched resource and what it feeds. */
export interface WatchedResource extends EventResourceSpec {
  /** Whether the resource lives in namespaces (default true). */
  readonly namespaced?: boolean;
  /** Publish its changes as events (default true when events are on). */
  readonly events?: boolean;
  /** Serve it from the cache API (default true). */
  readonly cache?: boolean;
}

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
}

/** A running (or startable) kube-lookout. */
export interface Lookout extends AsyncDisposable {
  /** Starts everything; resolves when the HTTP server listens (not when caches are synced). */
  start(): Promise<void>;
  /** Resolves when every served cache has synced and the first Helm scan is done. */
  readonly ready: Promise<void>;
  /** The HTTP server's URL once started (undefined without one). */
  readonly url: string | undefined;
  readonly informers: InformerFactory;
  readonly helm: HelmChecker | undefined;
  /** The event pipeline while this instance leads (or always, without leader election). */
  readonly events: EventPipeline | undefined;
  /** True while this instance does the leader's work. */
  readonly leading: boolean;
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
  readonly helm: HelmChecker | undefined;
  readonly #leases: InformerLease[] = [];
  readonly #ready = Promise.withResolvers<void>();
  readonly #abort = new AbortController();
  #unsubscribeHelm: (() => void) | undefined;
  #server: ApiServer | undefined;
  #api: CacheApiHandler | undefined;
  #link: NatsLink | undefined;
  #events: EventPipeline | undefined;
  #plugins: PluginHost | undefined;
  #elector: LeaderElector | undefined;
  #leading: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: LookoutOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.informers = new InformerFactory({ client: options.client });
    this.helm =
      options.helm === false
        ? undefined
        : new HelmChecker({
            ...options.helm,
            client: options.client,
            store: options.store.helm,
            logger: this.#logger,
            ...(options.meterProvider === undefined
              ? {}
              : { meterProvider: options.meterProvider }),
          });
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

  start(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new Error("kube-lookout is closed"));
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const served: ServedResource[] = [];
    for (const r of o.resources) {
      if (r.cache === false) continue;
      const lease = this.informers.acquire(specOf(r));
      this.#leases.push(lease);
      void lease.informer.start();
      served.push({
        resource: r.resource,
        kind: r.kind,
        namespaced: r.namespaced ?? true,
        informer: lease.informer,
      });
    }
    if (this.helm !== undefined) await this.helm.start();
    if (o.http !== false) {
      const api = createCacheApi({
        resources: served,
        ...(this.helm === undefined ? {} : { helm: this.helm }),
        logger: this.#logger,
      });
      this.#api = api;
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
          return api(req, res);
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
    void this.#waitReady(served);
  }

  /** The leader's work: the event pipeline and the plugins, until `signal` aborts. */
  async #lead(signal: AbortSignal): Promise<void> {
    const o = this.#o;
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
        resources: o.resources.filter((r) => r.events !== false),
        cluster: o.cluster,
        logger: this.#logger,
        ...(o.meterProvider === undefined ? {} : { meterProvider: o.meterProvider }),
      });
      const events = this.#events;
      this.#unsubscribeHelm = this.helm?.onFindingsChanged((change) => events.recordHelm(change));
      await events.start();
    }
    if (o.plugins !== undefined && o.plugins.length > 0 && !signal.aborted) {
      const events = this.#events;
      this.#plugins = new PluginHost({
        plugins: o.plugins,
        informers: this.informers,
        client: o.client,
        resources: o.resources.map(specOf),
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
    this.#unsubscribeHelm?.();
    this.#unsubscribeHelm = undefined;
    this.#plugins = undefined;
    this.#events = undefined;
    this.#link = undefined;
    await plugins?.close();
    await events?.close();
    await link?.close();
  }

  async #waitReady(served: readonly ServedResource[]): Promise<void> {
    const stop = this.#abort.signal;
    try {
      await Promise.all(served.map((s) => s.informer.waitForSync?.(stop) ?? Promise.resolve()));
      await this.helm?.ready;
      this.#ready.resolve();
    } catch {
      // closed first: stays pending
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#abort.abort();
      await this.#started?.catch(() => undefined);
      await this.#elector?.close();
      await this.#stopLeading();
      await this.#server?.close();
      this.#api?.close();
      await this.helm?.close();
      await Promise.all(this.#leases.map((l) => l.release()));
      await this.informers.close();
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function specOf(r: WatchedResource): {
  resource: ResourceId;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
} {
  return {
    resource: r.resource,
    ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
    ...(r.labelSelector === undefined ? {} : { labelSelector: r.labelSelector }),
    ...(r.fieldSelector === undefined ? {} : { fieldSelector: r.fieldSelector }),
  };
}
