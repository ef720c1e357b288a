import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SimError, SimErrorCode } from "../../src/sim/index.ts";
import type { KubeObject } from "../../src/kube/index.ts";
import { assertNoActiveHandles, cluster, http } from "./support.ts";

after(assertNoActiveHandles);

const PATH = "/apis/apps/v1/namespaces/default/deployments";

function deployment(name: string): KubeObject {
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas: 1 } };
}

function expectCode(fn: () => unknown, code: SimErrorCode, httpCode: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SimError);
    assert.equal(error.code, code);
    assert.equal(error.status.code, httpCode);
    assert.deepEqual(error.status.details, { name: "x", group: "apps", kind: "deployments" });
    return true;
  });
}

function status(reason: string, code: number, message: string): object {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    details: { name: "x", group: "apps", kind: "deployments" },
    code,
  };
}

void test("404, AlreadyExists and Conflict on a grouped resource over HTTP name `resource.group`", async (t) => {
  const c = await cluster(t);
  const missing = await http(c, "GET", `${PATH}/x`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, status("NotFound", 404, 'deployments.apps "x" not found'));
  for (const [method, body, headers] of [
    ["PUT", deployment("x"), {}],
    [
      "PATCH",
      { metadata: { labels: { a: "b" } } },
      { "content-type": "application/merge-patch+json" },
    ],
    ["DELETE", undefined, {}],
  ] as const) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, method, `${PATH}/x`, body, headers);
    assert.equal(r.status, 404, method);
    assert.deepEqual(r.json, status("NotFound", 404, 'deployments.apps "x" not found'), method);
  }

  const created = await http(c, "POST", PATH, deployment("x"));
  assert.equal(created.status, 201);
  const dup = await http(c, "POST", PATH, deployment("x"));
  assert.equal(dup.status, 409);
  assert.deepEqual(dup.json, status("AlreadyExists", 409, 'deployments.apps "x" already exists'));

  const current = created.json;
  const updated = await http(c, "PUT", `${PATH}/x`, { ...current, spec: { replicas: 2 } });
  assert.equal(updated.status, 200);
  const stale = await http(c, "PUT", `${PATH}/x`, { ...current, spec: { replicas: 3 } });
  assert.equal(stale.status, 409);
  assert.deepEqual(
    stale.json,
    status(
      "Conflict",
      409,
      'Operation cannot be fulfilled on deployments.apps "x": the object has been modified; please apply your changes to the latest version and try again',
    ),
  );
  // No request failed inside the server.
  assert.ok(c.requests.every((r) => r.status !== 500));
});

void test("the in-process API throws SimErrors with codes on a grouped resource", async (t) => {
  const c = await cluster(t);
  expectCode(
    () =>
      c.update("apps/v1/deployments", {
        ...deployment("x"),
        metadata: { name: "x", namespace: "default" },
      }),
    SimErrorCode.NotFound,
    404,
  );
  expectCode(
    () => c.patch("apps/v1/deployments", "default", "x", { spec: { replicas: 2 } }),
    SimErrorCode.NotFound,
    404,
  );
  const created = c.create("apps/v1/deployments", deployment("x"));
  expectCode(
    () => c.create("apps/v1/deployments", deployment("x")),
    SimErrorCode.AlreadyExists,
    409,
  );
  c.patch("apps/v1/deployments", "default", "x", { spec: { replicas: 5 } });
  expectCode(() => c.update("apps/v1/deployments", created), SimErrorCode.Conflict, 409);
});
