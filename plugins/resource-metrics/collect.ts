/**
 * One collection round: pod usage from metrics.k8s.io/v1beta1 pods (or from Prometheus when
 * configured) and node usage from metrics.k8s.io/v1beta1 nodes, each on its own (one failing
 * leaves the other), summed per workload, namespace and node.
 */
import type { ListWatchClient, RawObject, ResourceId } from "../../src/plugins/index.ts";
import {
  aggregateNodes,
  aggregatePods,
  podUsages,
  type NamespaceUsage,
  type NodeUsage,
  type PodAggregate,
  type WorkloadUsage,
} from "./aggregate.ts";
import { prometheusPodUsages, type PrometheusSource } from "./prometheus.ts";
import type { Workload } from "./workload.ts";

/** metrics.k8s.io/v1beta1 pods (PodMetrics). */
export const POD_METRICS: ResourceId = {
  group: "metrics.k8s.io",
  version: "v1beta1",
  resource: "pods",
};
/** metrics.k8s.io/v1beta1 nodes (NodeMetrics). */
export const NODE_METRICS: ResourceId = {
  group: "metrics.k8s.io",
  version: "v1beta1",
  resource: "nodes",
};

/** What one round measured. A source whose LIST failed contributes nothing (no stale values). */
export interface Collection {
  /** When the round ended (ms since the epoch). */
  readonly time: number;
  readonly workloads: readonly WorkloadUsage[];
  readonly namespaces: readonly NamespaceUsage[];
  readonly nodes: readonly NodeUsage[];
  /** Pods with metrics not (yet) in the pods cache: counted in their namespace only. */
  readonly unresolved: number;
  /** Which sources failed: `pods`, `nodes` (the LISTs) or `prometheus`. */
  readonly failed: readonly Source[];
  /** The source failures and the unreadable values (the items concerned are left out). */
  readonly errors: readonly unknown[];
}

/** A source of a collection. */
export type Source = "pods" | "nodes" | "prometheus";

/**
 * Reads both sources and aggregates them. Never rejects for a source's failure; rejects with
 * the abort reason when `signal` aborts.
 */
export async function collect(
  client: ListWatchClient,
  prometheus: PrometheusSource | undefined,
  workloadOf: (namespace: string, name: string) => Workload | undefined,
  now: () => number,
  signal: AbortSignal,
): Promise<Collection> {
  const [pods, nodes] = await Promise.allSettled([
    prometheus === undefined
      ? listAll(client, POD_METRICS, signal).then(podUsages)
      : prometheusPodUsages(prometheus, signal),
    listAll(client, NODE_METRICS, signal),
  ]);
  if (signal.aborted) throw signal.reason;
  const errors: unknown[] = [];
  const failed: Source[] = [];
  let podPart: PodAggregate | undefined;
  if (pods.status === "fulfilled") {
    podPart = aggregatePods(pods.value.pods, workloadOf);
    errors.push(...pods.value.errors);
  } else {
    failed.push(prometheus === undefined ? "pods" : "prometheus");
    errors.push(pods.reason);
  }
  let nodeUsage: NodeUsage[] = [];
  if (nodes.status === "fulfilled") {
    const part = aggregateNodes(nodes.value);
    nodeUsage = part.nodes;
    errors.push(...part.errors);
  } else {
    failed.push("nodes");
    errors.push(nodes.reason);
  }
  return {
    time: now(),
    workloads: podPart?.workloads ?? [],
    namespaces: podPart?.namespaces ?? [],
    nodes: nodeUsage,
    unresolved: podPart?.unresolved ?? 0,
    failed,
    errors,
  };
}

/** Every page (metrics-server answers in one; a server that pages is followed). */
async function listAll(
  client: ListWatchClient,
  resource: ResourceId,
  signal: AbortSignal,
): Promise<RawObject[]> {
  const items: RawObject[] = [];
  let token: string | undefined;
  do {
    // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential by nature
    const page = await client.list(
      resource,
      token === undefined ? {} : { continue: token },
      signal,
    );
    items.push(...page.items);
    token = page.continue;
  } while (token !== undefined && token !== "");
  return items;
}
