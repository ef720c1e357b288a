import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jsonEqual, onlyMetadataNoise, onlyStatusChanged } from "../../src/events/change-filter.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

function pod(changes: {
  resourceVersion?: string;
  managedFields?: unknown;
  generation?: number;
  labels?: Record<string, string>;
  replicas?: number;
  status?: unknown;
}): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    name: "web",
    namespace: "shop",
    uid: "u1",
    resourceVersion: changes.resourceVersion ?? "1",
    generation: changes.generation ?? 1,
    labels: changes.labels ?? { app: "web" },
  };
  if (changes.managedFields !== undefined) metadata["managedFields"] = changes.managedFields;
  const object: Record<string, unknown> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: { replicas: changes.replicas ?? 1, template: { containers: [{ name: "c" }] } },
  };
  if (changes.status !== undefined) object["status"] = changes.status;
  return object;
}

void test("jsonEqual: keys in any order, arrays by order, numbers by value", () => {
  assert.equal(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }), true);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual(1, 1.0), true);
  assert.equal(jsonEqual(0, -0), true);
  assert.equal(jsonEqual(1, "1"), false);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
  assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1 }), false);
  assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1, c: 2 }), false);
  assert.equal(jsonEqual({}, []), false);
  assert.equal(jsonEqual([], {}), false);
  assert.equal(jsonEqual(null, {}), false);
  assert.equal(jsonEqual({ a: { b: [1] } }, { a: { b: [1, 2] } }), false);
  assert.equal(jsonEqual("x", "x"), true);
});

void test("identical objects: metadata noise only, not a status change", () => {
  assert.equal(onlyMetadataNoise(pod({}), pod({})), true);
  assert.equal(onlyStatusChanged(pod({}), pod({})), false);
  const withStatus = pod({ status: { ready: 1 } });
  assert.equal(onlyStatusChanged(withStatus, structuredClone(withStatus)), false);
});

void test("resourceVersion and managedFields changes are noise", () => {
  const prev = pod({ resourceVersion: "1", managedFields: [{ manager: "a" }] });
  const next = pod({ resourceVersion: "2", managedFields: [{ manager: "b" }] });
  assert.equal(onlyMetadataNoise(prev, next), true);
  assert.equal(onlyMetadataNoise(prev, pod({ resourceVersion: "2" })), true);
  assert.equal(onlyStatusChanged(prev, next), false);
});

void test("a status change (with resourceVersion) is only a status change, not noise", () => {
  const prev = pod({ resourceVersion: "1", status: { replicas: 1 } });
  const next = pod({ resourceVersion: "2", status: { replicas: 2 }, managedFields: [] });
  assert.equal(onlyStatusChanged(prev, next), true);
  assert.equal(onlyMetadataNoise(prev, next), false);
  // Status appearing or disappearing counts too.
  assert.equal(onlyStatusChanged(pod({}), pod({ status: {} })), true);
  assert.equal(onlyStatusChanged(pod({ status: {} }), pod({})), true);
});

void test("a label change is neither", () => {
  const prev = pod({ status: { a: 1 } });
  const next = pod({ labels: { app: "web", tier: "x" }, status: { a: 2 } });
  assert.equal(onlyStatusChanged(prev, next), false);
  assert.equal(onlyMetadataNoise(prev, next), false);
  assert.equal(onlyMetadataNoise(pod({}), pod({ labels: { app: "other" } })), false);
});

void test("a generation change (spec change) is neither, even with a status change", () => {
  const prev = pod({ generation: 1, status: { observedGeneration: 1 } });
  const next = pod({ generation: 2, status: { observedGeneration: 2 } });
  assert.equal(onlyStatusChanged(prev, next), false);
  assert.equal(onlyMetadataNoise(prev, next), false);
  assert.equal(onlyStatusChanged(pod({ replicas: 1 }), pod({ replicas: 2, status: {} })), false);
});

void test("metadata present versus absent, or not an object, is a difference", () => {
  const noMeta = { kind: "X", spec: 1 };
  assert.equal(onlyMetadataNoise(noMeta, { ...noMeta }), true);
  assert.equal(onlyMetadataNoise(noMeta, { ...noMeta, metadata: {} }), false);
  assert.equal(onlyMetadataNoise({ ...noMeta, metadata: "a" }, { ...noMeta, metadata: "a" }), true);
  assert.equal(
    onlyMetadataNoise({ ...noMeta, metadata: "a" }, { ...noMeta, metadata: "b" }),
    false,
  );
  // Top-level fields besides status and metadata are compared.
  assert.equal(onlyMetadataNoise(noMeta, { ...noMeta, extra: true }), false);
  assert.equal(onlyStatusChanged(noMeta, { ...noMeta, extra: true, status: {} }), false);
});

void test("non-object inputs are false", () => {
  for (const [a, b] of [
    [null, null],
    [undefined, undefined],
    [1, 1],
    ["x", "x"],
    [[], []],
    [pod({}), null],
    [null, pod({})],
    [[pod({})], [pod({})]],
  ] as const) {
    assert.equal(onlyMetadataNoise(a, b), false);
    assert.equal(onlyStatusChanged(a, b), false);
  }
});
