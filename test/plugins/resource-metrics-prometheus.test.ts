/**
 * resource-metrics with the Prometheus HTTP API as the pod source: a Prometheus-shaped server on
 * loopback answers the configured PromQL; pods are summed per workload through the caches, nodes
 * still come from metrics.k8s.io; a failing query is counted as the `prometheus` source. The
 * default queries and the error answers against a real Prometheus scraping cAdvisor's series.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, test, type TestContext } from "node:test";
import { PluginHost } from "../../src/plugins/index.ts";
import { createResourceMetricsPlugin } from "../../plugins/resource-metrics/index.ts";
import { PrometheusQueryError } from "../../plugins/resource-metrics/errors.ts";
import {
  DEFAULT_CPU_QUERY,
  DEFAULT_MEMORY_QUERY,
  prometheusPodUsages,
} from "../../plugins/resource-metrics/prometheus.ts";
import { rejection } from "../support/assertions.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startPrometheus } from "../support/prometheus-server.ts";
import {
  PODS,
  startCluster,
  testMetrics,
  until,
  type ClusterSetup,
  type Metrics,
} from "./harness.ts";

after(assertNoActiveHandles);

/** Listens on a free loopback port (closed when the test ends); resolves the port. */
async function listenLoopback(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

type Vector = { metric: Record<string, string>; value: [number, string] }[];

/** A server answering `/api/v1/query` from `answers` (by query); unknown queries get 400. */
async function fakePrometheus(
  t: TestContext,
  answers: Map<string, Vector | { status: number; body: unknown }>,
): Promise<{ url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://prometheus.invalid");
    const q = url.searchParams.get("query") ?? "";
    queries.push(q);
    const answer = url.pathname === "/prefix/api/v1/query" ? answers.get(q) : undefined;
    let status = 200;
    let body: unknown;
    if (answer === undefined) {
      status = 400;
      body = { status: "error", errorType: "bad_data", error: `unknown query ${q}` };
    } else if (Array.isArray(answer)) {
      body = { status: "success", data: { resultType: "vector", result: answer } };
    } else {
      ({ status, body } = answer);
    }
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  const port = await listenLoopback(t, server);
  return { url: `http://127.0.0.1:${port}/prefix`, queries };
}

const sample = (namespace: string, pod: string, value: string) => ({
  metric: { namespace, pod },
  value: [1_700_000_000.5, value] as [number, string],
});

/** The plugin on a host, reading usage from the fake Prometheus (`cpu_q` and `memoryQuery`). */
async function startPromPlugin(
  t: TestContext,
  setup: ClusterSetup,
  url: string,
  memoryQuery: string,
): Promise<{ plugin: ReturnType<typeof createResourceMetricsPlugin>; metrics: Metrics }> {
  const metrics = testMetrics(t);
  const plugin = createResourceMetricsPlugin();
  const host = new PluginHost({
    plugins: [
      {
        plugin,
        config: { intervalSeconds: 0.05, prometheus: { url, cpuQuery: "cpu_q", memoryQuery } },
      },
    ],
    informers: setup.factory,
    client: setup.client,
    resources: [],
    meterProvider: metrics.provider,
  });
  t.after(() => host.close());
  await host.start();
  return { plugin, metrics };
}

void test("pod usage from PromQL, summed per workload; nodes from metrics.k8s.io; a bad value is left out", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  const rs = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web-1",
    uid: "u",
    controller: true,
  };
  cluster.create("apps/v1/replicasets", {
    metadata: {
      name: "web-1",
      namespace: "shop",
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d", controller: true },
      ],
    },
  });
  cluster.create(PODS, { metadata: { name: "web-1-a", namespace: "shop", ownerReferences: [rs] } });
  cluster.create(PODS, { metadata: { name: "web-1-b", namespace: "shop", ownerReferences: [rs] } });
  cluster.create("nodes", { metadata: { name: "node-a" } });
  cluster.metrics.setNodeUsage("node-a", { cpu: "2", memory: "1Gi" });
  // metrics.k8s.io would say otherwise: with Prometheus configured it is not asked for pods.
  cluster.metrics.setPodUsage("shop", "web-1-a", { app: { cpu: "7" } });

  const prom = await fakePrometheus(
    t,
    new Map([
      [
        "cpu_q",
        [
          sample("shop", "web-1-a", "0.25"),
          sample("shop", "web-1-b", "0.5"),
          sample("shop", "gone", "NaN"),
        ],
      ],
      ["mem_q", [sample("shop", "web-1-a", "1048576"), sample("other", "x", "10")]],
    ]),
  );
  const { plugin } = await startPromPlugin(t, setup, prom.url, "mem_q");
  await until("a collection", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);
  const c = plugin.lastCollection()!;
  assert.deepEqual(c.failed, []);
  assert.deepEqual(c.workloads, [
    { namespace: "shop", kind: "Deployment", name: "web", cpu: 0.75, memory: 1048576, pods: 2 },
  ]);
  const byNamespace = [...c.namespaces].sort((a, b) => a.namespace.localeCompare(b.namespace));
  assert.deepEqual(
    byNamespace.map((n) => [n.namespace, n.cpu, n.memory, n.pods]),
    [
      ["other", 0, 10, 1],
      ["shop", 0.75, 1048576, 2],
    ],
  );
  assert.equal(c.unresolved, 1, "other/x is not in the pods cache");
  assert.deepEqual(c.nodes, [{ node: "node-a", cpu: 2, memory: 2 ** 30 }]);
  assert.equal(c.errors.length, 1);
  assert.equal(Reflect.get(Object(c.errors[0]), "code"), "LOOKOUT_RESOURCE_METRICS_PROMETHEUS");
  assert.ok(prom.queries.includes("cpu_q") && prom.queries.includes("mem_q"));
  assert.equal(
    cluster.requests.some((r) => r.path === "/apis/metrics.k8s.io/v1beta1/pods"),
    false,
  );
});

