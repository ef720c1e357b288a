import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiStatus,
  assertTargetCovered,
  builtinTable,
  compileTable,
  DEFAULT_TARGET_OFFSETS,
  evaluate,
  formatKubeVersion,
  parseKubeVersion,
  planTargets,
  TargetUncoveredError,
} from "../../../src/helm/deprecations/index.ts";
import type { TargetPlan } from "../../../src/helm/deprecations/index.ts";

const v = parseKubeVersion;
const names = (plan: TargetPlan): string[] => plan.targets.map((t) => formatKubeVersion(t));

void test("targets from the cluster version: current, +1, +2 minors by default", () => {
  const covers = v("v1.35");
  assert.deepEqual([...DEFAULT_TARGET_OFFSETS], [0, 1, 2]);
  const plan = planTargets(v("v1.29.3-eks-4f4795d"), covers);
  assert.deepEqual(names(plan), ["v1.29.0", "v1.30.0", "v1.31.0"]);
  assert.deepEqual(plan.uncovered, []);
  assert.deepEqual(names(planTargets(v("v1.21.5+k3s1"), covers, { offsets: [3, 0, 0] })), [
    "v1.21.0",
    "v1.24.0",
  ]);
  assert.deepEqual(
    names(planTargets(v("v1.21.5"), covers, { versions: ["1.30", "v1.25.2", "v1.25.2"] })),
    ["v1.25.2", "v1.30.0"],
  );
  assert.throws(() => planTargets(v("v1.29.0"), covers, { offsets: [-1] }), {
    code: "LOOKOUT_HELM_BAD_VERSION",
  });
  assert.throws(() => planTargets(v("v1.29.0"), covers, { offsets: [0.5] }), {
    code: "LOOKOUT_HELM_BAD_VERSION",
  });
  assert.throws(() => planTargets(v("v1.29.0"), covers, { versions: ["next"] }), {
    code: "LOOKOUT_HELM_BAD_VERSION",
    input: "next",
  });
});

void test("targets beyond the table's coverage are errors, said plainly", () => {
  const table = builtinTable();
  const plan = planTargets(v("v1.34.2"), table.coversUpTo);
  assert.deepEqual(names(plan), ["v1.34.0", "v1.35.0"]);
  assert.equal(plan.uncovered.length, 1);
  const [error] = plan.uncovered;
  assert.ok(error instanceof TargetUncoveredError);
  assert.equal(error.code, "LOOKOUT_HELM_TARGET_UNCOVERED");
  assert.equal(error.target, "v1.36.0");
  assert.equal(error.coversUpTo, "v1.35");
  assert.ok(error.message.includes("v1.36.0") && error.message.includes("v1.35"));

  assertTargetCovered(v("v1.35.9"), table.coversUpTo);
  assert.throws(() => assertTargetCovered(v("v1.36.0"), table.coversUpTo), {
    code: "LOOKOUT_HELM_TARGET_UNCOVERED",
    target: "v1.36.0",
    coversUpTo: "v1.35",
  });
  assert.throws(() => assertTargetCovered(v("v2.0.0"), table.coversUpTo), {
    code: "LOOKOUT_HELM_TARGET_UNCOVERED",
  });
  const all = planTargets(v("v1.40.0"), table.coversUpTo);
  assert.deepEqual(all.targets, []);
  assert.deepEqual(
    all.uncovered.map((e) => e.target),
    ["v1.40.0", "v1.41.0", "v1.42.0"],
  );
});

void test("evaluate: status and minors until removal counted from the target", () => {
  const table = compileTable({
    coversUpTo: "v1.35",
    rows: [
      {
        apiVersion: "batch/v1beta1",
        kind: "CronJob",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: "batch/v1",
        replacementAvailableIn: "v1.21.0",
        component: "k8s",
      },
      {
        apiVersion: "storage.k8s.io/v1beta1",
        kind: "VolumeAttributesClass",
        deprecatedIn: "v1.34.0",
        removedIn: null,
        replacementApi: "storage.k8s.io/v1",
        replacementAvailableIn: "v1.34.0",
        component: "k8s",
      },
      {
        apiVersion: "authorization.k8s.io/v1beta1",
        kind: "SubjectAccessReview",
        deprecatedIn: null,
        removedIn: "v1.22.0",
        replacementApi: "authorization.k8s.io/v1",
        replacementAvailableIn: null,
        component: "k8s",
      },
    ],
  });
  const [cron, vac, sar] = table.rules;
  assert.ok(cron && vac && sar);
  const cases: [typeof cron, string, ApiStatus, number | null][] = [
    [cron, "v1.20.15", ApiStatus.Fine, 5],
    [cron, "v1.21.0", ApiStatus.Deprecated, 4],
    [cron, "v1.23.4-eks-1", ApiStatus.Deprecated, 2],
    [cron, "v1.24.17", ApiStatus.Deprecated, 1],
    [cron, "v1.25.0", ApiStatus.Removed, 0],
    [cron, "v1.30.0", ApiStatus.Removed, 0],
    [vac, "v1.33.0", ApiStatus.Fine, null],
    [vac, "v1.34.0", ApiStatus.Deprecated, null],
    [vac, "v1.35.0", ApiStatus.Deprecated, null],
    [sar, "v1.21.0", ApiStatus.Fine, 1],
    [sar, "v1.22.0", ApiStatus.Removed, 0],
  ];
  for (const [rule, target, status, minorsUntilRemoval] of cases) {
    assert.deepEqual(
      evaluate(rule, v(target)),
      { status, minorsUntilRemoval },
      `${rule.kind} ${target}`,
    );
  }
});
