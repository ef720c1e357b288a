/**
 * A real Prometheus (Debian's `prometheus`, started on loopback) scrapes a Helm checker's
 * /metrics every second and answers PromQL about a finding; the series goes away once the
 * release is fixed.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { createTelemetry } from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startPrometheus } from "../support/prometheus-server.ts";
import { meteredChecker } from "./scrape-support.ts";

after(assertNoActiveHandles);

const BETA_INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;
const V1_INGRESS = BETA_INGRESS.replace("v1beta1", "v1");

/** The result vector of an instant query. */
async function query(base: string, promql: string): Promise<{ metric: Record<string, string> }[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body: unknown = await res.json();
  const data: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "data") : {};
  const result: unknown =
    typeof data === "object" && data !== null ? Reflect.get(data, "result") : [];
  if (!Array.isArray(result)) return [];
  return result.filter(
    (r): r is { metric: Record<string, string> } =>
      typeof r === "object" && r !== null && "metric" in r,
  );
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  // oxlint-disable-next-line eslint/no-await-in-loop -- polling
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(250);
  }
}

void test("Prometheus scrapes the checker and answers PromQL about a Helm finding; a fix removes the series", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({ namespace: "shop", name: "web", manifest: BETA_INGRESS });

  const telemetry = createTelemetry({ clusterName: "sim" });
  t.after(() => telemetry.shutdown());
  const { checker, url: metricsUrl } = await meteredChecker(t, client, telemetry);

  const target = new URL(metricsUrl);
  const prometheus = await startPrometheus(t, [target.host], target.pathname);
  const base = prometheus.url;
  const finding =
    'kube_lookout_helm_findings{helm_release_name="web",k8s_object_kind="Ingress",target="v1.22.0",status="removed"}';
  try {
    await until(
      "Prometheus answers about the finding",
      async () => (await query(base, finding)).length === 1,
    );
  } catch (err) {
    throw new Error(`${String(err)}\nprometheus log:\n${prometheus.log()}`, { cause: err });
  }
  const [series] = await query(base, finding);
  assert.equal(series?.metric["k8s_api_version"], "networking.k8s.io/v1beta1");
  assert.equal(series?.metric["k8s_api_version_replacement"], "networking.k8s.io/v1");
  assert.equal(series?.metric["k8s_namespace_name"], "shop");

  // Fixed: the next scrape has no such series, and Prometheus marks it stale at once.
  sim.helm.upgrade("shop", "web", { manifest: V1_INGRESS });
  try {
    await until("the fixed finding is gone", async () => (await query(base, finding)).length === 0);
  } catch (err) {
    // Say whether the checker still serves the finding or Prometheus still holds it.
    const served = (await (await fetch(metricsUrl)).text())
      .split("\n")
      .filter((line) => line.startsWith("kube_lookout_helm_findings{"));
    const status = JSON.stringify(checker.status());
    throw new Error(`${String(err)}\nchecker: ${status}\n/metrics:\n${served.join("\n")}`, {
      cause: err,
    });
  }
});