void test("a failing PromQL query is counted as the prometheus source; nodes are still collected", async (t) => {
  const setup = await startCluster(t);
  setup.cluster.create("nodes", { metadata: { name: "node-a" } });
  const prom = await fakePrometheus(t, new Map([["cpu_q", []]]));
  const { plugin, metrics } = await startPromPlugin(t, setup, prom.url, "broken(");
  await until("a failed collection", () => (plugin.lastCollection()?.failed.length ?? 0) > 0);
  const c = plugin.lastCollection()!;
  assert.deepEqual(c.failed, ["prometheus"]);
  const error = c.errors[0];
  assert.equal(Reflect.get(Object(error), "code"), "LOOKOUT_RESOURCE_METRICS_PROMETHEUS");
  assert.equal(Reflect.get(Object(error), "statusCode"), 400);
  assert.equal(Reflect.get(Object(error), "errorType"), "bad_data");
  assert.equal(Reflect.get(Object(error), "query"), "broken(");
  assert.deepEqual(c.nodes, [{ node: "node-a", cpu: 0, memory: 0 }]);
  await until("counted", async () => {
    const points = await metrics.points("kube_lookout.resource.collection.failures");
    return points.some(
      (p) => p.attributes["kube_lookout.source"] === "prometheus" && Number(p.value) >= 1,
    );
  });
});

/** cAdvisor's labels of one container. */
function containerLabels(namespace: string, name: string, container: string): string {
  return `namespace="${namespace}",pod="${name}",container="${container}"`;
}

/**
 * A scrape target serving cAdvisor's two series: `web-1` has two containers and the pause
 * container (left out), `idle-1` a CPU counter that does not move; a series without a container
 * label (the pod cgroup, also left out).
 */
