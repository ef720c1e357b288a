/**
 * One collection: pod usages (from PodMetrics or Prometheus) summed per owning workload and per
 * namespace, NodeMetrics per node. A pod or node with an unreadable usage is left out whole and
 * its error returned (what worked plus the errors); a pod the pods cache does not hold yet
 * counts for its namespace but for no workload.
 */
import type { RawObject } from "../../src/plugins/index.ts";
import { QuantityError } from "./errors.ts";
import { parseQuantity } from "./quantity.ts";
import type { Workload } from "./workload.ts";

/** CPU in cores and memory in bytes. */
export interface Usage {
  readonly cpu: number;
  readonly memory: number;
}

/** A workload's usage, summed over its pods. */
export interface WorkloadUsage extends Workload, Usage {
  readonly pods: number;
}

/** A namespace's usage, summed over its pods. */
export interface NamespaceUsage extends Usage {
  readonly namespace: string;
  readonly pods: number;
}

/** A node's usage. */
export interface NodeUsage extends Usage {
  readonly node: string;
}

/** Pods summed by workload and namespace. */
export interface PodAggregate {
  readonly workloads: readonly WorkloadUsage[];
  readonly namespaces: readonly NamespaceUsage[];
  /** Pods with metrics that the pods cache does not hold (counted in their namespace only). */
  readonly unresolved: number;
}

/** One pod's usage, from PodMetrics or from Prometheus. */
export interface PodUsage extends Usage {
  readonly namespace: string;
  readonly name: string;
}

/** The usage of each PodMetrics item (containers summed); unreadable items become errors. */
export function podUsages(items: readonly RawObject[]): {
  pods: PodUsage[];
  errors: QuantityError[];
} {
  const pods: PodUsage[] = [];
  const errors: QuantityError[] = [];
  for (const item of items) {
    try {
      pods.push({
        namespace: item.namespace,
        name: item.name,
        ...podUsage(item.object["containers"]),
      });
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      errors.push(err);
    }
  }
  return { pods, errors };
}

/** Sums pod usages; `workloadOf` answers from the caches (undefined: not cached). */
export function aggregatePods(
  pods: readonly PodUsage[],
  workloadOf: (namespace: string, name: string) => Workload | undefined,
): PodAggregate {
  const workloads = new Map<string, { w: Workload; cpu: number; memory: number; pods: number }>();
  const namespaces = new Map<string, { cpu: number; memory: number; pods: number }>();
  let unresolved = 0;
  for (const usage of pods) {
    const ns = namespaces.get(usage.namespace) ?? { cpu: 0, memory: 0, pods: 0 };
    add(ns, usage);
    namespaces.set(usage.namespace, ns);
    const w = workloadOf(usage.namespace, usage.name);
    if (w === undefined) {
      unresolved++;
      continue;
    }
    const key = workloadKey(w.namespace, w.kind, w.name);
    const sum = workloads.get(key) ?? { w, cpu: 0, memory: 0, pods: 0 };
    add(sum, usage);
    workloads.set(key, sum);
  }
  return {
    workloads: [...workloads.values()].map(({ w, cpu, memory, pods: n }) => ({
      namespace: w.namespace,
      kind: w.kind,
      name: w.name,
      cpu,
      memory,
      pods: n,
    })),
    namespaces: [...namespaces].map(([namespace, n]) => ({
      namespace,
      cpu: n.cpu,
      memory: n.memory,
      pods: n.pods,
    })),
    unresolved,
  };
}

/** Reads NodeMetrics items; a node with an unreadable usage is left out and its error returned. */
export function aggregateNodes(items: readonly RawObject[]): {
  nodes: NodeUsage[];
  errors: QuantityError[];
} {
  const nodes: NodeUsage[] = [];
  const errors: QuantityError[] = [];
  for (const item of items) {
    try {
      nodes.push({ node: item.name, ...usageOf(item.object["usage"]) });
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      errors.push(err);
    }
  }
  return { nodes, errors };
}

/** The key of a workload in maps and the samples store. */
export function workloadKey(namespace: string, kind: string, name: string): string {
  return JSON.stringify([namespace, kind, name]);
}

function add(sum: { cpu: number; memory: number; pods: number }, u: Usage): void {
  sum.cpu += u.cpu;
  sum.memory += u.memory;
  sum.pods++;
}

function podUsage(containers: unknown): Usage {
  let cpu = 0;
  let memory = 0;
  if (!Array.isArray(containers)) return { cpu, memory };
  for (const c of containers) {
    const u = usageOf(typeof c === "object" && c !== null ? Reflect.get(c, "usage") : undefined);
    cpu += u.cpu;
    memory += u.memory;
  }
  return { cpu, memory };
}

/** `{ cpu, memory }` quantities; an absent one is 0, an unreadable one throws QuantityError. */
function usageOf(usage: unknown): Usage {
  if (typeof usage !== "object" || usage === null) return { cpu: 0, memory: 0 };
  const cpu: unknown = Reflect.get(usage, "cpu");
  const memory: unknown = Reflect.get(usage, "memory");
  return {
    cpu: cpu === undefined ? 0 : parseQuantity(cpu),
    memory: memory === undefined ? 0 : parseQuantity(memory),
  };
}
