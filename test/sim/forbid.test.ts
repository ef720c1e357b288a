import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SimError } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http, watch } from "./support.ts";

after(assertNoActiveHandles);

const USER = "system:serviceaccount:default:kube-lookout";

void test("forbid(namespace): lists, gets and watches in that namespace get the RBAC 403", async (t) => {
  const c = await cluster(t);
  c.create("secrets", { metadata: { name: "s", namespace: "team-a" } });
  const rule = c.faults.forbid({ resource: "secrets", namespace: "team-a" });

  const list = await http(c, "GET", "/api/v1/namespaces/team-a/secrets");
  assert.equal(list.status, 403);
  assert.deepEqual(list.json, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `secrets is forbidden: User "${USER}" cannot list resource "secrets" in API group "" in the namespace "team-a"`,
    reason: "Forbidden",
    details: { kind: "secrets" },
    code: 403,
  });
  const get = await http(c, "GET", "/api/v1/namespaces/team-a/secrets/s");
  assert.equal(get.status, 403);
  assert.equal(
    get.json.message,
    `secrets "s" is forbidden: User "${USER}" cannot get resource "secrets" in API group "" in the namespace "team-a"`,
  );
  assert.deepEqual(get.json.details, { name: "s", kind: "secrets" });
  const w = await http(c, "GET", "/api/v1/namespaces/team-a/secrets?watch=1");
  assert.equal(w.status, 403);
  assert.match(w.json.message, /cannot watch resource "secrets"/);

  // Other namespaces, other resources and the cluster scope are not affected.
  assert.equal((await http(c, "GET", "/api/v1/namespaces/team-b/secrets")).status, 200);
  assert.equal((await http(c, "GET", "/api/v1/namespaces/team-a/configmaps")).status, 200);
  assert.equal((await http(c, "GET", "/api/v1/secrets")).status, 200);
  // Persistent: still forbidden until removed.
  assert.equal((await http(c, "GET", "/api/v1/namespaces/team-a/secrets")).status, 403);

  rule.remove();
  rule.remove(); // idempotent
  assert.equal((await http(c, "GET", "/api/v1/namespaces/team-a/secrets")).status, 200);
});

void test("forbid() without namespace blocks the cluster-scope request only, watches included", async (t) => {
  const c = await cluster(t);
  c.faults.forbid({ resource: "apps/v1/deployments" });
  const list = await http(c, "GET", "/apis/apps/v1/deployments");
  assert.equal(list.status, 403);
  assert.equal(
    list.json.message,
    `deployments.apps is forbidden: User "${USER}" cannot list resource "deployments" in API group "apps" at the cluster scope`,
  );
  assert.deepEqual(list.json.details, { group: "apps", kind: "deployments" });
  const w = await watch(t, c, "/apis/apps/v1/deployments?watch=1");
  assert.equal(w.status, 403);
  assert.equal((await http(c, "GET", "/apis/apps/v1/namespaces/x/deployments")).status, 200);
  assert.equal((await http(c, "GET", "/api/v1/pods")).status, 200);
  c.faults.allow();
  assert.equal((await http(c, "GET", "/apis/apps/v1/deployments")).status, 200);
});

void test("forbid: verb filter, every resource, several rules, allow() lifts all", async (t) => {
  const c = await cluster(t);
  const rule = c.faults.forbid({ verb: "watch", namespace: "ns" });
  assert.equal((await http(c, "GET", "/api/v1/namespaces/ns/pods")).status, 200);
  assert.equal((await http(c, "GET", "/api/v1/namespaces/ns/pods?watch=1")).status, 403);
  assert.equal((await http(c, "GET", "/api/v1/namespaces/ns/configmaps?watch=1")).status, 403);
  rule[Symbol.dispose](); // `using` lifts it the same way
  const ok = await watch(t, c, "/api/v1/namespaces/ns/pods?watch=1");
  assert.equal(ok.status, 200);
  ok.close();

  c.faults.forbid({ resource: "secrets", namespace: "a" });
  c.faults.forbid({ resource: "configmaps" });
  const created = await http(c, "POST", "/api/v1/namespaces/a/secrets", {
    metadata: { name: "x" },
  });
  assert.equal(created.status, 403);
  assert.match(created.json.message, /^secrets is forbidden: .* cannot create resource "secrets"/);
  assert.equal(c.get("secrets", "a", "x"), undefined);
  assert.equal((await http(c, "GET", "/api/v1/configmaps")).status, 403);
  c.faults.allow();
  assert.equal((await http(c, "GET", "/api/v1/namespaces/a/secrets")).status, 200);
  assert.equal((await http(c, "GET", "/api/v1/configmaps")).status, 200);
});

void test("forbid: an empty namespace or an unknown resource is rejected", async (t) => {
  const c = await cluster(t);
  assert.throws(
    () => c.faults.forbid({ namespace: "" }),
    (e: unknown) => e instanceof SimError && e.code === "LOOKOUT_SIM_INVALID",
  );
  assert.throws(
    () => c.faults.forbid({ resource: "widgets" }),
    (e: unknown) => e instanceof SimError && e.code === "LOOKOUT_SIM_UNKNOWN_RESOURCE",
  );
  assert.equal((await http(c, "GET", "/api/v1/pods")).status, 200);
});