async function cadvisorTarget(t: TestContext): Promise<string> {
  const t0 = Date.now();
  const server = createServer((_req, res) => {
    const cpu = ((Date.now() - t0) / 1000) * 0.5; // half a core, in seconds of CPU
    const lines = [
      "# TYPE container_cpu_usage_seconds_total counter",
      `container_cpu_usage_seconds_total{${containerLabels("shop", "web-1", "app")}} ${cpu}`,
      `container_cpu_usage_seconds_total{${containerLabels("shop", "web-1", "POD")}} ${cpu * 4}`,
      `container_cpu_usage_seconds_total{namespace="shop",pod="web-1"} ${cpu * 8}`,
      `container_cpu_usage_seconds_total{${containerLabels("shop", "idle-1", "app")}} 12`,
      "# TYPE container_memory_working_set_bytes gauge",
      `container_memory_working_set_bytes{${containerLabels("shop", "web-1", "app")}} 1000000`,
      `container_memory_working_set_bytes{${containerLabels("shop", "web-1", "sidecar")}} 234567`,
      `container_memory_working_set_bytes{${containerLabels("shop", "web-1", "POD")}} 999999999`,
      `container_memory_working_set_bytes{namespace="shop",pod="web-1"} 888888888`,
      `container_memory_working_set_bytes{${containerLabels("shop", "idle-1", "app")}} 5000`,
      "",
    ];
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(lines.join("\n"));
  });
  const port = await listenLoopback(t, server);
  return `127.0.0.1:${port}`;
}

void test("a real Prometheus: the default queries sum cAdvisor's containers per pod; a bad query, a scalar and no server are clear errors", async (t) => {
  const prometheus = await startPrometheus(t, [await cadvisorTarget(t)]);
  const source = {
    url: prometheus.url,
    cpuQuery: DEFAULT_CPU_QUERY,
    memoryQuery: DEFAULT_MEMORY_QUERY,
    timeoutSeconds: 5,
  };
  const signal = AbortSignal.timeout(60_000);
  // rate() needs two scrapes of the counter.
  let usages = await prometheusPodUsages(source, signal);
  const deadline = Date.now() + 30_000;
  while (usages.pods.find((p) => p.name === "web-1" && p.cpu > 0) === undefined) {
    assert.ok(Date.now() < deadline, `no CPU rate in 30 s: ${JSON.stringify(usages)}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- waiting for scrapes
    await new Promise((resolve) => setTimeout(resolve, 250));
    // oxlint-disable-next-line eslint/no-await-in-loop -- waiting for scrapes
    usages = await prometheusPodUsages(source, signal);
  }
  assert.deepEqual(usages.errors, []);
  const byName = new Map(usages.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  assert.deepEqual([...byName.keys()].sort(), ["shop/idle-1", "shop/web-1"]);
  // The pause container and the pod-level series are not counted.
  assert.equal(byName.get("shop/web-1")?.memory, 1_234_567);
  assert.equal(byName.get("shop/idle-1")?.memory, 5000);
  assert.equal(byName.get("shop/idle-1")?.cpu, 0);
  // A series younger than the 5m window: rate() extrapolates over what it has, so only a bound.
  const webCpu = byName.get("shop/web-1")?.cpu ?? 0;
  assert.ok(webCpu > 0 && webCpu <= 0.5 * 1.5, `web-1 CPU ${webCpu}`);

  const bad = await rejection(prometheusPodUsages({ ...source, cpuQuery: "sum by (pod" }, signal));
  assert.ok(bad instanceof PrometheusQueryError, String(bad));
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.errorType, "bad_data");
  assert.match(bad.message, /sum by \(pod/);

  const scalar = await rejection(prometheusPodUsages({ ...source, memoryQuery: "1" }, signal));
  assert.ok(scalar instanceof PrometheusQueryError, String(scalar));
  assert.match(scalar.message, /the answer is not an instant vector/);

  const gone = await rejection(
    prometheusPodUsages({ ...source, url: "http://127.0.0.1:9", timeoutSeconds: 1 }, signal),
  );
  assert.ok(gone instanceof PrometheusQueryError, String(gone));
  assert.match(gone.message, /no readable answer/);
});
