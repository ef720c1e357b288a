/**
 * The checker's metrics through a real OpenTelemetry SDK and Prometheus exporter: a fixed
 * finding leaves /metrics at the next scrape, which an SDK observable gauge would not do.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { HelmChecker } from "../../../src/helm/index.ts";
import { KubeClient } from "../../../src/kube/index.ts";
import { startSimulatedCluster } from "../../../src/sim/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";

after(assertNoActiveHandles);

const BETA_INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;
const V1_INGRESS = BETA_INGRESS.replace("v1beta1", "v1");

/** Serves the exporter's handler on our own server, as the sidecar does (one port). */
async function serve(
  exporter: PrometheusExporter,
): Promise<{ scrape(): Promise<string>; close(): Promise<void> }> {
  const server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    scrape: async () => {
      const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      return res.text();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function series(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

void test("a fixed finding disappears from /metrics at the next scrape", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({ namespace: "shop", name: "web", manifest: BETA_INGRESS });
  sim.helm.install({ namespace: "shop", name: "api", manifest: BETA_INGRESS });

  // The checker needs the provider and the exporter needs the producer: bind it lazily.
  const bound: { checker?: HelmChecker } = {};
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    metricProducers: [
      {
        collect: async (options) => {
          assert.ok(bound.checker !== undefined);
          return bound.checker.metricProducer.collect(options);
        },
      },
    ],
  });
  const provider = new MeterProvider({ readers: [exporter] });
  t.after(() => provider.shutdown());
  const c = new HelmChecker({
    client,
    meterProvider: provider,
    maxThreads: 1,
    incrementalDelayMs: 10,
    fullScanIntervalMs: 0,
  });
  bound.checker = c;
  t.after(() => c.close());
  const server = await serve(exporter);
  t.after(() => server.close());
  await c.start();
  await c.ready;

  let text = await server.scrape();
  const findings = series(text, "kube_lookout_helm_findings");
  assert.equal(findings.length, 6, text);
  assert.ok(
    findings.every(
      (l) => l.includes('helm_release_name="web"') || l.includes('helm_release_name="api"'),
    ),
  );
  assert.ok(findings.some((l) => l.includes('status="removed"') && l.includes('target="v1.22.0"')));
  assert.ok(!/revision|computed|time/.test(findings.join("\n")), "no volatile labels");
  assert.match(text, /kube_lookout_helm_releases(_ratio)?\{[^}]*\} 2/);
  const withFindings = series(text, "kube_lookout_helm_releases_with_findings");
  assert.ok(
    withFindings.some((l) => l.includes('status="removed"') && l.endsWith(" 2")),
    text,
  );

  sim.helm.upgrade("shop", "web", { manifest: V1_INGRESS });
  while (c.findings().some((f) => f.release === "web")) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(10);
  }
  text = await server.scrape();
  const left = series(text, "kube_lookout_helm_findings");
  assert.equal(left.length, 3);
  assert.ok(
    left.every((l) => l.includes('helm_release_name="api"')),
    left.join("\n"),
  );

  sim.helm.uninstall("shop", "api");
  while (c.findings().length > 0) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(10);
  }
  text = await server.scrape();
  assert.deepEqual(series(text, "kube_lookout_helm_findings"), []);
  assert.deepEqual(series(text, "kube_lookout_helm_releases_with_findings"), []);
});

void test("why a producer: the SDK keeps exporting attribute sets an observable gauge stopped observing", async (t) => {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  t.after(() => provider.shutdown());
  const gauge = provider.getMeter("canary").createObservableGauge("canary_findings");
  let sets = [{ release: "a" }, { release: "b" }];
  gauge.addCallback((r) => {
    for (const s of sets) r.observe(1, s);
  });
  const first = await exporter.collect();
  sets = [{ release: "b" }];
  const second = await exporter.collect();
  const points = (c: typeof first) =>
    c.resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .reduce((n, m) => n + m.dataPoints.length, 0);
  assert.equal(points(first), 2);
  // If this starts failing, sdk-metrics drops stale sets and an observable gauge would do.
  assert.equal(points(second), 2);
});
