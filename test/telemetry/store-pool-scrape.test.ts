/**
 * A store on disk and a Helm checker (its scan pool) against the simulator, both metered by
 * createTelemetry, scraped over HTTP: every `kube_lookout_store_*` and `kube_lookout_scan_pool_*`
 * family is there, in the catalogue with its type, unit and attributes; promtool accepts the
 * scrape; a resource whose snapshots are all gone leaves at the next scrape.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { openStore } from "../../src/store/index.ts";
import { catalogue, createTelemetry } from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { assertCatalogued, families, meteredChecker, promtoolCheck } from "./scrape-support.ts";

after(assertNoActiveHandles);

const BETA_INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;

function snapshot(resource: string, name: string) {
  return {
    resource,
    namespace: "shop",
    name,
    uid: `uid-${name}`,
    resourceVersion: "1",
    hash: "h",
    object: "{}",
  };
}

/** The Prometheus families the catalogue lists for `component`, sorted. */
function want(component: string): string[] {
  return catalogue
    .filter((e) => e.component === component)
    .map((e) => e.prometheusName)
    .sort();
}

void test("store and scan pool scrape: every family present and catalogued, promtool passes, a gone resource leaves", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lookout-scrape-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.helm.install({ namespace: "shop", name: "web", manifest: BETA_INGRESS });

  const telemetry = createTelemetry({ env: { POD_NAME: "p", POD_NAMESPACE: "n" } });
  t.after(() => telemetry.shutdown());
  const store = openStore({
    path: join(dir, "state.db"),
    maxSizeBytes: 64 * 1024 * 1024,
    meterProvider: telemetry.meterProvider,
  });
  t.after(() => store.close());
  const { checker, url: metricsUrl } = await meteredChecker(t, client, telemetry, store.helm);

  store.transaction(() => {
    store.snapshots.put(snapshot("apps/v1/deployments", "a"));
    store.snapshots.put(snapshot("apps/v1/deployments", "b"));
    store.snapshots.put(snapshot("v1/pods", "p"));
    store.outbox.append([
      {
        subject: "kl.sim.x",
        msgId: "m1",
        orderKey: "k",
        headers: {},
        body: new Uint8Array(4),
        observedAt: 1,
      },
    ]);
  });
  assert.throws(() => store.kv.set("big", "x".repeat(80 * 1024 * 1024)), {
    name: "StoreFullError",
  });

  let text = await (await fetch(metricsUrl)).text();
  let f = families(text);
  const storeFamilies = assertCatalogued(f, "kube_lookout_store_", "store");
  const poolFamilies = assertCatalogued(f, "kube_lookout_scan_pool_", "scan-pool");
  assert.deepEqual(storeFamilies, want("store"));
  assert.deepEqual(poolFamilies, want("scan-pool"));
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });

  const sample = (name: string): string[] => f.get(name)?.samples ?? [];
  assert.deepEqual(sample("kube_lookout_store_snapshots").sort(), [
    'kube_lookout_store_snapshots{k8s_resource="apps/v1/deployments",otel_scope_name="kube-lookout/store"} 2',
    'kube_lookout_store_snapshots{k8s_resource="v1/pods",otel_scope_name="kube-lookout/store"} 1',
  ]);
  assert.deepEqual(sample("kube_lookout_store_size_limit"), [
    `kube_lookout_store_size_limit{otel_scope_name="kube-lookout/store"} ${64 * 1024 * 1024}`,
  ]);
  assert.ok(
    sample("kube_lookout_store_errors_total").some(
      (s) => s.includes('error_type="LOOKOUT_STORE_FULL"') && s.endsWith("} 1"),
    ),
  );
  for (const operation of ["snapshots", "helm"])
    assert.ok(
      sample("kube_lookout_store_transaction_duration").some(
        (s) =>
          s.startsWith(`kube_lookout_store_transaction_duration_count{`) &&
          s.includes(`operation="${operation}"`),
      ),
      operation,
    );
  const buckets =
    catalogue.find((e) => e.name === "kube_lookout.store.transaction.duration")?.buckets ?? [];
  const les = sample("kube_lookout_store_transaction_duration")
    .filter((s) => s.includes('operation="snapshots"'))
    .flatMap((s) => /le="([^"]+)"/.exec(s)?.[1] ?? []);
  assert.deepEqual(les, [...buckets.map(String), "+Inf"]);
  const tasks = /} (\d+)$/.exec(sample("kube_lookout_scan_pool_tasks_total")[0] ?? "")?.[1];
  assert.ok(Number(tasks) >= 1, `tasks ${tasks}`);

  // v1/pods' last snapshot goes: its series leaves at the next scrape.
  store.snapshots.remove("v1/pods", "shop", "p");
  text = await (await fetch(metricsUrl)).text();
  f = families(text);
  assert.deepEqual(sample("kube_lookout_store_snapshots"), [
    'kube_lookout_store_snapshots{k8s_resource="apps/v1/deployments",otel_scope_name="kube-lookout/store"} 2',
  ]);
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });

  // Closed, both report no gauges any more.
  await checker.close();
  store.close();
  f = families(await (await fetch(metricsUrl)).text());
  for (const name of [
    "kube_lookout_store_size",
    "kube_lookout_store_size_limit",
    "kube_lookout_store_snapshots",
    "kube_lookout_scan_pool_queue_size",
    "kube_lookout_scan_pool_threads",
    "kube_lookout_scan_pool_utilization",
  ])
    assert.equal(sample(name).length, 0, name);
});
