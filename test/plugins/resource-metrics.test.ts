/**
 * resource-metrics against the simulator's metrics.k8s.io: known usages → gauges per workload
 * (pods summed through ReplicaSet → Deployment and the other controllers), namespace and node;
 * a deleted workload's series gone at the next collection; snapshots published; samples kept;
 * a failing source counted and its series absent; a workload name with a dot stays one subject
 * token on a real nats-server.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { DataPoint } from "@opentelemetry/sdk-metrics";
import { PluginHost } from "../../src/plugins/index.ts";
import type { SimulatedCluster } from "../../src/sim/index.ts";
import { createResourceMetricsPlugin } from "../../plugins/resource-metrics/index.ts";
import {
  CLUSTER,
  PREFIX,
  STREAM,
  startPipeline,
  waitForStream,
} from "../events/pipeline-support.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startNatsServer } from "../support/nats-server.ts";
import {
  PODS,
  startCluster,
  testMetrics,
  until,
  type ClusterSetup,
  type Metrics,
} from "./harness.ts";

after(assertNoActiveHandles);

const CPU = "kube_lookout.resource.cpu.usage";
const MEMORY = "kube_lookout.resource.memory.usage";
const Mi = 2 ** 20;
const Gi = 2 ** 30;

function owner(kind: string, name: string, apiVersion = "apps/v1"): object {
  return { apiVersion, kind, name, uid: `uid-${name}`, controller: true };
}

function pod(
  cluster: SimulatedCluster,
  namespace: string,
  name: string,
  ownerRef: object | undefined,
): void {
  cluster.create(PODS, {
    metadata: {
      name,
      namespace,
      ...(ownerRef === undefined ? {} : { ownerReferences: [ownerRef] }),
    },
    spec: { containers: [{ name: "app" }] },
  });
}

/** A population with every kind of owner, and known usages. */
function populate(cluster: SimulatedCluster): void {
  cluster.create("apps/v1/deployments", { metadata: { name: "web", namespace: "shop" } });
  cluster.create("apps/v1/replicasets", {
    metadata: { name: "web-7d9", namespace: "shop", ownerReferences: [owner("Deployment", "web")] },
  });
  cluster.create("apps/v1/replicasets", { metadata: { name: "lonely", namespace: "shop" } });
  pod(cluster, "shop", "web-7d9-a", owner("ReplicaSet", "web-7d9"));
  pod(cluster, "shop", "web-7d9-b", owner("ReplicaSet", "web-7d9"));
  pod(cluster, "shop", "lonely-x", owner("ReplicaSet", "lonely"));
  pod(cluster, "shop", "debug", undefined);
  pod(cluster, "data", "db-0", owner("StatefulSet", "db"));
  pod(cluster, "data", "db-1", owner("StatefulSet", "db"));
  pod(cluster, "kube-system", "agent-x1", owner("DaemonSet", "agent"));
  pod(cluster, "data", "migrate-q", owner("Job", "migrate", "batch/v1"));
  cluster.create("nodes", { metadata: { name: "node-a" } });
  cluster.create("nodes", { metadata: { name: "node-b" } });

  const m = cluster.metrics;
  m.setPodUsage("shop", "web-7d9-a", {
    app: { cpu: "250m", memory: "64Mi" },
    proxy: { cpu: "50m", memory: "16Mi" },
  });
  m.setPodUsage("shop", "web-7d9-b", { app: { cpu: "1", memory: "128Mi" } });
  m.setPodUsage("shop", "lonely-x", { app: { cpu: "100n", memory: "3912Ki" } });
  m.setPodUsage("shop", "debug", { app: { cpu: "10u", memory: "1M" } });
  m.setPodUsage("data", "db-0", { app: { cpu: "1.5", memory: "1.5Gi" } });
  m.setPodUsage("data", "db-1", { app: { cpu: "2000m", memory: "1Gi" } });
  m.setPodUsage("kube-system", "agent-x1", { app: { cpu: "20m", memory: "32Mi" } });
  // migrate-q: no usage set, served as zero.
  m.setNodeUsage("node-a", { cpu: "3", memory: "6Gi" });
  m.setNodeUsage("node-b", { cpu: "1500m", memory: "2e9" });
}

type Points = Map<string, number>;

/** What the recording publisher got: the subject's tokens (a string split on dots) and body. */
interface Published {
  readonly tokens: readonly string[];
  readonly body: unknown;
}

/** The gauge's points keyed `workload ns/Kind/name`, `namespace ns`, `node name`. */
async function read(metrics: Metrics, name: string): Promise<Points> {
  const out: Points = new Map();
  for (const p of await metrics.points(name)) out.set(keyOf(p), Number(p.value));
  return out;
}

