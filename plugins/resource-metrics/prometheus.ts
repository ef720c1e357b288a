/**
 * The optional second source of pod usage: instant PromQL queries against a Prometheus HTTP API
 * (`GET <url>/api/v1/query`), one for CPU (cores) and one for memory (bytes), each returning a
 * vector with `namespace` and `pod` labels.
 */
import type { PodUsage } from "./aggregate.ts";
import { PrometheusQueryError } from "./errors.ts";

/** Where and what to query. */
export interface PrometheusSource {
  /** Base URL of the Prometheus HTTP API (`http://prometheus.monitoring:9090`). */
  readonly url: string;
  /** PromQL returning CPU cores per `namespace`, `pod`. */
  readonly cpuQuery: string;
  /** PromQL returning memory bytes per `namespace`, `pod`. */
  readonly memoryQuery: string;
  /** Per query. */
  readonly timeoutSeconds: number;
}

/** cAdvisor's CPU rate per pod (containers only, not the pause container). */
export const DEFAULT_CPU_QUERY =
  'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="",container!="POD"}[5m]))';
/** cAdvisor's working set per pod, as metrics-server reports memory. */
export const DEFAULT_MEMORY_QUERY =
  'sum by (namespace, pod) (container_memory_working_set_bytes{container!="",container!="POD"})';

/**
 * Pod usages from both queries (a pod missing from one has 0 there). Rejects with
 * `PrometheusQueryError` when a query fails, or with the abort reason.
 */
export async function prometheusPodUsages(
  source: PrometheusSource,
  signal: AbortSignal,
): Promise<{ pods: PodUsage[]; errors: PrometheusQueryError[] }> {
  const [cpu, memory] = await Promise.all([
    query(source, source.cpuQuery, signal),
    query(source, source.memoryQuery, signal),
  ]);
  const pods = new Map<string, { namespace: string; name: string; cpu: number; memory: number }>();
  const at = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    let p = pods.get(key);
    if (p === undefined) {
      p = { namespace, name, cpu: 0, memory: 0 };
      pods.set(key, p);
    }
    return p;
  };
  for (const s of cpu.samples) at(s.namespace, s.pod).cpu += s.value;
  for (const s of memory.samples) at(s.namespace, s.pod).memory += s.value;
  return { pods: [...pods.values()], errors: [...cpu.errors, ...memory.errors] };
}

interface Sample {
  readonly namespace: string;
  readonly pod: string;
  readonly value: number;
}

async function query(
  source: PrometheusSource,
  promql: string,
  signal: AbortSignal,
): Promise<{ samples: Sample[]; errors: PrometheusQueryError[] }> {
  const url = new URL("api/v1/query", source.url.endsWith("/") ? source.url : `${source.url}/`);
  url.searchParams.set("query", promql);
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(source.timeoutSeconds * 1000)]),
      headers: { accept: "application/json" },
    });
    body = await res.json();
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw new PrometheusQueryError(promql, "no readable answer", {}, { cause: err });
  }
  const field = (key: string): unknown =>
    typeof body === "object" && body !== null ? Reflect.get(body, key) : undefined;
  if (!res.ok || field("status") !== "success") {
    const errorType = field("errorType");
    const error = field("error");
    throw new PrometheusQueryError(
      promql,
      typeof error === "string" ? error : `HTTP ${res.status}`,
      { statusCode: res.status, ...(typeof errorType === "string" ? { errorType } : {}) },
    );
  }
  const data = field("data");
  const result: unknown =
    typeof data === "object" && data !== null ? Reflect.get(data, "result") : undefined;
  if (!Array.isArray(result) || Reflect.get(Object(data), "resultType") !== "vector") {
    throw new PrometheusQueryError(promql, "the answer is not an instant vector", {
      statusCode: res.status,
    });
  }
  const samples: Sample[] = [];
  const errors: PrometheusQueryError[] = [];
  for (const r of result) {
    const sample = readSample(r);
    if (typeof sample === "string") errors.push(new PrometheusQueryError(promql, sample));
    else samples.push(sample);
  }
  return { samples, errors };
}

/** A vector element as a sample, or what is wrong with it. */
function readSample(r: unknown): Sample | string {
  if (typeof r !== "object" || r === null) return "a result is not an object";
  const metric: unknown = Reflect.get(r, "metric");
  const value: unknown = Reflect.get(r, "value");
  const label = (k: string): unknown =>
    typeof metric === "object" && metric !== null ? Reflect.get(metric, k) : undefined;
  const namespace = label("namespace");
  const pod = label("pod");
  if (typeof namespace !== "string" || typeof pod !== "string" || namespace === "" || pod === "") {
    return "a result has no namespace and pod labels";
  }
  const text: unknown = Array.isArray(value) ? value[1] : undefined;
  const n = typeof text === "string" && text.trim() !== "" ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) return `pod ${namespace}/${pod} has the value ${String(text)}`;
  return { namespace, pod, value: n };
}
