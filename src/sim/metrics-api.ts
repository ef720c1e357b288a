/**
 * The resource metrics API (`metrics.k8s.io/v1beta1`, as metrics-server serves it): PodMetrics
 * and NodeMetrics lists and gets, generated at each request from the simulator's pods and nodes
 * with usages set by the test (`cluster.metrics`), zero for the others. LIST and GET only: the
 * real API has no watch, and neither has this one (405).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { compileLabelSelector } from "../selectors/index.ts";
import type { LabelMatcher } from "../selectors/index.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import type { RequestFaults } from "./faults.ts";
import { sendJson, sendStatus, statusOf } from "./http-respond.ts";
import type { RequestRecord } from "./http-server.ts";
import { resolveTarget } from "./http-route.ts";
import type { Registry } from "./registry.ts";
import { badRequest, failure, methodNotAllowed, notFound, pathNotFound } from "./status.ts";

const GROUP = "metrics.k8s.io";
const VERSION = "v1beta1";
const API_VERSION = `${GROUP}/${VERSION}`;
const WINDOW = "30s";
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/;

/** `pods` and `nodes` of metrics.k8s.io/v1beta1, as discovery lists them (get and list only). */
export const METRICS_RESOURCES: readonly ResourceDefinition[] = [
  {
    group: GROUP,
    version: VERSION,
    resource: "nodes",
    kind: "NodeMetrics",
    namespaced: false,
    singularName: "",
    verbs: ["get", "list"],
  },
  {
    group: GROUP,
    version: VERSION,
    resource: "pods",
    kind: "PodMetrics",
    namespaced: true,
    singularName: "",
    verbs: ["get", "list"],
  },
];

/** A usage as Kubernetes quantities (`"250m"`, `"64Mi"`); a missing one is served as `"0"`. */
export interface MetricsUsage {
  readonly cpu?: string;
  readonly memory?: string;
}

/** The usages `cluster.metrics` serves. See docs/simulator.md. */
export interface SimMetrics {
  /**
   * Sets the usage of pod `namespace/name`, per container name: its PodMetrics lists exactly
   * these containers (without a usage set, the pod's `spec.containers` with zero usage). Kept
   * until replaced or `clear()`, and served only while the pod exists. Throws
   * LOOKOUT_SIM_INVALID for a value that is not a Kubernetes quantity.
   */
  setPodUsage(
    namespace: string,
    name: string,
    containers: Readonly<Record<string, MetricsUsage>>,
  ): void;
  /** Sets the usage of node `name` (served while the node exists). Throws like `setPodUsage`. */
  setNodeUsage(name: string, usage: MetricsUsage): void;
  /** Forgets every usage set: every pod and node is served with zero usage. */
  clear(): void;
}

/** What the metrics API needs from its cluster. */
export interface MetricsApiDeps {
  readonly registry: Registry;
  readonly faults: RequestFaults;
  readonly clock: () => number;
  /** The stored objects of a resource, all namespaces, sorted by namespace/name. */
  list(def: ResourceDefinition): KubeObject[];
  record(r: RequestRecord): void;
}

/** The metrics API of one cluster: the test-facing usages and the HTTP handler. */
export interface MetricsApi {
  readonly metrics: SimMetrics;
  /**
   * Answers the request when it addresses a metrics.k8s.io resource (returns true), else
   * returns false and leaves it alone. Never throws: errors are Status answers.
   */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

type Usage = { cpu: string; memory: string };

function checked(what: string, usage: MetricsUsage): Usage {
  const out = { cpu: usage.cpu ?? "0", memory: usage.memory ?? "0" };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value !== "string" || !QUANTITY.test(value)) {
      throw new SimError(
        SimErrorCode.Invalid,
        failure(422, "Invalid", `invalid ${key} usage of ${what}: ${JSON.stringify(value)}`),
      );
    }
  }
  return out;
}