function keyOf(p: DataPoint<unknown>): string {
  const a = p.attributes;
  switch (a["kube_lookout.scope"]) {
    case "workload":
      return `workload ${String(a["k8s.namespace.name"])}/${String(a["k8s.workload.kind"])}/${String(a["k8s.workload.name"])}`;
    case "namespace":
      return `namespace ${String(a["k8s.namespace.name"])}`;
    case "node":
      return `node ${String(a["k8s.node.name"])}`;
    default:
      return `unexpected ${JSON.stringify(a)}`;
  }
}

function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, expected),
    `${what}: ${String(actual)} ≠ ${expected}`,
  );
}

async function startPlugin(
  t: TestContext,
  setup: ClusterSetup,
  config: object,
  published?: Published[],
) {
  const metrics = testMetrics(t, { gaugeDelta: true });
  const plugin = createResourceMetricsPlugin();
  const host = new PluginHost({
    plugins: [{ plugin, config }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    meterProvider: metrics.provider,
    ...(published === undefined
      ? {}
      : {
          events: {
            publish: (subject: string | readonly string[], body: unknown) =>
              published.push({
                tokens: typeof subject === "string" ? subject.split(".") : [...subject],
                body,
              }),
          },
        }),
  });
  t.after(() => host.close());
  const { started, failed } = await host.start();
  assert.deepEqual([started, failed], [["resource-metrics"], []]);
  return { metrics, plugin, host };
}

void test("known usages → gauges per workload, namespace and node; snapshots published; samples kept", async (t) => {
  const setup = await startCluster(t);
  populate(setup.cluster);
  const published: Published[] = [];
  const { metrics, plugin } = await startPlugin(t, setup, { intervalSeconds: 0.1 }, published);
  await until("a collection", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);

  const cpu = await read(metrics, CPU);
  const memory = await read(metrics, MEMORY);
  const expected: [string, number, number][] = [
    ["workload shop/Deployment/web", 0.25 + 0.05 + 1, (64 + 16 + 128) * Mi],
    ["workload shop/ReplicaSet/lonely", 100e-9, 3912 * 1024],
    ["workload shop/Pod/debug", 10e-6, 1e6],
    ["workload data/StatefulSet/db", 1.5 + 2, 1.5 * Gi + Gi],
    ["workload data/Job/migrate", 0, 0],
    ["workload kube-system/DaemonSet/agent", 0.02, 32 * Mi],
    ["namespace shop", 0.25 + 0.05 + 1 + 100e-9 + 10e-6, 208 * Mi + 3912 * 1024 + 1e6],
    ["namespace data", 3.5, 2.5 * Gi],
    ["namespace kube-system", 0.02, 32 * Mi],
    ["node node-a", 3, 6 * Gi],
    ["node node-b", 1.5, 2e9],
  ];
  assert.deepEqual([...cpu.keys()].sort(), expected.map(([k]) => k).sort());
  assert.deepEqual([...memory.keys()].sort(), expected.map(([k]) => k).sort());
  for (const [key, c, m] of expected) {
    near(cpu.get(key), c, `cpu of ${key}`);
    near(memory.get(key), m, `memory of ${key}`);
  }
  assert.equal(plugin.lastCollection()?.unresolved, 0);

  // One snapshot per workload and collection, on metrics.<namespace>.<workload name>.
  const web = published.find((e) => e.tokens.join(" ") === "metrics shop web");
  assert.ok(web !== undefined, `published: ${published.map((e) => e.tokens.join(" ")).join(", ")}`);
  assert.equal(Reflect.get(Object(web.body), "kind"), "Deployment");
  assert.equal(Reflect.get(Object(web.body), "pods"), 2);
  assert.equal(Reflect.get(Object(web.body), "memory"), 208 * Mi);
  assert.ok(published.some((e) => e.tokens.join(" ") === "metrics data db"));

  await until(
    "three samples of web",
    () => plugin.samples("shop", "Deployment", "web").length >= 3,
  );
  const samples = plugin.samples("shop", "Deployment", "web");
  for (const s of samples) {
    near(s.cpu, 1.3, "sample cpu");
    assert.equal(s.memory, 208 * Mi);
    assert.equal(s.pods, 2);
  }
  const times = samples.map((s) => s.time);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.deepEqual(plugin.samples("shop", "Deployment", "nope"), []);
});

void test("a deleted workload's series are gone at the next collection; a changed usage is seen", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  populate(cluster);
  const { metrics, plugin } = await startPlugin(t, setup, { intervalSeconds: 0.05 });
  await until("a collection", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);
  assert.ok((await read(metrics, CPU)).has("workload data/StatefulSet/db"));

  cluster.delete(PODS, "data", "db-0");
  cluster.delete(PODS, "data", "db-1");
  cluster.metrics.setPodUsage("shop", "web-7d9-b", { app: { cpu: "2", memory: "128Mi" } });
  const deletedAt = Date.now();
  await until(
    "a collection after the deletion",
    () => (plugin.lastCollection()?.time ?? 0) > deletedAt + 10,
  );

  const cpu = await read(metrics, CPU);
  const memory = await read(metrics, MEMORY);
  assert.equal(cpu.has("workload data/StatefulSet/db"), false, [...cpu.keys()].join(", "));
  assert.equal(memory.has("workload data/StatefulSet/db"), false);
  near(cpu.get("namespace data"), 0, "data without db"); // migrate-q is left, at zero
  near(cpu.get("workload shop/Deployment/web"), 2.3, "web after the change");
  assert.ok(cpu.has("node node-a"));

  // Deleting the last pod of a namespace removes the namespace series too.
  cluster.delete(PODS, "data", "migrate-q");
  const later = Date.now();
  await until("another collection", () => (plugin.lastCollection()?.time ?? 0) > later + 10);
  const after2 = await read(metrics, CPU);
  assert.equal(after2.has("namespace data"), false);
  assert.equal(after2.has("workload data/Job/migrate"), false);
});

