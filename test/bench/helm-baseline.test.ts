import assert from "node:assert/strict";
import { after, test } from "node:test";
import { helmBaseline } from "../../bench/lib/helm-baseline.ts";
import { helmLimit } from "../../bench/lib/helm-limit.ts";
import { builtinTable, findingsFor, parseKubeVersion, scanRelease } from "../../src/helm/index.ts";
import type { FindingTargets, HelmFinding, ScannedObject } from "../../src/helm/index.ts";
import { generateHelmReleases, startSimulatedCluster } from "../../src/sim/index.ts";
import type { HelmSeedOptions } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const TARGETS: FindingTargets = {
  kubernetes: [
    parseKubeVersion("v1.21.0"),
    parseKubeVersion("v1.25.0"),
    parseKubeVersion("v1.32.0"),
  ],
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const LIST_MANIFEST = `---
# Source: extra/templates/list.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: policy/v1beta1
    kind: PodDisruptionBudget
    metadata:
      name: in-list
      namespace: zz
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: plain
`;

void test("baseline findings equal findings from the generated objects; limit counts deployed revisions", async (t) => {
  const seed = Number(process.env["SEED"] ?? Date.now() % 100_000);
  t.diagnostic(`seed ${seed} (replay with SEED=${seed})`);
  const c = await startSimulatedCluster();
  t.after(() => c.close());
  const options: HelmSeedOptions = {
    releases: 30,
    revisionsPerRelease: 3,
    objectsPerManifest: 25,
    namespaces: 4,
    driver: "both",
    hookShare: 0.5,
    deprecatedShare: 0.3,
    seed,
  };
  c.helm.seed(options);
  // "extra": a manifest that is a `kind: List` (items expanded). "gone": its only deployed
  // only revision failed to install, so it has nothing to check.
  c.helm.install({ namespace: "zz", name: "extra", manifest: LIST_MANIFEST, driver: "configmap" });
  c.helm.install({ namespace: "zz", name: "gone", manifest: LIST_MANIFEST, status: "failed" });

  // The independent expectation: the objects the generator wrote, not a parse of anything.
  const table = builtinTable();
  const expected: { namespace: string; name: string; findings: HelmFinding[] }[] = [];
  for (const r of generateHelmReleases(options)) {
    const newest = r.revisions.at(-1)!;
    const objects: ScannedObject[] = newest.objects.map((o) => {
      const s: ScannedObject = {
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.name,
        source: o.source,
      };
      if (o.namespace !== undefined) s.namespace = o.namespace;
      return s;
    });
    const ref = {
      namespace: r.namespace,
      release: r.name,
      revision: newest.release.version,
      chart: newest.release.chart.metadata.name,
      chartVersion: newest.release.chart.metadata.version,
    };
    expected.push({
      namespace: r.namespace,
      name: r.name,
      findings: findingsFor(ref, objects, table, TARGETS),
    });
  }
  const extraRef = {
    namespace: "zz",
    release: "extra",
    revision: 1,
    chart: "extra",
    chartVersion: "1.0.0",
  };
  expected.push({
    namespace: "zz",
    name: "extra",
    findings: findingsFor(
      extraRef,
      [
        {
          apiVersion: "policy/v1beta1",
          kind: "PodDisruptionBudget",
          name: "in-list",
          namespace: "zz",
          source: "manifest",
        },
        { apiVersion: "v1", kind: "ConfigMap", name: "plain", source: "manifest" },
      ],
      table,
      TARGETS,
    ),
  });
  expected.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
  const want = expected.flatMap((e) => e.findings);

  const baseline = await helmBaseline({ url: c.url, targets: TARGETS });
  assert.equal(baseline.releases, 31);
  assert.ok(want.length > 0);
  assert.ok(
    want.some((f) => f.source === "hook"),
    "some findings come from hooks",
  );
  assert.ok(want.some((f) => f.release === "extra" && f.name === "in-list"));
  assert.deepEqual(baseline.findings, want);

  // The product's scanner agrees on the deployed revisions' objects (as findings).
  const product: HelmFinding[] = [];
  const deployed = [
    ...c.list("secrets").map((o) => ({ o, driver: "secret" as const })),
    ...c.list("configmaps").map((o) => ({ o, driver: "configmap" as const })),
  ].filter(({ o }) => o.metadata.labels?.["status"] === "deployed");
  deployed.sort(
    (a, b) =>
      compare(a.o.metadata.namespace ?? "", b.o.metadata.namespace ?? "") ||
      compare(a.o.metadata.labels?.["name"] ?? "", b.o.metadata.labels?.["name"] ?? ""),
  );
  for (const { o, driver } of deployed) {
    const data: unknown = o["data"];
    const value =
      typeof data === "object" && data !== null && "release" in data ? data.release : undefined;
    assert.equal(typeof value, "string");
    const scan = scanRelease({ value: String(value), driver });
    assert.deepEqual(scan.errors, []);
    const r = scan.release!;
    product.push(
      ...findingsFor(
        {
          namespace: o.metadata.namespace ?? "",
          release: r.name,
          revision: r.revision,
          chart: r.chart.name,
          chartVersion: r.chart.version,
        },
        scan.objects,
        table,
        TARGETS,
      ),
    );
  }
  assert.deepEqual(product, want);

  const limit = await helmLimit({ url: c.url });
  assert.equal(limit.releases, 31); // 30 seeded + "extra"; "gone" has no deployed revision
  assert.equal(limit.releases, deployed.length);
  assert.ok(limit.bytes > 30 * 25 * 500, `inflated ${limit.bytes} bytes`);
});

void test("baseline and limit reject when the API server forbids the lists", async (t) => {
  const c = await startSimulatedCluster();
  t.after(() => c.close());
  c.helm.seed({ releases: 2, seed: 1 });
  c.faults.forbid({ resource: "configmaps" });
  const forbidden = { code: "LOOKOUT_BENCH_HTTP", status: 403 };
  await assert.rejects(helmBaseline({ url: c.url, targets: TARGETS }), forbidden);
  await assert.rejects(helmLimit({ url: c.url }), forbidden);
  c.faults.allow();
  assert.equal((await helmLimit({ url: c.url })).releases, 2);
});
