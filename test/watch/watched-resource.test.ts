/**
 * `checkResources`: a watched-resource list that cannot run is refused with one
 * `LOOKOUT_INVALID_RESOURCES` error naming every problem and the entry it is in.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LookoutInvalidResourcesError,
  checkResources,
  type WatchedResource,
} from "../../src/watch/index.ts";

const PODS = { group: "", version: "v1", resource: "pods" };
const NODES = { group: "", version: "v1", resource: "nodes" };
const DEPLOYMENTS_V1 = { group: "apps", version: "v1", resource: "deployments" };
const DEPLOYMENTS_V1BETA2 = { group: "apps", version: "v1beta2", resource: "deployments" };

function pods(extra: Partial<WatchedResource> = {}): WatchedResource {
  return { resource: PODS, kind: "Pod", ...extra };
}

/** The problems `checkResources` names for `resources`, asserting the error's class and code. */
function problemsOf(resources: unknown): readonly string[] {
  let problems: readonly string[] | undefined;
  assert.throws(
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a caller without types
    () => checkResources(resources as readonly WatchedResource[]),
    (error: unknown) => {
      assert.ok(error instanceof LookoutInvalidResourcesError, String(error));
      assert.equal(error.code, "LOOKOUT_INVALID_RESOURCES");
      assert.equal(error.name, "LookoutInvalidResourcesError");
      assert.equal(error.message, `invalid watched resources: ${error.problems.join("; ")}`);
      problems = error.problems;
      return true;
    },
  );
  return problems ?? [];
}

void test("a list that is not an array is refused, naming what it got", () => {
  assert.deepEqual(problemsOf("pods"), ["resources: expected an array, got string"]);
  assert.deepEqual(problemsOf({ resource: PODS, kind: "Pod" }), [
    "resources: expected an array, got object",
  ]);
  assert.deepEqual(problemsOf(undefined), ["resources: expected an array, got undefined"]);
});

void test("an entry without a resource object is refused", () => {
  assert.deepEqual(problemsOf([{ kind: "Pod" }]), [
    "resources[0].resource: expected { group, version, resource }",
  ]);
  assert.deepEqual(problemsOf([pods(), { kind: "Pod", resource: null }]), [
    "resources[1].resource: expected { group, version, resource }",
  ]);
  assert.deepEqual(problemsOf([pods(), pods({ events: false }), null]), [
    "resources[2].resource: expected { group, version, resource }",
  ]);
  assert.deepEqual(problemsOf([{ kind: "Pod", resource: "v1/pods" }]), [
    "resources[0].resource: expected { group, version, resource }",
  ]);
});

void test("namespace and namespaceSelector together are refused", () => {
  assert.deepEqual(problemsOf([pods({ namespace: "team-a", namespaceSelector: "team=a" })]), [
    "resources[0]: namespace and namespaceSelector are exclusive",
  ]);
});

void test("a namespace or a namespace selector on a cluster-scoped resource is refused", () => {
  const nodes = { resource: NODES, kind: "Node", namespaced: false } as const;
  assert.deepEqual(problemsOf([{ ...nodes, namespace: "team-a" }]), [
    "resources[0]: v1/nodes is cluster-scoped: no namespace applies",
  ]);
  assert.deepEqual(problemsOf([{ ...nodes, namespaceSelector: "team=a" }]), [
    "resources[0]: v1/nodes is cluster-scoped: no namespace applies",
  ]);
  // Without a namespace it is fine, and so is a namespace on a namespaced resource.
  checkResources([nodes]);
  checkResources([pods({ namespace: "team-a", namespaced: true })]);
});

