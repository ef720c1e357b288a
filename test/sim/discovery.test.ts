import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertNoActiveHandles, cluster, http } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

void test("discovery: /api, /apis, /api/v1, /apis/G/V, /apis/G, /version", async (t) => {
  const c = await cluster(t, { gitVersion: "v1.31.4" });
  const api = await http(c, "GET", "/api");
  assert.equal(api.json.kind, "APIVersions");
  assert.deepEqual(api.json.versions, ["v1"]);
  assert.ok(Array.isArray(api.json.serverAddressByClientCIDRs));

  const apis = (await http(c, "GET", "/apis")).json;
  assert.equal(apis.kind, "APIGroupList");
  const groups = Object.fromEntries(apis.groups.map((g: Json) => [g.name, g]));
  for (const g of ["apps", "networking.k8s.io", "coordination.k8s.io", "batch"]) {
    assert.deepEqual(groups[g].preferredVersion, { groupVersion: `${g}/v1`, version: "v1" });
  }

  const v1 = (await http(c, "GET", "/api/v1")).json;
  assert.equal(v1.kind, "APIResourceList");
  assert.equal(v1.groupVersion, "v1");
  const pods = v1.resources.find((r: Json) => r.name === "pods");
  assert.deepEqual(pods, {
    name: "pods",
    singularName: "pod",
    namespaced: true,
    kind: "Pod",
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["po"],
  });
  const ns = v1.resources.find((r: Json) => r.name === "namespaces");
  assert.equal(ns.namespaced, false);
  assert.deepEqual(v1.resources.map((r: Json) => r.name).sort(), [
    "configmaps",
    "events",
    "namespaces",
    "nodes",
    "pods",
    "secrets",
    "services",
  ]);
  const apps = (await http(c, "GET", "/apis/apps/v1")).json;
  assert.deepEqual(apps.resources.map((r: Json) => r.kind).sort(), [
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
  ]);
  assert.equal((await http(c, "GET", "/apis/apps")).json.kind, "APIGroup");
  assert.equal((await http(c, "GET", "/apis/nope/v1")).status, 404);

  const version = (await http(c, "GET", "/version")).json;
  assert.equal(version.major, "1");
  assert.equal(version.minor, "31");
  assert.equal(version.gitVersion, "v1.31.4");
  for (const k of ["gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"]) {
    assert.equal(typeof version[k], "string", k);
  }
  // No swagger 2.0 document: 404, as a server without it answers.
  assert.equal((await http(c, "GET", "/openapi/v2")).status, 404);
  // A minimal OpenAPI v3: PATCH operations declare fieldValidation, so kubectl validates on
  // the server side instead of downloading schemas.
  const v3 = (await http(c, "GET", "/openapi/v3")).json;
  assert.equal(v3.paths["apis/apps/v1"].serverRelativeURL, "/openapi/v3/apis/apps/v1?hash=sim");
  const appsDoc = (await http(c, "GET", "/openapi/v3/apis/apps/v1")).json;
  const patch = appsDoc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
  assert.deepEqual(patch["x-kubernetes-group-version-kind"], {
    group: "apps",
    version: "v1",
    kind: "Deployment",
  });
  assert.equal(patch.parameters[0].name, "fieldValidation");
  assert.equal((await http(c, "GET", "/openapi/v3/apis/nope/v1")).status, 404);

  c.registerResource({
    group: "example.com",
    version: "v1alpha1",
    resource: "gadgets",
    kind: "Gadget",
    namespaced: false,
    shortNames: ["gd"],
  });
  const ex = (await http(c, "GET", "/apis/example.com/v1alpha1")).json;
  assert.deepEqual(ex.resources[0], {
    name: "gadgets",
    singularName: "gadget",
    namespaced: false,
    kind: "Gadget",
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["gd"],
  });
  assert.ok(
    (await http(c, "GET", "/apis")).json.groups.some((g: Json) => g.name === "example.com"),
  );
});

void test("a Table is served when kubectl asks for one", async (t) => {
  const c = await cluster(t);
  const r = await http(c, "GET", "/api/v1/namespaces", undefined, {
    accept:
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
  });
  assert.equal(r.json.kind, "Table");
  assert.deepEqual(
    r.json.columnDefinitions.map((d: Json) => d.name),
    ["Name", "Age"],
  );
  assert.deepEqual(
    r.json.rows.map((row: Json) => row.cells[0]),
    ["default", "kube-node-lease", "kube-public", "kube-system"],
  );
  assert.equal(r.json.rows[0].object.kind, "PartialObjectMetadata");
});
