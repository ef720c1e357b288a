/**
 * One term of leadership: the leader's work (the Helm checker, the event pipeline with a
 * recorder per watched member, the plugins) from the moment this instance leads until it stops.
 * A term owns everything it starts, so stopping it closes exactly that, even when leadership is
 * lost and regained before the term finished starting.
 */
import type { MeterProvider } from "@opentelemetry/api";
import {
  EventPipeline,
  NatsLink,
  type EventResourceAttachment,
  type EventResourceSpec,
  type NatsConnectionSource,
  type NatsLinkOptions,
} from "../events/index.ts";
import { HelmChecker } from "../helm/index.ts";
import type { InformerFactory, InformerSpec } from "../informer/index.ts";
import type { KubeClient } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import { PluginHost, type PluginEntry } from "../plugins/index.ts";
import type { LookoutStore } from "../store/index.ts";
import type { Member } from "../watch/index.ts";
import type { LookoutOptions } from "./types.ts";

/** What a term is built from: the composition root's options and its shared parts. */
export interface LeaderTermDeps {
  readonly client: KubeClient;
  readonly store: LookoutStore;
  readonly cluster: string;
  readonly informers: InformerFactory;
  readonly logger: Logger;
  readonly meterProvider: MeterProvider | undefined;
  readonly helm: Exclude<LookoutOptions["helm"], undefined>;
  readonly events: LookoutOptions["events"];
  readonly plugins: readonly PluginEntry[];
  /** The members running now. */
  readonly members: () => Iterable<Member>;
  /** Runs `fn` in the composition root's reconfiguration chain (one change at a time). */
  readonly serialize: <T>(fn: () => T | Promise<T>) => Promise<T>;
  /** A member's event spec and informer spec. */
  readonly eventSpec: (m: Member) => EventResourceSpec;
  readonly informerSpec: (m: Member) => InformerSpec;
}

function isSource(n: NatsConnectionSource | NatsLinkOptions): n is NatsConnectionSource {
  return "waitForConnection" in n && typeof n.waitForConnection === "function";
}

/** How a term's start ended: everything started (or the term stopped first), or an error. */
export type LeaderTermStart =
  { readonly failed: false } | { readonly failed: true; error: unknown };

/** The leader's work for one term. Starts at construction; `stop()` ends it. */
export class LeaderTerm {
  /** The term's Helm checker (created at once, so it can be served while it scans). */
  readonly helm: HelmChecker | undefined;
  /** The term's event pipeline, once created. */
  events: EventPipeline | undefined;
  /**
   * Resolves when the term has started everything or stopped first (`failed: false`), or when
   * its start failed (`failed: true`, logged; what it started runs until `stop()`). Never rejects.
   */
  readonly started: Promise<LeaderTermStart>;
  readonly #d: LeaderTermDeps;
  readonly #abort = new AbortController();
  readonly #attachments = new Map<string, EventResourceAttachment>();
  #link: NatsLink | undefined;
  #plugins: PluginHost | undefined;
  #unsubscribeHelm: (() => void) | undefined;

  constructor(deps: LeaderTermDeps) {
    this.#d = deps;
    const d = deps;
    this.helm =
      d.helm === false
        ? undefined
        : new HelmChecker({
            ...d.helm,
            client: d.client,
            store: d.store.helm,
            logger: d.logger,
            ...(d.meterProvider === undefined ? {} : { meterProvider: d.meterProvider }),
          });
    this.started = this.#start().then(
      (): LeaderTermStart => ({ failed: false }),
      (err: unknown): LeaderTermStart => {
        if (this.#abort.signal.aborted) return { failed: false };
        d.logger.error("the leader's work did not start", { err });
        return { failed: true, error: err };
      },
    );
  }

