import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compileFieldSelector,
  parseFieldSelector,
  SelectorError,
  SelectorErrorCode,
} from "../../src/selectors/index.ts";

const PODS = { group: "", resource: "pods" };
const pod = {
  metadata: { name: "p", namespace: "ns" },
  spec: {
    nodeName: "n1",
    restartPolicy: "Always",
    hostNetwork: true,
    schedulerName: "s",
    serviceAccountName: "sa",
  },
  status: { phase: "Running", podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }] },
};

void test("field selectors: pods table", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["metadata.name=p", true],
    ["metadata.name==p", true],
    ["metadata.name!=p", false],
    ["metadata.namespace=ns,spec.nodeName=n1", true],
    ["metadata.namespace=ns,spec.nodeName=n2", false],
    ["spec.host=n1", true],
    ["spec.hostNetwork=true", true],
    ["spec.restartPolicy=Always", true],
    ["spec.schedulerName=s", true],
    ["spec.serviceAccountName=sa", true],
    ["status.phase!=Pending", true],
    ["status.podIP=10.0.0.1", true],
    ["status.podIPs=10.0.0.1\\,fd00::1", true],
    ["status.nominatedNodeName=", true],
  ];
  for (const [selector, expected] of cases) {
    assert.equal(compileFieldSelector(selector, PODS)(pod), expected, selector);
  }
});

void test("field selectors: per-kind fields", () => {
  const node = { metadata: { name: "n" }, spec: {} };
  assert.equal(
    compileFieldSelector("spec.unschedulable=false", { group: "", resource: "nodes" })(node),
    true,
  );
  const secret = { metadata: { name: "s" }, type: "Opaque" };
  assert.equal(
    compileFieldSelector("type=Opaque", { group: "", resource: "secrets" })(secret),
    true,
  );
  const ns = { metadata: { name: "x" }, status: { phase: "Active" } };
  assert.equal(
    compileFieldSelector("status.phase=Active", { group: "", resource: "namespaces" })(ns),
    true,
  );
  const svc = { metadata: { name: "x" }, spec: { clusterIP: "None", type: "ClusterIP" } };
  assert.equal(
    compileFieldSelector("spec.clusterIP=None,spec.type=ClusterIP", {
      group: "",
      resource: "services",
    })(svc),
    true,
  );
  const ev = {
    metadata: { name: "e" },
    involvedObject: { kind: "Pod", name: "p", uid: "u" },
    reason: "Started",
    type: "Normal",
    source: { component: "kubelet" },
  };
  const evt = { group: "", resource: "events" };
  assert.equal(
    compileFieldSelector(
      "involvedObject.kind=Pod,involvedObject.name=p,involvedObject.uid=u,reason=Started,type=Normal,source=kubelet",
      evt,
    )(ev),
    true,
  );
  assert.equal(compileFieldSelector("involvedObject.kind=Node", evt)(ev), false);
  // Deployments only have metadata fields.
  assert.equal(
    compileFieldSelector("metadata.name=d", { group: "apps", resource: "deployments" })({
      metadata: { name: "d" },
    }),
    true,
  );
});

void test("field selectors: unsupported fields and parse errors", () => {
  for (const [selector, target] of [
    ["spec.nodeName=x", { group: "", resource: "configmaps" }],
    ["type=x", { group: "", resource: "pods" }],
    ["spec.replicas=1", { group: "apps", resource: "deployments" }],
  ] as const) {
    assert.throws(
      () => compileFieldSelector(selector, target),
      (e: unknown) =>
        e instanceof SelectorError &&
        e.code === SelectorErrorCode.UnsupportedField &&
        e.message === `field label not supported: ${selector.split("=")[0]}` &&
        e.field === selector.split("=")[0],
    );
  }
  for (const bad of ["nope", "=x", "a=b\\q", "a", "metadata.name=a=b"]) {
    assert.throws(
      () => parseFieldSelector(bad),
      (e: unknown) =>
        e instanceof SelectorError && e.code === SelectorErrorCode.Parse && e.input === bad,
      bad,
    );
  }
  assert.deepEqual(parseFieldSelector("a=b\\,c,d!=e"), [
    { field: "a", operator: "=", value: "b,c" },
    { field: "d", operator: "!=", value: "e" },
  ]);
});
