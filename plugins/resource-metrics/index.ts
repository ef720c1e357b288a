/**
 * The `resource-metrics` plugin: every `intervalSeconds`, LISTs metrics.k8s.io/v1beta1 pods and
 * nodes and exports CPU (cores) and memory (bytes) as gauges per owning workload (through the
 * pods and replicasets informer caches), per namespace and per node; publishes a snapshot per
 * workload and interval when an event publisher is given; keeps recent samples per workload in
 * memory (`samples()`). See docs/plugins.md.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Attributes, ObservableResult } from "@opentelemetry/api";
import {
  MAX_TIMER_SECONDS,
  configNumber,
  configObject,
  definePlugin,
  PluginConfigError,
  type InformerLease,
  type Plugin,
  type PluginContext,
} from "../../src/plugins/index.ts";
import { workloadKey } from "./aggregate.ts";
import { collect, type Collection } from "./collect.ts";
import { DEFAULT_CPU_QUERY, DEFAULT_MEMORY_QUERY, type PrometheusSource } from "./prometheus.ts";
import { SampleStore, type Sample } from "./samples.ts";
import { WorkloadResolver } from "./workload.ts";

const NAME = "resource-metrics";
const PODS = { group: "", version: "v1", resource: "pods" } as const;
const REPLICASETS = { group: "apps", version: "v1", resource: "replicasets" } as const;
const SOURCE_NAMES = {
  pods: "metrics.k8s.io/v1beta1/pods",
  nodes: "metrics.k8s.io/v1beta1/nodes",
  prometheus: "prometheus",
} as const;

/** The validated config of `resource-metrics`. */
export interface ResourceMetricsConfig {
  /** Seconds between collections (the first one runs once the caches synced). Default 30. */
  readonly intervalSeconds: number;
  /** Samples kept per workload. Default 120. */
  readonly retentionSamples: number;
  /** Samples older than this are dropped (and workloads without a younger one). Default 3600. */
  readonly retentionSeconds: number;
  /** Pod usage from a Prometheus HTTP API instead of metrics.k8s.io pods (nodes stay). */
  readonly prometheus: PrometheusSource | undefined;
}

/** The plugin, plus its recent samples and last collection. */
export interface ResourceMetricsPlugin extends Plugin<ResourceMetricsConfig> {
  /**
   * The workload's samples within the retention (oldest first; [] when none). `workloadKind` is
   * `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `ReplicaSet`, `Pod`, … Kept in memory only.
   */
  samples(namespace: string, workloadKind: string, workloadName: string): Sample[];
  /** The last collection, or undefined before the first. */
  lastCollection(): Collection | undefined;
}

/** Seams of {@link createResourceMetricsPlugin}. */
export interface ResourceMetricsOptions {
  /** The clock of sample times and retention (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Validates `{ intervalSeconds?: number 0.05..2147483, retentionSamples?: integer 1..100000,
 * retentionSeconds?: number > 0, prometheus?: { url, cpuQuery?, memoryQuery?, timeoutSeconds? }
 * }`. Throws `LOOKOUT_PLUGIN_BAD_CONFIG` naming the key (`prometheus.url`).
 */
export function parseResourceMetricsConfig(raw: unknown): ResourceMetricsConfig {
  const obj = configObject(NAME, raw, [
    "intervalSeconds",
    "retentionSamples",
    "retentionSeconds",
    "prometheus",
  ]);
  return {
    prometheus: parsePrometheus(obj["prometheus"]),
    intervalSeconds: configNumber(NAME, obj, "intervalSeconds", 30, {
      min: 0.05,
      max: MAX_TIMER_SECONDS,
    }),
    retentionSamples: configNumber(NAME, obj, "retentionSamples", 120, {
      min: 1,
      max: 100_000,
      integer: true,
    }),
    retentionSeconds: configNumber(NAME, obj, "retentionSeconds", 3600, { min: 0.001 }),
  };
}

function parsePrometheus(raw: unknown): PrometheusSource | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) throw new PluginConfigError(NAME, "prometheus", raw, "an object with a url");
  const obj = nested(() =>
    configObject(NAME, raw, ["url", "cpuQuery", "memoryQuery", "timeoutSeconds"]),
  );
  const url = obj["url"];
  if (typeof url !== "string" || !/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
    throw new PluginConfigError(NAME, "prometheus.url", url, "an http(s) URL");
  }
  const text = (key: string, fallback: string): string => {
    const value = obj[key] ?? fallback;
    if (typeof value !== "string" || value.trim() === "") {
      throw new PluginConfigError(NAME, `prometheus.${key}`, value, "a non-empty PromQL string");
    }
    return value;
  };
  return {
    url,
    cpuQuery: text("cpuQuery", DEFAULT_CPU_QUERY),
    memoryQuery: text("memoryQuery", DEFAULT_MEMORY_QUERY),
    timeoutSeconds: nested(() =>
      configNumber(NAME, obj, "timeoutSeconds", 10, { min: 0.001, max: MAX_TIMER_SECONDS }),
    ),
  };
}