  /** True once `stop()` was called. */
  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Aborted when `stop()` is called. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  async #start(): Promise<void> {
    const d = this.#d;
    const signal = this.#abort.signal;
    if (d.events !== undefined) {
      const { nats, ...rest } = d.events;
      let source: NatsConnectionSource;
      if (isSource(nats)) source = nats;
      else {
        this.#link = new NatsLink({ ...nats, logger: d.logger });
        this.#link.start();
        source = this.#link;
      }
      const events = new EventPipeline({
        ...rest,
        store: d.store,
        informers: d.informers,
        nats: source,
        resources: [],
        cluster: d.cluster,
        logger: d.logger,
        ...(d.meterProvider === undefined ? {} : { meterProvider: d.meterProvider }),
      });
      this.events = events;
      this.#unsubscribeHelm = this.helm?.onFindingsChanged((change) => events.recordHelm(change));
      await events.start();
      if (signal.aborted) return;
      // In the reconfiguration chain: every member gets its recorder exactly once.
      const synced = await d.serialize(() =>
        [...d.members()].flatMap((m) => {
          const a = this.attach(m);
          return a === undefined ? [] : [a.synced];
        }),
      );
      await Promise.all(synced);
    }
    if (signal.aborted) return;
    if (this.helm !== undefined) await this.helm.start();
    if (signal.aborted) return;
    await this.#startPlugins();
  }

  async #startPlugins(): Promise<void> {
    const d = this.#d;
    if (d.plugins.length === 0 || this.#abort.signal.aborted) return;
    const events = this.events;
    const host = new PluginHost({
      plugins: d.plugins,
      informers: d.informers,
      client: d.client,
      resources: [...d.members()].filter((m) => m.spec.metrics !== false).map(d.informerSpec),
      store: d.store,
      logger: d.logger,
      ...(d.meterProvider === undefined ? {} : { meterProvider: d.meterProvider }),
      ...(events === undefined
        ? {}
        : {
            events: {
              publish: (suffix: string | readonly string[], body: unknown) =>
                events.publish(suffix, body),
            },
          }),
    });
    this.#plugins = host;
    // The host logs each entry it could not start, once.
    await host.start();
  }

  /**
   * Starts recording `m`'s events (call within the reconfiguration chain). Undefined when the
   * member feeds no events, events are off, or it is recorded already.
   */
  attach(m: Member): EventResourceAttachment | undefined {
    const events = this.events;
    if (events === undefined || m.spec.events === false || this.#attachments.has(m.key)) {
      return undefined;
    }
    if (this.#abort.signal.aborted) return undefined;
    const a = events.addResource(this.#d.eventSpec(m));
    this.#attachments.set(m.key, a);
    return a;
  }

  /** Stops recording the member `key` (its pending events written first). */
  async detach(key: string): Promise<void> {
    const a = this.#attachments.get(key);
    this.#attachments.delete(key);
    await a?.remove();
  }

  /** The plugins again, over the members running now (after the watched set changed). */
  async restartPlugins(): Promise<void> {
    if (this.#plugins === undefined) return;
    const old = this.#plugins;
    this.#plugins = undefined;
    await old.close();
    await this.#startPlugins();
  }

  /**
   * Ends the term: plugins, Helm checker, recorders, then the outbox is given up to
   * `flushTimeoutMs` to reach NATS, then the NATS link; then waits for the start to return.
   * Idempotent.
   */
  async stop(flushTimeoutMs: number): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    const d = this.#d;
    // What the start is waiting for (a first sync, a scan) is closed below; it then returns.
    const t0 = performance.now();
    const step = (name: string): void =>
      d.logger.debug("leader term step done", {
        step: name,
        ms: Math.round(performance.now() - t0),
      });
    this.#unsubscribeHelm?.();
    await this.#plugins?.close();
    step("plugins");
    await this.helm?.close();
    step("helm checker");
    this.#attachments.clear();
    await this.events?.close({ flushTimeoutMs });
    step("events");
    await this.#link?.close();
    step("nats link");
    await this.started;
    // Started after the closes above (the start was between two steps): close again.
    await this.#plugins?.close();
  }
}
