/**
 * The scan pool's instruments on a real pool (worker threads), read through a MeterProvider
 * with the telemetry's pull reader (delta temporality for gauges, as `/metrics` reads them);
 * and the checker's wiring: its pool is metered, and closing the checker removes the callback.
 */
import assert from "node:assert/strict";
import { after, test, type TestContext } from "node:test";
import { DataPointType, MeterProvider, type MetricData } from "@opentelemetry/sdk-metrics";
import { ScanPool, type ScanPoolInput } from "../../../src/helm/decode/index.ts";
import { HelmChecker } from "../../../src/helm/index.ts";
import { ScanPoolMetricNames, ScanPoolMetrics } from "../../../src/helm/checker/pool-metrics.ts";
import { KubeClient } from "../../../src/kube/index.ts";
import { startSimulatedCluster } from "../../../src/sim/index.ts";
import { PullMetricReader } from "../../../src/telemetry/pull-reader.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";
import { configMap, deployment, service } from "../decode/manifest-fixtures.ts";
import { encodePayload, releaseJson } from "../decode/payload-builder.ts";

after(assertNoActiveHandles);

const N = ScanPoolMetricNames;

/** name → the single value of a no-attribute gauge or sum (absent names are not in the map). */
type Values = Map<string, number>;

function meterFor(t: TestContext): { provider: MeterProvider; read(): Promise<Values> } {
  const reader = new PullMetricReader(2000, []);
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  return {
    provider,
    async read() {
      const { resourceMetrics, errors } = await reader.collect();
      assert.deepEqual(errors, []);
      const out: Values = new Map();
      const metrics: MetricData[] = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      for (const m of metrics) {
        if (!m.descriptor.name.startsWith("kube_lookout.scan_pool.")) continue;
        assert.notEqual(m.dataPointType, DataPointType.HISTOGRAM);
        assert.ok(m.dataPoints.length <= 1, m.descriptor.name);
        const v = m.dataPoints[0]?.value;
        if (typeof v === "number") out.set(m.descriptor.name, v);
      }
      return out;
    },
  };
}

function inputs(n: number, size = 20): ScanPoolInput[] {
  const out: ScanPoolInput[] = [];
  for (let i = 0; i < n; i++) {
    let manifest = "";
    for (let k = 0; k < size; k++)
      manifest += `${service(`s${i}-${k}`)}${deployment(`d${i}-${k}`)}${configMap(`c${i}-${k}`)}`;
    out.push({
      value: encodePayload(releaseJson(`r${i}`, manifest, [], 1), "secret"),
      driver: "secret",
    });
  }
  return out;
}

void test("a pool's queue, threads, tasks and utilization; an idle interval reads 0; a closed pool reports nothing", async (t) => {
  const m = meterFor(t);
  const pool = new ScanPool({ maxThreads: 1 });
  t.after(() => pool.close());
  const metrics = new ScanPoolMetrics(pool, m.provider);
  t.after(() => metrics.close());

  let v = await m.read();
  assert.equal(v.get(N.queueSize), 0);
  assert.equal(v.get(N.threads), 0, "no thread before the first task");
  assert.equal(v.get(N.tasks), 0);
  assert.equal(v.get(N.utilization), 0);

  // Many single scans on one thread: while the worker starts, they queue.
  const all = inputs(30, 2);
  const running = Promise.all(all.map((input) => pool.scan(input)));
  v = await m.read();
  assert.ok((v.get(N.queueSize) ?? 0) >= 20, `queue ${v.get(N.queueSize)}`);
  await running;
  v = await m.read();
  assert.equal(v.get(N.tasks), 30);
  assert.equal(v.get(N.threads), 1);
  assert.equal(v.get(N.queueSize), 0);
  const first = v.get(N.utilization) ?? -1;
  assert.ok(first > 0 && first <= 1, `utilization ${first}`);

  // Nothing ran since the previous collection.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await m.read()).get(N.utilization), 0);

  // Back-to-back work on a warm thread keeps it busy most of the interval.
  const big = inputs(40, 40);
  await m.read();
  const t0 = performance.now();
  await pool.scanMany(big);
  const elapsed = performance.now() - t0;
  v = await m.read();
  const busy = v.get(N.utilization) ?? -1;
  t.diagnostic(
    `utilization ${busy.toFixed(3)} over ${elapsed.toFixed(0)} ms of back-to-back scans`,
  );
  assert.ok(busy > 0.5 && busy <= 1, `utilization ${busy} over ${elapsed.toFixed(0)} ms`);
  assert.ok((v.get(N.tasks) ?? 0) > 30);

  const completed = pool.stats.completed;
  await pool.close();
  v = await m.read();
  for (const name of [N.queueSize, N.threads, N.utilization])
    assert.equal(v.has(name), false, `${name} after the pool closed`);
  // The cumulative counter keeps its last value (the SDK's cumulative temporality), as counters do.
  assert.equal(v.get(N.tasks), completed);
});

const BETA_INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;

void test("the checker meters its pool, and closing it removes the callback (a shared pool, still open, is no longer observed)", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  for (let i = 0; i < 5; i++) {
    sim.helm.install({ namespace: "shop", name: `web-${i}`, manifest: BETA_INGRESS });
  }
  const m = meterFor(t);

  // Its own pool.
  const own = new HelmChecker({
    client,
    meterProvider: m.provider,
    maxThreads: 1,
    fullScanIntervalMs: 0,
  });
  t.after(() => own.close());
  await own.start();
  await own.ready;
  let v = await m.read();
  assert.ok((v.get(N.tasks) ?? 0) >= 1, `tasks ${v.get(N.tasks)}`);
  assert.equal(v.get(N.threads), 1);
  assert.equal(v.get(N.queueSize), 0);
  assert.ok(v.has(N.utilization));
  await own.close();
  v = await m.read();
  for (const name of [N.queueSize, N.threads, N.utilization])
    assert.equal(v.has(name), false, name);

  // A shared pool outlives the checker: after close() its callback must be gone.
  const pool = new ScanPool({ maxThreads: 1 });
  t.after(() => pool.close());
  const shared = new HelmChecker({
    client,
    meterProvider: m.provider,
    pool,
    fullScanIntervalMs: 0,
  });
  t.after(() => shared.close());
  await shared.start();
  await shared.ready;
  v = await m.read();
  assert.equal(v.get(N.threads), 1);
  const tasks = v.get(N.tasks) ?? 0;
  assert.ok(tasks >= 1);
  await shared.close();
  assert.equal(pool.closed, false);
  assert.equal(pool.stats.threads, 1, "the shared pool is still up");
  v = await m.read();
  for (const name of [N.queueSize, N.threads, N.utilization])
    assert.equal(v.has(name), false, name);
});