/** Runs a config helper on the `prometheus` object, naming keys `prometheus.<key>`. */
function nested<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof PluginConfigError)) throw err;
    const key = err.key === undefined ? "prometheus" : `prometheus.${err.key}`;
    throw new PluginConfigError(NAME, key, err.value, err.expected, { cause: err });
  }
}

/** A fresh `resource-metrics` plugin with its own samples and last collection. */
export function createResourceMetricsPlugin(
  options: ResourceMetricsOptions = {},
): ResourceMetricsPlugin {
  const now = options.now ?? Date.now;
  let samples: SampleStore | undefined;
  let last: Collection | undefined;
  const plugin = definePlugin<ResourceMetricsConfig>({
    name: NAME,
    configSchema: parseResourceMetricsConfig,
    start(ctx) {
      const { retentionSamples, retentionSeconds } = ctx.config;
      samples ??= new SampleStore(retentionSamples, retentionSeconds * 1000, now);
      const store = samples;
      const leases: InformerLease[] = [];
      try {
        leases.push(ctx.informers.acquire({ resource: PODS }));
        leases.push(ctx.informers.acquire({ resource: REPLICASETS }));
      } catch (err) {
        void Promise.all(leases.map((l) => l.release()));
        throw err;
      }
      const [pods, replicaSets] = leases.map((l) => l.informer);
      const resolver = new WorkloadResolver(pods!.store, replicaSets!.store);
      let current: Collection | undefined; // this run's: a restarted run starts with no series
      const stopGauges = gauges(ctx, () => current);
      const failures = ctx.meter.createCounter("kube_lookout.resource.collection.failures", {
        description: "Collections whose source failed (its series are absent until the next)",
        unit: "{failure}",
      });
      const round = async (): Promise<void> => {
        const c = await collect(
          ctx.client,
          ctx.config.prometheus,
          (ns, n) => resolver.workloadOf(ns, n),
          now,
          ctx.signal,
        );
        resolver.prune();
        if (ctx.signal.aborted) return;
        current = c;
        last = c;
        for (const source of c.failed) {
          failures.add(1, { "kube_lookout.source": SOURCE_NAMES[source] });
        }
        if (c.errors.length > 0) {
          ctx.logger.warn("resource metrics collection incomplete", {
            failed: c.failed,
            errors: c.errors.length,
            error: c.errors[0],
          });
        }
        for (const w of c.workloads) {
          store.add(workloadKey(w.namespace, w.kind, w.name), {
            time: c.time,
            cpu: w.cpu,
            memory: w.memory,
            pods: w.pods,
          });
        }
        store.expire();
        publish(ctx, c);
      };
      const stopped = (async () => {
        try {
          await loop(ctx, [pods!, replicaSets!], round);
        } finally {
          stopGauges();
          await Promise.all(leases.map((l) => l.release()));
        }
      })();
      return { stopped };
    },
  });
  return Object.freeze({
    ...plugin,
    samples: (namespace: string, kind: string, name: string) =>
      samples?.get(workloadKey(namespace, kind, name)) ?? [],
    lastCollection: () => last,
  });
}

