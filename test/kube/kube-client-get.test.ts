/** KubeClient.get and getJson against the simulated API server. */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { KubeApiError, KubeClient, type ResourceId } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "./http-server.ts";

after(assertNoActiveHandles);

const SECRETS: ResourceId = { group: "", version: "v1", resource: "secrets" };
const NAMESPACES: ResourceId = { group: "", version: "v1", resource: "namespaces" };

void test("get reads one object, namespaced or cluster-scoped, and 404s a missing one", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.29.3-eks-4f4795d" });
  t.after(() => sim.close());
  const requests: string[] = [];
  const client = new KubeClient({
    server: sim.url,
    hooks: { onRequest: (info) => requests.push(`${info.verb} ${info.statusCode}`) },
  });
  t.after(() => client.close());
  sim.create("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "a.b.v1", namespace: "team-a", labels: { owner: "helm" } },
    data: { release: "eA==" },
  });
  sim.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });

  const secret = await client.get(SECRETS, "team-a", "a.b.v1");
  assert.equal(secret.name, "a.b.v1");
  assert.equal(secret.namespace, "team-a");
  assert.deepEqual(secret.labels, { owner: "helm" });
  assert.deepEqual(secret.object["data"], { release: "eA==" });
  assert.ok(!secret.json.includes("managedFields"));

  const ns = await client.get(NAMESPACES, "", "team-a");
  assert.equal(ns.name, "team-a");

  await assert.rejects(client.get(SECRETS, "team-a", "missing"), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.code, "LOOKOUT_KUBE_API");
    assert.equal(err.statusCode, 404);
    return true;
  });
  await assert.rejects(client.get(SECRETS, "team-a", "a/b"), RangeError);
  assert.deepEqual(requests, ["get 200", "get 200", "get 404"]);

  const version = await client.getJson("/version");
  assert.ok(typeof version === "object" && version !== null && "gitVersion" in version);
  assert.equal(version.gitVersion, "v1.29.3-eks-4f4795d");
  // The error names the path as requested (not "//nothing-here").
  await assert.rejects(client.getJson("/nothing-here"), {
    code: "LOOKOUT_KUBE_API",
    message: /^get \/nothing-here: HTTP 404/,
  });
  await assert.rejects(client.getJson("version"), RangeError);
});

void test("get honours an aborted signal and a closed client", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  await assert.rejects(client.get(SECRETS, "x", "y", {}, AbortSignal.abort(new Error("stop"))), {
    message: "stop",
  });
  client.close();
  await assert.rejects(client.get(SECRETS, "x", "y"), { code: "LOOKOUT_KUBE_CLOSED" });
});
