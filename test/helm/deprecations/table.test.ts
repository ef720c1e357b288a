import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiStatus,
  BadTableRowError,
  builtinTable,
  compareKubeVersions,
  compileTable,
  DeprecationsErrorCode,
  evaluate,
  formatCoverage,
  formatKubeVersion,
  KUBERNETES_COMPONENT,
  parseKubeVersion,
} from "../../../src/helm/deprecations/index.ts";
import type {
  DeprecationRule,
  Evaluation,
  KubeVersion,
} from "../../../src/helm/deprecations/index.ts";

const v = (text: string): KubeVersion => parseKubeVersion(text);
const minor = (base: KubeVersion, delta: number): KubeVersion => ({
  major: base.major,
  minor: base.minor + delta,
  patch: 0,
});
const label = (rule: DeprecationRule, target: KubeVersion): string =>
  `${rule.component} ${rule.apiVersion} ${rule.kind || "*"} at ${formatKubeVersion(target)}`;

function expectAt(rule: DeprecationRule, target: KubeVersion, expected: Evaluation): void {
  assert.deepEqual(evaluate(rule, target), expected, label(rule, target));
}

void test("every row: before, at and after its deprecation and removal", () => {
  const table = builtinTable();
  assert.ok(table.rules.length >= 100, `only ${table.rules.length} rules`);
  let checked = 0;
  for (const rule of table.rules) {
    const { deprecated, removed } = rule;
    const untilRemoval = (t: KubeVersion): number | null =>
      removed === null || removed.major !== t.major ? null : Math.max(0, removed.minor - t.minor);
    if (deprecated !== null) {
      if (deprecated.minor > 0) {
        const before = minor(deprecated, -1);
        expectAt(rule, before, {
          status: ApiStatus.Fine,
          minorsUntilRemoval: untilRemoval(before),
        });
      }
      const atDeprecation =
        removed !== null && compareKubeVersions(removed, deprecated) === 0
          ? ApiStatus.Removed
          : ApiStatus.Deprecated;
      expectAt(rule, deprecated, {
        status: atDeprecation,
        minorsUntilRemoval: untilRemoval(deprecated),
      });
      if (removed === null) {
        const later = minor(deprecated, 5);
        expectAt(rule, later, { status: ApiStatus.Deprecated, minorsUntilRemoval: null });
      }
    }
    if (removed !== null) {
      const before = minor(removed, -1);
      const expectedBefore =
        deprecated !== null && compareKubeVersions(before, deprecated) >= 0
          ? ApiStatus.Deprecated
          : ApiStatus.Fine;
      if (removed.minor > 0) {
        expectAt(rule, before, { status: expectedBefore, minorsUntilRemoval: 1 });
      }
      expectAt(rule, removed, { status: ApiStatus.Removed, minorsUntilRemoval: 0 });
      expectAt(rule, minor(removed, 1), { status: ApiStatus.Removed, minorsUntilRemoval: 0 });
      expectAt(
        rule,
        { ...removed, patch: 7 },
        { status: ApiStatus.Removed, minorsUntilRemoval: 0 },
      );
    }
    // The table finds every row by its own key (any kind for an empty-kind row).
    const found = table.lookup(rule.apiVersion, rule.kind || "AnyKind", rule.component);
    assert.equal(found, rule, `lookup ${label(rule, v("v1.0.0"))}`);
    checked++;
  }
  assert.equal(checked, table.rules.length);
});