type Synced = { waitForSync(signal?: AbortSignal): Promise<void> };

async function loop(
  ctx: PluginContext<ResourceMetricsConfig>,
  informers: readonly Synced[],
  round: () => Promise<void>,
): Promise<void> {
  const signal = ctx.signal;
  try {
    await Promise.all(informers.map((i) => i.waitForSync(signal)));
  } catch (err) {
    if (signal.aborted) return;
    throw err; // `stopped` rejects: the host restarts the plugin
  }
  while (!signal.aborted) {
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time, never overlapping
      await round();
    } catch (err) {
      if (signal.aborted) return;
      ctx.logger.warn("resource metrics collection failed", { error: err });
    }
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one round per interval
      await sleep(ctx.config.intervalSeconds * 1000, undefined, { signal, ref: false });
    } catch {
      return; // aborted
    }
  }
}

/** The two observable gauges, read from the latest collection; returns their removal. */
function gauges(ctx: PluginContext, latest: () => Collection | undefined): () => void {
  const cpu = ctx.meter.createObservableGauge("kube_lookout.resource.cpu.usage", {
    description: "CPU usage from metrics.k8s.io, per workload, namespace or node",
    unit: "{cpu}",
  });
  const memory = ctx.meter.createObservableGauge("kube_lookout.resource.memory.usage", {
    description: "Memory usage (working set) from metrics.k8s.io, per workload, namespace or node",
    unit: "By",
  });
  const observe =
    (pick: "cpu" | "memory") =>
    (result: ObservableResult): void => {
      const c = latest();
      if (c === undefined) return;
      for (const w of c.workloads) {
        const attributes: Attributes = {
          "kube_lookout.scope": "workload",
          "k8s.namespace.name": w.namespace,
          "k8s.workload.kind": w.kind,
          "k8s.workload.name": w.name,
        };
        result.observe(w[pick], attributes);
      }
      for (const n of c.namespaces) {
        result.observe(n[pick], {
          "kube_lookout.scope": "namespace",
          "k8s.namespace.name": n.namespace,
        });
      }
      for (const n of c.nodes) {
        result.observe(n[pick], { "kube_lookout.scope": "node", "k8s.node.name": n.node });
      }
    };
  const onCpu = observe("cpu");
  const onMemory = observe("memory");
  cpu.addCallback(onCpu);
  memory.addCallback(onMemory);
  return () => {
    cpu.removeCallback(onCpu);
    memory.removeCallback(onMemory);
  };
}

/**
 * One event per workload: tokens `metrics`, `<namespace>`, `<workload name>`, passed as an array
 * so a name with a dot (`web.v2`) stays one token (the publisher escapes each).
 */
function publish(ctx: PluginContext, c: Collection): void {
  const events = ctx.events;
  if (events === undefined) return;
  const time = new Date(c.time).toISOString();
  let failed = 0;
  let first: unknown;
  for (const w of c.workloads) {
    try {
      events.publish(["metrics", w.namespace, w.name], {
        time,
        namespace: w.namespace,
        kind: w.kind,
        name: w.name,
        cpu: w.cpu,
        memory: w.memory,
        pods: w.pods,
      });
    } catch (err) {
      failed++;
      first ??= err;
    }
  }
  if (failed > 0)
    ctx.logger.warn("resource metrics snapshots not published", { failed, error: first });
}

/** The `resource-metrics` plugin (one shared instance; `createResourceMetricsPlugin` for another). */
export default createResourceMetricsPlugin();
