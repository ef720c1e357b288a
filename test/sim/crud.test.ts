import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SimErrorCode } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http, pod } from "./support.ts";

after(assertNoActiveHandles);

void test("create, get, update, patch, delete over HTTP with server-set fields", async (t) => {
  const c = await cluster(t);
  const rv0 = Number(c.resourceVersion);
  const created = await http(c, "POST", "/api/v1/namespaces/default/pods", pod("a"));
  assert.equal(created.status, 201);
  const a = created.json;
  assert.equal(a.apiVersion, "v1");
  assert.equal(a.kind, "Pod");
  assert.match(a.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(a.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.metadata.resourceVersion, String(rv0 + 1));
  assert.equal(a.metadata.generation, 1);
  assert.equal(c.resourceVersion, String(rv0 + 1));

  const got = await http(c, "GET", "/api/v1/namespaces/default/pods/a");
  assert.equal(got.status, 200);
  assert.deepEqual(got.json, a);

  // Update of labels only: generation unchanged. Spec change: generation + 1.
  const u1 = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", {
    ...a,
    metadata: { ...a.metadata, labels: { x: "1" } },
  });
  assert.equal(u1.status, 200);
  assert.equal(u1.json.metadata.generation, 1);
  assert.equal(u1.json.metadata.uid, a.metadata.uid);
  assert.equal(u1.json.metadata.creationTimestamp, a.metadata.creationTimestamp);
  const u2 = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", {
    ...u1.json,
    spec: { ...u1.json.spec, nodeName: "node-2" },
  });
  assert.equal(u2.json.metadata.generation, 2);
  assert.ok(Number(u2.json.metadata.resourceVersion) > Number(u1.json.metadata.resourceVersion));

  // Stale RV: 409 Conflict with the apiserver message.
  const stale = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", u1.json);
  assert.equal(stale.status, 409);
  assert.deepEqual(stale.json, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message:
      'Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again',
    reason: "Conflict",
    details: { name: "a", kind: "pods" },
    code: 409,
  });
  // No RV: unconditional.
  const { resourceVersion: _rv, ...noRv } = u1.json.metadata;
  const uncond = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", {
    ...u1.json,
    metadata: noRv,
  });
  assert.equal(uncond.status, 200);
  assert.equal(uncond.json.metadata.generation, 3); // spec went back from node-2 to node-1

  const patched = await http(
    c,
    "PATCH",
    "/api/v1/namespaces/default/pods/a",
    { metadata: { labels: { x: null, y: "2" } }, status: { phase: "Running" } },
    { "content-type": "application/merge-patch+json" },
  );
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.json.metadata.labels, { y: "2" });
  assert.equal(patched.json.status.phase, "Running");
  assert.equal(patched.json.metadata.generation, 3); // metadata/status only: unchanged

  for (const type of [
    "application/json-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "PATCH", "/api/v1/namespaces/default/pods/a", "[]", {
      "content-type": type,
    });
    assert.equal(r.status, 415, type);
    assert.equal(r.json.reason, "UnsupportedMediaType");
  }

  const del = await http(c, "DELETE", "/api/v1/namespaces/default/pods/a");
  assert.equal(del.status, 200);
  assert.ok(del.json.metadata.deletionTimestamp);
  assert.equal(del.json.metadata.uid, a.metadata.uid);
  assert.ok(
    Number(del.json.metadata.resourceVersion) > Number(patched.json.metadata.resourceVersion),
  );
  assert.equal(c.get("pods", "default", "a"), undefined);
  const gone = await http(c, "GET", "/api/v1/namespaces/default/pods/a");
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.json, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'pods "a" not found',
    reason: "NotFound",
    details: { name: "a", kind: "pods" },
    code: 404,
  });
});

void test("errors: already exists, namespace mismatch, name mismatch, missing name, unknown paths, bad method", async (t) => {
  const c = await cluster(t);
  assert.equal((await http(c, "POST", "/api/v1/namespaces/default/pods", pod("a"))).status, 201);
  const dup = await http(c, "POST", "/api/v1/namespaces/default/pods", pod("a"));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.reason, "AlreadyExists");
  assert.equal(dup.json.message, 'pods "a" already exists');

  const mismatch = await http(c, "POST", "/api/v1/namespaces/other/pods", pod("b", "default"));
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.json.reason, "BadRequest");
  // Creating in a namespace that does not exist is allowed (documented simplification).
  assert.equal(
    (await http(c, "POST", "/api/v1/namespaces/nowhere/pods", pod("b", "nowhere"))).status,
    201,
  );

  const nameMismatch = await http(c, "PUT", "/api/v1/namespaces/default/pods/zzz", pod("a"));
  assert.equal(nameMismatch.status, 400);

  const noName = await http(c, "POST", "/api/v1/namespaces/default/configmaps", { metadata: {} });
  assert.equal(noName.status, 422);
  assert.equal(noName.json.reason, "Invalid");
  assert.equal(noName.json.details.causes[0].field, "metadata.name");

  const wrongKind = await http(c, "POST", "/api/v1/namespaces/default/configmaps", pod("c"));
  assert.equal(wrongKind.status, 400);

  for (const path of [
    "/api/v1/widgets",
    "/apis/apps/v1/namespaces/x/pods",
    "/api/v1/pods/a",
    "/nope",
    "/apis/nope/v1/things",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", path);
    assert.equal(r.status, 404, path);
    assert.equal(r.json.kind, "Status");
    assert.equal(r.json.reason, "NotFound");
  }
  const bad = await http(c, "POST", "/api/v1/namespaces/default/pods/a", pod("a"));
  assert.equal(bad.status, 405);
  assert.equal(bad.json.reason, "MethodNotAllowed");
  assert.equal((await http(c, "GET", "/api/v1/namespaces/%E0%A4%A/pods")).status, 400);
  const notJson = await http(c, "POST", "/api/v1/namespaces/default/pods", "{nope");
  assert.equal(notJson.status, 400);
  const updMissing = await http(
    c,
    "PUT",
    "/api/v1/namespaces/default/pods/missing",
    pod("missing"),
  );
  assert.equal(updMissing.status, 404);
  const delMissing = await http(c, "DELETE", "/api/v1/namespaces/default/pods/missing");
  assert.equal(delMissing.status, 404);
});

