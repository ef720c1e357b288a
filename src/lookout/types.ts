/**
 * The composition root's public shapes: what `createLookout` takes and what it returns.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MeterProvider } from "@opentelemetry/api";
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import type {
  EventPipeline,
  EventPipelineOptions,
  NatsConnectionSource,
  NatsLinkOptions,
} from "../events/index.ts";
import type { HelmChecker, HelmCheckerOptions } from "../helm/index.ts";
import type { InformerFactory } from "../informer/index.ts";
import type { KubeClient } from "../kube/index.ts";
import type { LeaderElectorOptions } from "../leader/index.ts";
import type { Logger } from "../logging/index.ts";
import type { PluginEntry } from "../plugins/index.ts";
import type { LookoutStore } from "../store/index.ts";
import type { WatchedResource, WatchUpdate } from "../watch/index.ts";

/** Options of `createLookout`. */
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
   * Resolves when every served cache has synced, with leader election the first attempt at the
   * Lease has decided whether this instance leads, and, when it leads, its first Helm scan is
   * done (a follower does not scan: the leader's readiness covers that). Rejects with
   * `LookoutClosedError` (`LOOKOUT_CLOSED`) when `close()` comes first.
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
