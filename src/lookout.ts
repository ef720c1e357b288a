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
import { metrics as otel } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import { setTimeout as sleep } from "node:timers/promises";
import {
  compositeSource,
  createCacheApi,
  routeName,
  startApiServer,
  type CacheApiHandler,
  type HelmSource,
  type ApiServer,
  type Readiness,
  type ServedResource,
} from "./api/index.ts";
import type { EventPipeline } from "./events/index.ts";
import type { HelmChecker } from "./helm/index.ts";
import { InformerFactory } from "./informer/index.ts";
import { LeaderElector } from "./leader/index.ts";
import { silentLogger, type Logger } from "./logging/index.ts";
import { LookoutClosedError } from "./lookout/errors.ts";
import { LeaderTerm } from "./lookout/leader-term.ts";
import { LeaderTerms } from "./lookout/terms.ts";
import { eventSpecOf, informerSpecOf, storedVerification } from "./lookout/specs.ts";
import type { Lookout, LookoutOptions } from "./lookout/types.ts";
import { INFORMER_SCOPE, informerMetrics } from "./telemetry/index.ts";
import {
  checkResources,
  LookoutInvalidResourcesError,
  memberKey,
  memberSpecs,
  NamespaceSelection,
  type Member,
  type WatchUpdate,
} from "./watch/index.ts";
import type { WatchedResource } from "./watch/index.ts";

export type { WatchedResource, WatchUpdate } from "./watch/index.ts";
export { LookoutInvalidResourcesError } from "./watch/index.ts";
export { LookoutClosedError } from "./lookout/errors.ts";
export type { Lookout, LookoutOptions } from "./lookout/types.ts";

/** Builds a kube-lookout; nothing runs until `start()`. */
export function createLookout(options: LookoutOptions): Lookout {
  return new LookoutImpl(options);
}