/** Builds the metrics API over the cluster's registry, faults and objects. */
export function createMetricsApi(deps: MetricsApiDeps): MetricsApi {
  const pods = new Map<string, readonly { name: string; usage: Usage }[]>();
  const nodes = new Map<string, Usage>();

  const metrics: SimMetrics = {
    setPodUsage(namespace, name, containers) {
      const list = Object.entries(containers).map(([container, usage]) => ({
        name: container,
        usage: checked(`pod ${namespace}/${name} container ${container}`, usage),
      }));
      pods.set(`${namespace}/${name}`, list);
    },
    setNodeUsage(name, usage) {
      nodes.set(name, checked(`node ${name}`, usage));
    },
    clear() {
      pods.clear();
      nodes.clear();
    },
  };

  const podItem = (pod: KubeObject, now: string): object => {
    const set = pods.get(`${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`);
    const containers = set ?? specContainers(pod).map((name) => ({ name, usage: ZERO }));
    return { ...common(pod, now), containers };
  };
  const nodeItem = (node: KubeObject, now: string): object => ({
    ...common(node, now),
    usage: nodes.get(node.metadata.name ?? "") ?? ZERO,
  });

  const answer = (req: IncomingMessage, url: URL, segments: string[]): string => {
    const t = resolveTarget(deps.registry, segments);
    if (t === undefined) throw pathNotFound();
    const query = url.searchParams;
    const w = query.get("watch");
    if (req.method !== "GET" || w === "true" || w === "1") throw methodNotAllowed(req.method ?? "");
    const verb = t.name === undefined ? "list" : "get";
    const denied = deps.faults.forbidden(verb, t.def, t.namespace, t.name);
    if (denied !== undefined) throw denied;
    const injected = deps.faults.take(verb, t.def);
    if (injected !== undefined) throw injected;
    const source = deps.registry.resolve(t.def.resource === "pods" ? "v1/pods" : "v1/nodes");
    const now = new Date(deps.clock()).toISOString().replace(/\.\d+Z$/, "Z");
    const render = t.def.resource === "pods" ? podItem : nodeItem;
    const objects = deps
      .list(source)
      .filter((o) => t.namespace === "" || o.metadata.namespace === t.namespace);
    if (t.name !== undefined) {
      const found = objects.find((o) => o.metadata.name === t.name);
      if (found === undefined) throw notFound(t.def, t.name);
      return JSON.stringify({ kind: t.def.kind, apiVersion: API_VERSION, ...render(found, now) });
    }
    if ((query.get("fieldSelector") ?? "") !== "") {
      throw badRequest("fieldSelector is not supported by the simulated metrics API");
    }
    const matches = labelMatcher(query.get("labelSelector"));
    const items = objects.filter((o) => matches(o.metadata.labels)).map((o) => render(o, now));
    return JSON.stringify({
      kind: `${t.def.kind}List`,
      apiVersion: API_VERSION,
      metadata: {},
      items,
    });
  };

  return {
    metrics,
    serve(req, res) {
      const url = new URL(req.url ?? "/", "http://sim.invalid");
      const segments = url.pathname.split("/").filter((s) => s !== "");
      // `/apis/metrics.k8s.io/v1beta1` itself is discovery, served from the registry.
      if (segments[0] !== "apis" || segments[1] !== GROUP || segments.length < 4) return false;
      let status = 200;
      try {
        sendJson(res, 200, answer(req, url, segments.map(decodeSegment)));
      } catch (error: unknown) {
        const s = statusOf(error);
        status = s.code;
        sendStatus(res, s);
      }
      deps.record({
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.search.replace(/^\?/, ""),
        status,
        watch: false,
      });
      return true;
    },
  };
}

const ZERO: Usage = { cpu: "0", memory: "0" };

/** The metadata, timestamp and window every metrics item has. */
function common(o: KubeObject, now: string): object {
  return {
    metadata: {
      name: o.metadata.name,
      ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
      creationTimestamp: now,
      ...(o.metadata.labels === undefined ? {} : { labels: o.metadata.labels }),
    },
    timestamp: now,
    window: WINDOW,
  };
}

function specContainers(pod: KubeObject): string[] {
  const spec = pod["spec"];
  if (typeof spec !== "object" || spec === null) return [];
  const containers: unknown = Reflect.get(spec, "containers");
  if (!Array.isArray(containers)) return [];
  const names: string[] = [];
  for (const c of containers) {
    const name: unknown = typeof c === "object" && c !== null ? Reflect.get(c, "name") : undefined;
    if (typeof name === "string") names.push(name);
  }
  return names;
}

function labelMatcher(selector: string | null): LabelMatcher {
  if (selector === null || selector === "") return () => true;
  try {
    return compileLabelSelector(selector);
  } catch (error: unknown) {
    throw badRequest(`unable to parse requirement: ${String(error)}`, error);
  }
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (error: unknown) {
    throw badRequest(`malformed path segment "${s}"`, error);
  }
}