void test("a pageSize that is not a safe integer ≥ 1 is refused, naming the value", () => {
  for (const [pageSize, shown] of [
    [0, "0"],
    [-1, "-1"],
    [1.5, "1.5"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [2 ** 53, "9007199254740992"],
  ] as const) {
    assert.deepEqual(
      problemsOf([pods({ pageSize })]),
      [`resources[0].pageSize: expected an integer ≥ 1, got ${shown}`],
      shown,
    );
  }
  checkResources([pods({ pageSize: 1 })]);
  checkResources([pods({ pageSize: Number.MAX_SAFE_INTEGER })]);
});

void test("a dropFields entry that is not a JSON pointer is refused, naming the entry and the pointer", () => {
  assert.deepEqual(problemsOf([pods({ dropFields: ["/metadata/managedFields", "status"] })]), [
    'resources[0].dropFields: invalid events option dropFields[1]="status": expected an RFC 6901 JSON pointer starting with "/"',
  ]);
  assert.deepEqual(problemsOf([pods({ dropFields: [""] })]), [
    'resources[0].dropFields: invalid events option dropFields[0]="": expected an RFC 6901 JSON pointer starting with "/"',
  ]);
  assert.deepEqual(problemsOf([pods({ dropFields: ["/metadata/a~2b"] })]), [
    'resources[0].dropFields: invalid events option dropFields[0]="/metadata/a~2b": expected an RFC 6901 JSON pointer starting with "/"',
  ]);
  checkResources([pods({ dropFields: ["/metadata/managedFields", "/metadata/annotations/a~1b"] })]);
});

void test("the cache serving one resource in two versions is refused, naming both entries and versions", () => {
  const v1 = { resource: DEPLOYMENTS_V1, kind: "Deployment" };
  const v1beta2 = { resource: DEPLOYMENTS_V1BETA2, kind: "Deployment", events: false };
  assert.deepEqual(problemsOf([v1, pods(), v1beta2]), [
    "resources[2]: the cache API serves deployments in one version; resources[0] has v1, this one v1beta2",
  ]);
  // One of them kept out of the cache: the cache serves one version (and out of events, which
  // would repeat each other's).
  checkResources([v1, { ...v1beta2, cache: false }]);
  checkResources([
    { ...v1, cache: false, events: false },
    { ...v1beta2, events: true },
  ]);
  // The same version twice (split by namespace) is one route.
  checkResources([
    { ...v1, namespace: "a" },
    { ...v1, namespace: "b" },
  ]);
  // Another group is another route.
  checkResources([v1, { ...v1beta2, resource: { ...DEPLOYMENTS_V1BETA2, group: "extensions" } }]);
});

void test("two entries feeding events whose selections may overlap are refused", () => {
  const advice = "give one of them events: false, or split them by namespace";
  // All namespaces twice.
  assert.deepEqual(problemsOf([pods(), pods({ labelSelector: "app=x" })]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods); ${advice}`,
  ]);
  // The same namespace twice.
  assert.deepEqual(problemsOf([pods({ namespace: "a" }), pods({ namespace: "a" })]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods in a); ${advice}`,
  ]);
  // One namespace and all of them, either way round.
  assert.deepEqual(problemsOf([pods({ namespace: "a" }), pods()]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods); ${advice}`,
  ]);
  assert.deepEqual(problemsOf([pods(), pods({ namespace: "a" })]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods in a); ${advice}`,
  ]);
  // A namespace selector may select any namespace.
  assert.deepEqual(problemsOf([pods({ namespace: "a" }), pods({ namespaceSelector: "team=a" })]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods); ${advice}`,
  ]);
  // "" is every namespace, as for the informer.
  assert.deepEqual(problemsOf([pods({ namespace: "" }), pods({ namespace: "a" })]), [
    `resources[1]: its events may repeat those of resources[0] (v1/pods in a); ${advice}`,
  ]);
  // Two versions of one resource are the same objects.
  const v1 = { resource: DEPLOYMENTS_V1, kind: "Deployment" };
  const v1beta2 = { resource: DEPLOYMENTS_V1BETA2, kind: "Deployment", cache: false };
  assert.deepEqual(problemsOf([v1, v1beta2]), [
    `resources[1]: its events may repeat those of resources[0] (apps/v1beta2/deployments); ${advice}`,
  ]);
  // Every earlier entry it may repeat is named.
  assert.deepEqual(problemsOf([pods({ namespace: "a" }), pods({ namespace: "b" }), pods()]), [
    `resources[2]: its events may repeat those of resources[0] (v1/pods); ${advice}`,
    `resources[2]: its events may repeat those of resources[1] (v1/pods); ${advice}`,
  ]);
});

void test("entries feeding events from disjoint selections, or not feeding events, pass", () => {
  checkResources([pods({ namespace: "a" }), pods({ namespace: "b" })]);
  checkResources([pods(), pods({ namespace: "a", events: false })]);
  checkResources([pods({ events: false }), pods({ namespaceSelector: "team=a" })]);
  checkResources([pods(), { resource: NODES, kind: "Node", namespaced: false }]);
  // "" names no namespace: fine on a cluster-scoped resource.
  checkResources([{ resource: NODES, kind: "Node", namespaced: false, namespace: "" }]);
});

void test("several problems are all named in one error, each with its entry", () => {
  const problems = problemsOf([
    { kind: "Pod" },
    pods({ namespace: "a", namespaceSelector: "team=a", pageSize: 0 }),
    { resource: NODES, kind: "Node", namespaced: false, namespace: "a", dropFields: ["spec"] },
    pods({ namespace: "a" }),
  ]);
  assert.deepEqual(problems, [
    "resources[0].resource: expected { group, version, resource }",
    "resources[1]: namespace and namespaceSelector are exclusive",
    "resources[1].pageSize: expected an integer ≥ 1, got 0",
    "resources[2]: v1/nodes is cluster-scoped: no namespace applies",
    'resources[2].dropFields: invalid events option dropFields[0]="spec": expected an RFC 6901 JSON pointer starting with "/"',
    "resources[3]: its events may repeat those of resources[1] (v1/pods in a); give one of them events: false, or split them by namespace",
  ]);
});

void test("a valid list passes", () => {
  checkResources([]);
  checkResources([
    pods({ namespaceSelector: "team=a", pageSize: 100, dropFields: ["/metadata/managedFields"] }),
    pods({ namespace: "kube-system", events: false, cache: false, metrics: false }),
    { resource: NODES, kind: "Node", namespaced: false },
    { resource: DEPLOYMENTS_V1, kind: "Deployment", namespace: "a", labelSelector: "app=x" },
    { resource: DEPLOYMENTS_V1, kind: "Deployment", namespace: "b" },
    { resource: DEPLOYMENTS_V1BETA2, kind: "Deployment", cache: false, events: false },
  ]);
});