void test("built-in table: coverage, components and removal versions 1.16 to 1.35", () => {
  const table = builtinTable();
  assert.equal(formatKubeVersion(table.coversUpTo, true), "v1.35");
  assert.equal(formatCoverage(table), "v1.35");
  const k8s = table.rules.filter((r) => r.component === KUBERNETES_COMPONENT);
  const removals = new Set(k8s.flatMap((r) => (r.removedIn === null ? [] : [r.removedIn])));
  for (const version of [
    "v1.16.0",
    "v1.22.0",
    "v1.25.0",
    "v1.26.0",
    "v1.27.0",
    "v1.29.0",
    "v1.32.0",
  ]) {
    assert.ok(removals.has(version), `no removal in ${version}`);
  }
  // Published future removals beyond coverage are kept (resource.k8s.io/v1beta1 in v1.36).
  assert.equal(table.lookup("resource.k8s.io/v1beta1", "ResourceClaim")?.removedIn, "v1.36.0");
  const components = new Set(table.rules.map((r) => r.component));
  assert.deepEqual([...components].sort(), [
    "cert-manager",
    "external-snapshotter",
    "istio",
    "k8s",
  ]);
  // Component rows are not found as built-ins.
  assert.equal(table.lookup("cert-manager.io/v1alpha2", "Certificate"), undefined);
  assert.equal(
    table.lookup("cert-manager.io/v1alpha2", "Certificate", "cert-manager")?.removedIn,
    "v1.6.0",
  );
  assert.equal(table.lookup("apps/v1", "Deployment"), undefined);
  // Memoized: one compiled table.
  assert.equal(builtinTable(), table);
});