void test("generateName, cluster-scoped resources, groups and registerResource", async (t) => {
  const c = await cluster(t);
  const g = await http(c, "POST", "/api/v1/namespaces/default/configmaps", {
    metadata: { generateName: "cfg-" },
    data: { a: "1" },
  });
  assert.equal(g.status, 201);
  assert.match(g.json.metadata.name, /^cfg-[a-z0-9]{5}$/);

  const node = await http(c, "POST", "/api/v1/nodes", { metadata: { name: "n1" }, spec: {} });
  assert.equal(node.status, 201);
  assert.equal(node.json.metadata.namespace, undefined);
  assert.equal((await http(c, "GET", "/api/v1/nodes/n1")).status, 200);

  const dep = await http(c, "POST", "/apis/apps/v1/namespaces/web/deployments", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d" },
    spec: { replicas: 1 },
  });
  assert.equal(dep.status, 201);
  assert.equal(dep.json.metadata.namespace, "web");
  const all = await http(c, "GET", "/apis/apps/v1/deployments");
  assert.equal(all.json.kind, "DeploymentList");
  assert.equal(all.json.items.length, 1);

  const withOption = await cluster(t, {
    resources: [
      { group: "example.com", version: "v2", resource: "things", kind: "Thing", namespaced: false },
    ],
  });
  const thing = await http(withOption, "POST", "/apis/example.com/v2/things", {
    metadata: { name: "t1" },
  });
  assert.equal(thing.status, 201);
  assert.equal(thing.json.kind, "Thing");

  c.registerResource({
    group: "example.com",
    version: "v1",
    resource: "widgets",
    kind: "Widget",
    namespaced: true,
  });
  const w = await http(c, "POST", "/apis/example.com/v1/namespaces/default/widgets", {
    metadata: { name: "w" },
  });
  assert.equal(w.status, 201);
  assert.equal(w.json.apiVersion, "example.com/v1");
  assert.equal(c.list("example.com/v1/widgets").length, 1);
});

void test("in-process API has the same semantics and error codes", async (t) => {
  const c = await cluster(t);
  const a = c.create("pods", pod("a"));
  assert.throws(() => c.create("pods", pod("a")), { code: SimErrorCode.AlreadyExists });
  const b = c.update("pods", { ...a, metadata: { ...a.metadata, labels: { k: "v" } } });
  assert.throws(() => c.update("pods", a), { code: SimErrorCode.Conflict });
  assert.throws(() => c.patch("pods", "default", "zzz", {}), { code: SimErrorCode.NotFound });
  assert.throws(() => c.list("nothings"), { code: SimErrorCode.UnknownResource });
  assert.throws(() => c.create("configmaps", { metadata: {} }), { code: SimErrorCode.Invalid });
  const p = c.patch("pods", "default", "a", { metadata: { labels: { k: "w" } } });
  assert.equal(p.metadata.labels?.["k"], "w");
  assert.ok(Number(p.metadata.resourceVersion) > Number(b.metadata.resourceVersion));
  // Returned objects are copies: mutating them does not change the store.
  p.metadata.labels = { k: "mutated" };
  assert.equal(c.get("pods", "default", "a")?.metadata.labels?.["k"], "w");
  assert.equal(c.list("pods", "default").length, 1);
  assert.equal(c.list("pods", "other").length, 0);
  const d = c.delete("pods", "default", "a");
  assert.ok(d?.metadata.deletionTimestamp);
  assert.equal(c.delete("pods", "default", "a"), undefined);
  assert.ok(c.requests.length === 0);
});

void test("close() is idempotent and leaves nothing behind", async () => {
  const { startSimulatedCluster } = await import("../../src/sim/index.ts");
  const c = await startSimulatedCluster();
  await Promise.all([c.close(), c.close()]);
  await c.close();
  await using d = await startSimulatedCluster();
  assert.ok(d.url.startsWith("http://127.0.0.1:"));
});
