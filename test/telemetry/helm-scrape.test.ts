/**
 * A Helm checker against the simulator, metered by createTelemetry, scraped over HTTP: every
 * `kube_lookout_helm_*` family is in the catalogue with its type, unit and attributes, and
 * promtool accepts the scrape.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { DataPointType, MeterProvider } from "@opentelemetry/sdk-metrics";
import { HelmChecker } from "../../src/helm/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { catalogue, createTelemetry } from "../../src/telemetry/index.ts";
import { PullMetricReader } from "../../src/telemetry/pull-reader.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { assertCatalogued, families, meteredChecker, promtoolCheck } from "./scrape-support.ts";

after(assertNoActiveHandles);

const BETA_INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;

void test("a Helm checker's scrape: every kube_lookout_helm_* family is catalogued; promtool passes", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({ namespace: "shop", name: "web", manifest: BETA_INGRESS });
  sim.helm.install({ namespace: "shop", name: "api", manifest: BETA_INGRESS });

  const telemetry = createTelemetry({
    env: { POD_NAME: "p", POD_NAMESPACE: "n" },
    clusterName: "sim",
  });
  t.after(() => telemetry.shutdown());
  const { url: metricsUrl } = await meteredChecker(t, client, telemetry);

  const text = await (await fetch(metricsUrl)).text();
  const f = families(text);
  const helm = [...f.keys()].filter((n) => n.startsWith("kube_lookout_helm_"));
  // A full scan ran and two releases have findings: these families must be there.
  for (const name of [
    "kube_lookout_helm_findings",
    "kube_lookout_helm_releases",
    "kube_lookout_helm_releases_with_findings",
    "kube_lookout_helm_scans_total",
    "kube_lookout_helm_scan_duration",
    "kube_lookout_helm_scan_last_success",
  ])
    assert.ok(helm.includes(name), `${name} missing from\n${text}`);
  assert.deepEqual(assertCatalogued(f, "kube_lookout_helm_", "helm"), [...helm].sort());
  assert.equal(f.get("kube_lookout_helm_findings")?.samples.length, 6);
  const buckets =
    catalogue.find((e) => e.name === "kube_lookout.helm.scan.duration")?.buckets ?? [];
  const les = (f.get("kube_lookout_helm_scan_duration")?.samples ?? [])
    .filter((s) => s.includes('mode="full"'))
    .flatMap((s) => /le="([^"]+)"/.exec(s)?.[1] ?? []);
  assert.deepEqual(les, [...buckets.map(String), "+Inf"]);
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
});

void test("the catalogue's Helm scan buckets equal the checker's own advice (a provider without our views)", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({ namespace: "shop", name: "web", manifest: BETA_INGRESS });
  const reader = new PullMetricReader(2000, []);
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  const checker = new HelmChecker({
    client,
    meterProvider: provider,
    maxThreads: 1,
    fullScanIntervalMs: 0,
  });
  t.after(() => checker.close());
  await checker.start();
  await checker.ready;
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === "kube_lookout.helm.scan.duration");
  assert.ok(metric !== undefined && metric.dataPointType === DataPointType.HISTOGRAM);
  const advice = metric.dataPoints[0]?.value.buckets.boundaries;
  assert.deepEqual(advice, catalogue.find((e) => e.name === metric.descriptor.name)?.buckets);
});