void test("corrections of public tables are applied", () => {
  const table = builtinTable();
  for (const kind of ["FlowSchema", "PriorityLevelConfiguration"]) {
    const v1beta1 = table.lookup("flowcontrol.apiserver.k8s.io/v1beta1", kind);
    assert.ok(v1beta1);
    assert.equal(v1beta1.removedIn, "v1.26.0");
    assert.equal(evaluate(v1beta1, v("v1.25.9")).status, ApiStatus.Deprecated);
    assert.equal(evaluate(v1beta1, v("v1.26.0")).status, ApiStatus.Removed);
    // The guide's replacement: v1beta3 from v1.26 (not v1beta2, itself removed in v1.29).
    assert.equal(v1beta1.replacementApi, "flowcontrol.apiserver.k8s.io/v1beta3");
    assert.equal(v1beta1.replacementAvailableIn, "v1.26.0");
    const v1beta2 = table.lookup("flowcontrol.apiserver.k8s.io/v1beta2", kind);
    assert.equal(v1beta2?.deprecatedIn, "v1.26.0");
    assert.equal(v1beta2.removedIn, "v1.29.0");
    const v1beta3 = table.lookup("flowcontrol.apiserver.k8s.io/v1beta3", kind);
    assert.equal(v1beta3?.deprecatedIn, "v1.29.0");
    assert.equal(v1beta3.removedIn, "v1.32.0");
  }
  assert.equal(table.rules.filter((r) => r.kind === "FlowControl").length, 0);
  assert.equal(table.lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowControl"), undefined);

  for (const api of ["extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"]) {
    const rs = table.lookup(api, "ReplicaSet");
    assert.ok(rs?.deprecated, `${api} ReplicaSet has no deprecatedIn`);
    assert.ok(compareKubeVersions(rs.deprecated, v("v1.16.0")) < 0);
    assert.equal(rs.removedIn, "v1.16.0");
    assert.equal(evaluate(rs, v("v1.15.0")).status, ApiStatus.Deprecated);
  }

  const psp = table.lookup("policy/v1beta1", "PodSecurityPolicy");
  assert.ok(psp);
  assert.equal(psp.replacementApi, null);
  assert.equal(psp.replacementAvailableIn, null);
  assert.match(psp.note ?? "", /Pod Security Admission/);
  assert.equal(evaluate(psp, v("v1.25.0")).status, ApiStatus.Removed);
  assert.equal(
    table.lookup("extensions/v1beta1", "PodSecurityPolicy")?.replacementApi,
    "policy/v1beta1",
  );

  // ACME kinds are replaced within their own group.
  assert.equal(
    table.lookup("acme.cert-manager.io/v1alpha2", "Order", "cert-manager")?.replacementApi,
    "acme.cert-manager.io/v1",
  );
  // An empty kind covers every kind of a CRD group.
  assert.equal(table.lookup("authentication.istio.io/v1alpha1", "MeshPolicy", "istio")?.kind, "");
  assert.equal(table.lookup("rbac.istio.io/v1alpha1", "ServiceRole", "istio")?.removedIn, "v1.6.0");
});

const GOOD = {
  apiVersion: "example.com/v1beta1",
  kind: "Widget",
  deprecatedIn: "v1.2.0",
  removedIn: "v1.4.0",
  replacementApi: "example.com/v1",
  replacementAvailableIn: "v1.2.0",
  component: "example",
};

void test("lookup: exact kind first, then the apiVersion's empty-kind row, per component", () => {
  const table = compileTable({
    coversUpTo: "v1.35",
    rows: [
      { ...GOOD, kind: "", removedIn: "v1.5.0" },
      GOOD,
      { ...GOOD, component: "k8s", apiVersion: "example.com/v1alpha1" },
    ],
  });
  assert.equal(table.lookup("example.com/v1beta1", "Widget", "example")?.removedIn, "v1.4.0");
  assert.equal(table.lookup("example.com/v1beta1", "Gadget", "example")?.removedIn, "v1.5.0");
  assert.equal(table.lookup("example.com/v1beta1", "Widget"), undefined);
  assert.equal(table.lookup("example.com/v1alpha1", "Widget")?.component, "k8s");
  assert.equal(table.lookup("example.com/v1alpha1", "Gadget"), undefined);
  assert.equal(table.lookup("example.com/v1", "Widget", "example"), undefined);
});

void test("bad rows are rejected naming the row and the field", () => {
  const cases: [unknown, string][] = [
    [{ ...GOOD, apiVersion: "example.com" }, "apiVersion"],
    [{ ...GOOD, apiVersion: "Example.com/v1" }, "apiVersion"],
    [{ ...GOOD, kind: "widget" }, "kind"],
    [{ ...GOOD, kind: 3 }, "kind"],
    [{ ...GOOD, deprecatedIn: "1.x" }, "deprecatedIn"],
    [{ ...GOOD, removedIn: 1.22 }, "removedIn"],
    [{ ...GOOD, deprecatedIn: "v1.5.0", removedIn: "v1.4.0" }, "removedIn"],
    [{ ...GOOD, deprecatedIn: null, removedIn: null }, "removedIn"],
    [{ ...GOOD, replacementApi: "not an api" }, "replacementApi"],
    [{ ...GOOD, replacementApi: null }, "replacementAvailableIn"],
    [{ ...GOOD, replacementAvailableIn: "latest" }, "replacementAvailableIn"],
    [{ ...GOOD, component: "" }, "component"],
    [{ ...GOOD, note: "" }, "note"],
    [{ ...GOOD, removedin: "v1.4.0" }, "removedin"],
    ["Widget", "(row)"],
  ];
  for (const [row, field] of cases) {
    assert.throws(
      () => compileTable({ coversUpTo: "v1.35", rows: [GOOD, { ...GOOD, kind: "Other" }, row] }),
      (error: unknown) => {
        assert.ok(error instanceof BadTableRowError, JSON.stringify(row));
        assert.equal(error.code, DeprecationsErrorCode.BadTableRow);
        assert.equal(error.row, 2, JSON.stringify(row));
        assert.equal(error.field, field, JSON.stringify(row));
        return true;
      },
    );
  }
  // A duplicate key (component, apiVersion, kind) names the later row.
  assert.throws(
    () => compileTable({ coversUpTo: "v1.35", rows: [GOOD, { ...GOOD, kind: "" }, { ...GOOD }] }),
    { code: "LOOKOUT_HELM_BAD_TABLE_ROW", row: 2, field: "kind" },
  );
  // The same apiVersion and kind in another component is not a duplicate.
  compileTable({ coversUpTo: "v1.35", rows: [GOOD, { ...GOOD, component: "other" }] });
  assert.throws(() => compileTable({ coversUpTo: "latest", rows: [] }), {
    code: "LOOKOUT_HELM_BAD_TABLE_ROW",
    row: -1,
    field: "coversUpTo",
  });
  // A row may be deprecated and removed in the same version; component defaults to k8s.
  const { component: _omitted, ...noComponent } = GOOD;
  const same = compileTable({
    coversUpTo: "v1.35",
    rows: [{ ...noComponent, deprecatedIn: "v1.4.0" }],
  });
  assert.equal(same.rules[0]?.component, "k8s");
});
