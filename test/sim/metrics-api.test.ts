/**
 * metrics.k8s.io/v1beta1 in the simulator: discovery, PodMetrics and NodeMetrics lists and gets
 * generated from the pods and nodes with the usages set, no watch, faults.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { KubeClient } from "../../src/kube/index.ts";
import { assertNoActiveHandles, cluster, http } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const POD_METRICS = { group: "metrics.k8s.io", version: "v1beta1", resource: "pods" } as const;
const BASE = "/apis/metrics.k8s.io/v1beta1";

void test("discovery lists metrics.k8s.io/v1beta1 with pods and nodes (get, list)", async (t) => {
  const c = await cluster(t);
  const apis = (await http(c, "GET", "/apis")).json;
  const group = apis.groups.find((g: Json) => g.name === "metrics.k8s.io");
  assert.deepEqual(group.preferredVersion, {
    groupVersion: "metrics.k8s.io/v1beta1",
    version: "v1beta1",
  });
  const list = (await http(c, "GET", BASE)).json;
  assert.equal(list.kind, "APIResourceList");
  const byName = Object.fromEntries(list.resources.map((r: Json) => [r.name, r]));
  assert.deepEqual(byName.pods, {
    name: "pods",
    singularName: "",
    namespaced: true,
    kind: "PodMetrics",
    verbs: ["get", "list"],
  });
  assert.equal(byName.nodes.kind, "NodeMetrics");
  assert.equal(byName.nodes.namespaced, false);
});

void test("pod and node metrics follow the objects and the usages set; others are zero", async (t) => {
  let now = Date.parse("2026-03-01T10:00:00.250Z");
  const c = await cluster(t, { clock: () => now });
  c.create("pods", {
    metadata: { name: "web-1", namespace: "shop", labels: { app: "web" } },
    spec: { containers: [{ name: "app" }, { name: "proxy" }] },
  });
  c.create("pods", {
    metadata: { name: "db-0", namespace: "data" },
    spec: { containers: [{ name: "pg" }] },
  });
  c.create("nodes", { metadata: { name: "node-a" } });
  c.create("nodes", { metadata: { name: "node-b" } });
  c.metrics.setPodUsage("shop", "web-1", {
    app: { cpu: "250m", memory: "64Mi" },
    proxy: { cpu: "10m" },
  });
  c.metrics.setPodUsage("shop", "absent", { app: { cpu: "1" } });
  c.metrics.setNodeUsage("node-a", { cpu: "1.5", memory: "3912Ki" });

  const pods = (await http(c, "GET", `${BASE}/pods`)).json;
  assert.equal(pods.kind, "PodMetricsList");
  assert.equal(pods.apiVersion, "metrics.k8s.io/v1beta1");
  assert.deepEqual(
    pods.items.map((i: Json) => [i.metadata.namespace, i.metadata.name, i.containers]),
    [
      ["data", "db-0", [{ name: "pg", usage: { cpu: "0", memory: "0" } }]],
      [
        "shop",
        "web-1",
        [
          { name: "app", usage: { cpu: "250m", memory: "64Mi" } },
          { name: "proxy", usage: { cpu: "10m", memory: "0" } },
        ],
      ],
    ],
  );
  const web = pods.items[1];
  assert.equal(web.timestamp, "2026-03-01T10:00:00Z");
  assert.equal(web.window, "30s");
  assert.deepEqual(web.metadata.labels, { app: "web" });

  const inShop = (await http(c, "GET", `${BASE}/namespaces/shop/pods`)).json;
  assert.deepEqual(
    inShop.items.map((i: Json) => i.metadata.name),
    ["web-1"],
  );
  const selected = (await http(c, "GET", `${BASE}/pods?labelSelector=app%3Dweb`)).json;
  assert.deepEqual(
    selected.items.map((i: Json) => i.metadata.name),
    ["web-1"],
  );
  const one = await http(c, "GET", `${BASE}/namespaces/data/pods/db-0`);
  assert.equal(one.status, 200);
  assert.equal(one.json.kind, "PodMetrics");
  assert.equal((await http(c, "GET", `${BASE}/namespaces/shop/pods/absent`)).status, 404);

  now += 60_000;
  const nodes = (await http(c, "GET", `${BASE}/nodes`)).json;
  assert.equal(nodes.kind, "NodeMetricsList");
  assert.deepEqual(
    nodes.items.map((i: Json) => [i.metadata.name, i.usage, i.timestamp]),
    [
      ["node-a", { cpu: "1.5", memory: "3912Ki" }, "2026-03-01T10:01:00Z"],
      ["node-b", { cpu: "0", memory: "0" }, "2026-03-01T10:01:00Z"],
    ],
  );
  assert.equal((await http(c, "GET", `${BASE}/nodes/node-b`)).json.kind, "NodeMetrics");

  // A deleted pod leaves the list; a cleared usage is zero again.
  c.delete("pods", "data", "db-0");
  c.metrics.clear();
  const afterDelete = (await http(c, "GET", `${BASE}/pods`)).json;
  assert.deepEqual(
    afterDelete.items.map((i: Json) => [
      i.metadata.name,
      i.containers.map((x: Json) => x.usage.cpu),
    ]),
    [["web-1", ["0", "0"]]],
  );
});

void test("KubeClient.list reads PodMetricsList; watch is 405; faults apply; bad usages are refused", async (t) => {
  const c = await cluster(t);
  const client = new KubeClient({ server: c.url });
  t.after(() => client.close());
  c.create("pods", { metadata: { name: "p", namespace: "n" } });
  c.metrics.setPodUsage("n", "p", { main: { cpu: "2e3", memory: "1.5Gi" } });
  const page = await client.list(POD_METRICS, { namespace: "n" });
  assert.deepEqual(
    page.items.map((i) => [i.namespace, i.name, i.object["containers"]]),
    [["n", "p", [{ name: "main", usage: { cpu: "2e3", memory: "1.5Gi" } }]]],
  );

  const watch = await http(c, "GET", `${BASE}/pods?watch=true`);
  assert.equal(watch.status, 405);
  assert.equal(watch.json.reason, "MethodNotAllowed");
  assert.equal((await http(c, "POST", `${BASE}/namespaces/n/pods`, { metadata: {} })).status, 405);
  assert.equal((await http(c, "GET", `${BASE}/pods?fieldSelector=a%3Db`)).status, 400);
  assert.equal((await http(c, "GET", `${BASE}/widgets`)).status, 404);

  c.faults.failRequests({ status: 503, resource: POD_METRICS, verb: "list" });
  await assert.rejects(client.list(POD_METRICS, {}), (err: unknown) => {
    assert.equal(Reflect.get(Object(err), "code"), "LOOKOUT_KUBE_API");
    assert.equal(Reflect.get(Object(err), "statusCode"), 503);
    return true;
  });
  assert.equal((await client.list(POD_METRICS, {})).items.length, 1);
  const recorded = c.requests.filter((r) => r.path.startsWith(BASE + "/"));
  assert.ok(recorded.some((r) => r.status === 503));

  for (const usage of [{ cpu: "250 m" }, { memory: "1KiB" }, { cpu: "" }, { memory: "1K" }]) {
    assert.throws(() => c.metrics.setPodUsage("n", "p", { main: usage }), {
      code: "LOOKOUT_SIM_INVALID",
    });
    assert.throws(() => c.metrics.setNodeUsage("x", usage), { code: "LOOKOUT_SIM_INVALID" });
  }
});