class LookoutImpl implements Lookout {
  readonly #o: LookoutOptions;
  readonly #logger: Logger;
  readonly informers: InformerFactory;
  readonly metricProducers: readonly MetricProducer[];
  readonly #ready = Promise.withResolvers<void>();
  readonly #abort = new AbortController();
  readonly #members = new Map<string, Member>();
  readonly #namespaces: NamespaceSelection;
  #resources: readonly WatchedResource[];
  /** The list the running members come from (what the last successful apply applied). */
  #applied: readonly WatchedResource[] = [];
  /** Reconfiguration, one change at a time. Never rejects. */
  #reconciling: Promise<unknown> = Promise.resolve();
  /** The terms of leadership, one at a time. */
  readonly #terms: LeaderTerms;
  #server: ApiServer | undefined;
  #api: CacheApiHandler | undefined;
  #elector: LeaderElector | undefined;
  #started: Promise<void> | undefined;
  /** Set once the first sync (and a leader's first scan) is done: readiness stays then. */
  #wasReady = false;
  /** With leader election: set once the first attempt at the Lease has decided who leads. */
  #electionDecided = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: LookoutOptions) {
    checkResources(options.resources);
    this.#o = options;
    this.#resources = [...options.resources];
    this.#logger = options.logger ?? silentLogger;
    this.#terms = new LeaderTerms({
      create: () => this.#newTerm(),
      logger: this.#logger,
      closing: () => this.#closing,
      stopTimeoutMs: () => (this.#closing ? (options.flushTimeoutMs ?? 10_000) : 0),
    });
    const metrics = informerMetrics((options.meterProvider ?? otel).getMeter(INFORMER_SCOPE));
    this.informers = new InformerFactory({
      client: options.client,
      logger: this.#logger,
      metricsFor: () => metrics.forInformer(),
    });
    this.#namespaces = new NamespaceSelection(this.informers, () => {
      this.#reconcile().catch((err: unknown) =>
        this.#logger.error("watches not updated after a namespace change", { err }),
      );
    });
    const helmProducer: MetricProducer = {
      collect: (collectOptions) =>
        this.#terms.current?.helm?.metricProducer.collect(collectOptions) ??
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
    return this.#terms.current?.helm;
  }

  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  get events(): EventPipeline | undefined {
    return this.#terms.current?.events;
  }

  get leading(): boolean {
    return this.#terms.current !== undefined;
  }

  get resources(): readonly WatchedResource[] {
    return this.#resources;
  }

  start(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new LookoutClosedError("start"));
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
      this.#terms.begin();
    } else {
      this.#elector = new LeaderElector({
        ...o.leaderElection,
        client: o.client,
        logger: this.#logger,
        onStartedLeading: () => this.#terms.begin(),
        onStoppedLeading: () => void this.#terms.end(),
      });
      void this.#elector.decided.then(() => (this.#electionDecided = true));
      this.#elector.start();
    }
    void this.#waitReady();
  }

  /** The leader's work for a new term (it starts at once). */
  #newTerm(): LeaderTerm {
    const o = this.#o;
    return new LeaderTerm({
      client: o.client,
      store: o.store,
      cluster: o.cluster,
      informers: this.informers,
      logger: this.#logger,
      meterProvider: o.meterProvider,
      helm: o.helm ?? {},
      events: o.events,
      plugins: o.plugins ?? [],
      members: () => this.#members.values(),
      serialize: (fn) => this.#serialize(fn),
      eventSpec: (m) => eventSpecOf(m.spec),
      informerSpec: (m) => informerSpecOf(m.spec),
    });
  }

  updateResources(resources: readonly WatchedResource[]): Promise<WatchUpdate> {
    if (this.#closed !== undefined)
      return Promise.reject(new LookoutClosedError("updateResources"));
    try {
      checkResources(resources);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    const previous = this.#resources;
    this.#resources = [...resources];
    if (this.#started === undefined) {
      return Promise.resolve({ started: 0, stopped: 0, kept: 0 });
    }
    return this.#reconcile().catch((error: unknown) => {
      // Nothing changed (#applyWanted rolls back): the previous list stays.
      this.#resources = previous;
      throw error instanceof LookoutInvalidResourcesError
        ? error
        : new LookoutInvalidResourcesError(
            [error instanceof Error ? error.message : String(error)],
            { cause: error },
          );
    });
  }

  /** Runs `fn` in the reconfiguration chain. */
  #serialize<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.#reconciling.then(fn);
    this.#reconciling = next.catch(() => undefined);
    return next;
  }

  /**
   * Brings the running watches to the wanted set (one at a time: calls queue). The wanted set
   * is the resources with their namespace selectors expanded to the namespaces selected now.
   */
  #reconcile(): Promise<WatchUpdate> {
    return this.#serialize(() => this.#applyWanted());
  }

  /**
   * Starts the new watches first (sharing informers with the old where they match, so those do
   * not relist), then stops the old ones. Recorders of stopped members are removed before new
   * ones start, so no pending event is recorded twice. If starting fails, what was started is
   * released and nothing else changes.
   */
  async #applyWanted(): Promise<WatchUpdate> {
    if (this.#closing) return { started: 0, stopped: 0, kept: this.#members.size };
    // The selectors of the list being applied and of the one running: a failed apply then
    // leaves the running list's namespace watchers as they were.
    this.#namespaces.retain([...this.#resources, ...this.#applied]);
    const wanted = new Map<string, WatchedResource>();
    for (const spec of memberSpecs(this.#resources, this.#namespaces)) {
      wanted.set(memberKey(spec), spec);
    }
    const stopping = [...this.#members.values()].filter((m) => !wanted.has(m.key));
    const adding = [...wanted].filter(([key]) => !this.#members.has(key));
    const added: Member[] = [];
    try {
      for (const [key, spec] of adding) {
        const lease = this.informers.acquire(informerSpecOf(spec));
        added.push({ key, spec, lease });
      }
    } catch (error: unknown) {
      await Promise.all(added.map((m) => m.lease.release()));
      this.#namespaces.retain(this.#applied);
      throw error;
    }
    this.#applied = this.#resources;
    this.#namespaces.retain(this.#applied);
    const term = this.#terms.current;
    await Promise.all(stopping.map((m) => term?.detach(m.key) ?? Promise.resolve()));
    for (const m of stopping) this.#members.delete(m.key);
    for (const m of added) {
      this.#members.set(m.key, m);
      void m.lease.informer.start();
      if (term !== undefined && !term.stopping) {
        try {
          term.attach(m);
        } catch (err: unknown) {
          this.#logger.error("events of a watch not recorded", { watch: m.key, err });
        }
      }
    }
    const changed = added.length > 0 || stopping.length > 0;
    if (changed || this.#api === undefined) this.#rebuildApi();
    await Promise.all(stopping.map((m) => m.lease.release()));
    if (changed) await term?.restartPlugins();
    const update = {
      started: added.length,
      stopped: stopping.length,
      kept: wanted.size - added.length,
    };
    if (changed) this.#logger.info("watches updated", update);
    return update;
  }

  /** A new cache API over the members that feed the cache; the old one is closed. */
  #rebuildApi(): void {
    if (this.#o.http === false) return;
    const byRoute = new Map<string, Member[]>();
    for (const m of this.#members.values()) {
      if (m.spec.cache === false) continue;
      const route = routeName(m.spec.resource);
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
      readiness: () => this.#readiness(),
      lastVerified: (resource) => storedVerification(this.#o.store, resource),
    });
    old?.close();
  }

  /**
   * `/readyz`: not ready while shutting down; before the first sync, the reasons; after it,
   * ready for good (a watch added later, or a promotion's first Helm scan, does not take the
   * replica out of its Service: the cache it had keeps being served).
   */
  #readiness(): Readiness {
    if (this.#closing) return { ready: false, reasons: ["shutting down"] };
    if (this.#wasReady) return { ready: true, reasons: [] };
    const reasons: string[] = [];
    for (const m of this.#members.values()) {
      if (m.spec.cache !== false && !m.lease.informer.hasSynced()) {
        reasons.push(
          `cache of ${routeName(m.spec.resource)} (${m.spec.namespace ?? "all namespaces"}) has not synced`,
        );
      }
    }
    if (this.#elector !== undefined && !this.#electionDecided) {
      reasons.push("leader election: the first attempt at the Lease has not finished");
    }
    const startError = this.#terms.startError;
    if (startError !== undefined) {
      reasons.push(`the leader's work did not start (${startError}); it starts again soon`);
    }
    const helm = this.#terms.current?.helm;
    if (helm !== undefined && !helm.status().ready)
      reasons.push("the first Helm scan has not finished");
    return { ready: false, reasons: reasons.length === 0 ? ["starting"] : reasons };
  }

  /** The Helm results as the cache API sees them: the leader's checker, or "ask the leader". */
  #helmSource(): HelmSource {
    return {
      findings: () => this.#terms.current?.helm?.findings() ?? [],
      releases: () => this.#terms.current?.helm?.releases() ?? [],
      status: () => this.#terms.current?.helm?.status() ?? { ready: false },
      unavailable: () =>
        this.#terms.current?.helm === undefined
          ? "the Helm checks run on the leader replica; this replica follows (leader election)"
          : undefined,
    };
  }

  /**
   * Resolves `ready` once every cached watch has synced (as the wanted set settles: namespace
   * selectors first), the first attempt at the Lease has decided whether this instance leads
   * (with leader election), and, if it leads then, its first Helm scan is done.
   */
  async #waitReady(): Promise<void> {
    const stop = this.#abort.signal;
    for (;;) {
      if (stop.aborted) return;
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- namespaces first, then their watches
        await this.#namespaces.waitForSync(stop);
        // oxlint-disable-next-line eslint/no-await-in-loop -- the selected namespaces' watches
        await this.#reconcile();
        const cached = [...this.#members.values()].filter((m) => m.spec.cache !== false);
        // oxlint-disable-next-line eslint/no-await-in-loop -- until the set stops changing
        await Promise.all(cached.map((m) => m.lease.informer.waitForSync(stop)));
        const now = [...this.#members.values()].filter((m) => m.spec.cache !== false);
        if (now.every((m) => m.lease.informer.hasSynced())) break;
      } catch {
        // A watch closed before its first sync (removed, or its namespace left): look again.
        // oxlint-disable-next-line eslint/no-await-in-loop -- a pause before looking again
        await sleep(100, undefined, { signal: stop }).catch(() => undefined);
      }
    }
    // Whether this instance leads is known once its first attempt at the Lease has finished
    // (at most the renew deadline): a replica that wins it must not be ready before its first
    // scan. `onStartedLeading` has queued its term by then.
    if (this.#elector !== undefined) await this.#elector.decided;
    // Without leader election this instance leads from the start: its first scan counts. A
    // term that ends before it (its start failed, leadership moved) makes way for the next one.
    for (let ended: LeaderTerm | undefined; ;) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- the term changes one at a time
      await this.#terms.settled();
      const term = this.#terms.current;
      if (term === undefined && this.#terms.retrying && !stop.aborted) {
        // Leading, but the term could not be built: ready only once one runs.
        // oxlint-disable-next-line eslint/no-await-in-loop -- until the retry has built one
        await sleep(100, undefined, { signal: stop }).catch(() => undefined);
        continue;
      }
      if (term?.helm === undefined || stop.aborted) break;
      if (term === ended) return; // cannot happen: a term is replaced before it stops
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- the current term's first scan
        await term.helm.waitUntilReady(AbortSignal.any([stop, term.signal]));
        break;
      } catch {
        ended = term; // the term ended first: the one after it counts
      }
    }
    if (stop.aborted) return;
    this.#wasReady = true;
    this.#ready.resolve();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#abort.abort();
      // Whoever awaits `ready` is told it will not come (a no-op once it resolved); nobody
      // awaiting it is no unhandled rejection.
      this.#ready.promise.catch(() => undefined);
      this.#ready.reject(new LookoutClosedError("closed before ready"));
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
      await this.#terms.end();
      step("leader work (plugins, Helm, events, outbox flush, NATS)");
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