void test("a failing pods LIST is counted, its series are absent until the next round; nodes stay", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  populate(cluster);
  const { metrics, plugin } = await startPlugin(t, setup, { intervalSeconds: 0.05 });
  await until("a collection", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);
  cluster.faults.failRequests({
    status: 503,
    count: 1,
    resource: "metrics.k8s.io/v1beta1/pods",
    verb: "list",
  });
  await until("the failed round", () => plugin.lastCollection()?.failed.includes("pods") === true);
  const cpu = await read(metrics, CPU);
  assert.deepEqual(
    [...cpu.keys()].sort(),
    ["node node-a", "node node-b"],
    "during a failed round only the nodes are exported",
  );
  const failures = await metrics.points("kube_lookout.resource.collection.failures");
  assert.deepEqual(
    failures.map((p) => [p.attributes["kube_lookout.source"], p.value]),
    [["metrics.k8s.io/v1beta1/pods", 1]],
  );
  await until("a good round again", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);
  assert.ok((await read(metrics, CPU)).has("workload shop/Deployment/web"));
});

void test("a workload name with a dot stays one subject token: kl.test.metrics.shop.web%2Ev2, ce-subject shop/web.v2", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  cluster.create("apps/v1/deployments", { metadata: { name: "web.v2", namespace: "shop" } });
  cluster.create("apps/v1/replicasets", {
    metadata: {
      name: "web.v2-5f8",
      namespace: "shop",
      ownerReferences: [owner("Deployment", "web.v2")],
    },
  });
  pod(cluster, "shop", "web.v2-5f8-a", owner("ReplicaSet", "web.v2-5f8"));
  cluster.metrics.setPodUsage("shop", "web.v2-5f8-a", { app: { cpu: "250m", memory: "64Mi" } });
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-resource-metrics-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const running = await startPipeline({
    simUrl: cluster.url,
    natsUrl: nats.url,
    dbPath: join(dir, "state.db"),
  });
  t.after(() => running.close());
  const plugin = createResourceMetricsPlugin();
  const host = new PluginHost({
    // One collection in the test's time: one snapshot.
    plugins: [{ plugin, config: { intervalSeconds: 3600 } }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    events: running.pipeline,
  });
  t.after(() => host.close());
  assert.deepEqual((await host.start()).started, ["resource-metrics"]);
  await until("a collection", () => (plugin.lastCollection()?.workloads.length ?? 0) > 0);
  assert.equal(await waitForStream(nats.url, 1), 1);

  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const message = await (await jetstreamManager(nc)).streams.getMessage(STREAM, { seq: 1 });
  assert.equal(message?.subject, `${PREFIX}.${CLUSTER}.metrics.shop.web%2Ev2`);
  assert.equal(message?.header.get("ce-type"), "io.kube-lookout.metrics");
  assert.equal(message?.header.get("ce-subject"), "shop/web.v2");
  const body: unknown = message?.json();
  assert.equal(Reflect.get(Object(body), "kind"), "Deployment");
  assert.equal(Reflect.get(Object(body), "name"), "web.v2");
  // Stop in reverse start order (the hooks above are the fallback when an assertion fails).
  await host.close();
  await running.close();
});

void test("the built-in loads by name and stops on close", async (t) => {
  const setup = await startCluster(t);
  populate(setup.cluster);
  const metrics = testMetrics(t, { gaugeDelta: true });
  const host = new PluginHost({
    plugins: [{ plugin: "resource-metrics", config: { intervalSeconds: 0.05 } }],
    informers: setup.factory,
    client: setup.client,
    resources: [],
    meterProvider: metrics.provider,
  });
  t.after(() => host.close());
  assert.deepEqual((await host.start()).started, ["resource-metrics"]);
  await until("gauges", async () => (await metrics.points(CPU)).length > 0);
  await host.close();
  assert.deepEqual(
    host.status().map((s) => s.state),
    ["stopped"],
  );
  // Stopped: the callbacks are removed, nothing is observed any more.
  assert.deepEqual(await metrics.points(CPU), []);
});
