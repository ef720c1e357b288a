/**
 * informerMetrics() against an informer on the simulator: lists, watches, events, a 410 and its
 * restart, objects cached, last event age and handler queue depth appear in a scrape under the
 * catalogue's names; the gauges leave /metrics after forget(); promtool accepts the scrape.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import {
  createTelemetry,
  findPrometheusFamily,
  INFORMER_SCOPE,
  informerMetrics,
} from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { families, promtoolCheck } from "./scrape-support.ts";

after(assertNoActiveHandles);

const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** The value of the first sample named `sample` whose labels include every `labels` pair. */
function value(text: string, sample: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const hit = text
    .split("\n")
    .find((s) => s.startsWith(`${sample}{`) && wanted.every((w) => s.includes(w)));
  return hit === undefined ? undefined : Number(hit.slice(hit.lastIndexOf(" ") + 1));
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  // oxlint-disable-next-line eslint/no-await-in-loop -- polling
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(20);
  }
}

void test("an informer's hooks through informerMetrics: catalogued series, a 410, gauges gone after forget", async (t) => {
  const cluster = await startSimulatedCluster({ host: "127.0.0.1", port: 0 });
  t.after(() => cluster.close());
  const client = new KubeClient({ server: cluster.url });
  t.after(() => client.close());
  cluster.load.seed(PODS, 30);
  const telemetry = createTelemetry({ env: {} });
  t.after(() => telemetry.shutdown());
  const adapter = informerMetrics(telemetry.meterProvider.getMeter(INFORMER_SCOPE));
  telemetry.addMetricProducer(adapter.metricProducer);
  const informer = new Informer({
    client,
    resource: PODS,
    watchList: "off",
    backoff: { initialMs: 20, maxMs: 200 },
    metrics: adapter,
  });
  t.after(() => informer.close());
  informer.addEventHandler({ onAdd: () => {} }, { name: "audit" });
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(10_000));
  for (let i = 0; i < 5; i++)
    cluster.create(PODS, { metadata: { name: `new-${i}`, namespace: "x" } });
  await until("35 cached objects", () => Promise.resolve(informer.store.size === 35));
  const events = value(await telemetry.scrape(), "kube_lookout_informer_events_total", {
    k8s_resource: "v1/pods",
    k8s_watch_event_type: "ADDED",
  });
  assert.equal(events, 5);
  // An old enough watch misses a change, then compaction and a closed watch: the re-watch from
  // the informer's last resourceVersion gets 410 and relists.
  await sleep(1100);
  cluster.faults.dropEvents({ count: 1_000, resource: PODS });
  cluster.create(PODS, { metadata: { name: "missed", namespace: "x" } });
  cluster.faults.compact();
  cluster.faults.closeWatches({ resource: PODS });
  const r = { k8s_resource: "v1/pods" };
  await until("the relist after the 410", async () => {
    const scrape = await telemetry.scrape();
    return (
      (value(scrape, "kube_lookout_informer_expired_total", r) ?? 0) >= 1 &&
      (value(scrape, "kube_lookout_informer_lists_total", { ...r, outcome: "success" }) ?? 0) >=
        2 &&
      value(scrape, "kube_lookout_informer_objects", r) === 36
    );
  });

  const text = await telemetry.scrape();
  assert.ok(
    (value(text, "kube_lookout_informer_lists_total", { ...r, outcome: "success" }) ?? 0) >= 2,
    text,
  );
  assert.ok((value(text, "kube_lookout_informer_list_objects_total", r) ?? 0) >= 66);
  assert.ok((value(text, "kube_lookout_informer_watches_total", r) ?? 0) >= 2);
  assert.ok(
    (value(text, "kube_lookout_informer_restarts_total", { ...r, reason: "expired" }) ?? 0) >= 1,
  );
  assert.ok((value(text, "kube_lookout_informer_watch_ends_total", r) ?? 0) >= 1);
  assert.ok((value(text, "kube_lookout_informer_list_duration_count", r) ?? 0) >= 2);
  assert.equal(value(text, "kube_lookout_informer_objects", r), 36);
  const age = value(text, "kube_lookout_informer_last_event_age", r);
  assert.ok(age !== undefined && age >= 0 && age < 60, String(age));
  // The hook reports the depth after queuing (not after draining): present, small.
  const depth = value(text, "kube_lookout_informer_handler_queue_depth", {
    ...r,
    handler: "audit",
  });
  assert.ok(depth !== undefined && depth >= 0 && depth <= 36, String(depth));

  const f = families(text);
  const informerFamilies = [...f.keys()].filter((n) => n.startsWith("kube_lookout_informer_"));
  assert.ok(informerFamilies.length >= 11, informerFamilies.join(","));
  for (const name of informerFamilies) {
    const e = findPrometheusFamily(name);
    assert.ok(e !== undefined && e.component === "informer", `${name} not in the catalogue`);
    assert.equal(f.get(name)?.type, e.prometheusType, name);
    assert.equal(f.get(name)?.unit, e.unit, name);
  }
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });

  await informer.close();
  adapter.forget("v1/pods");
  adapter.forget("v1/pods");
  const afterForget = families(await telemetry.scrape());
  for (const gone of [
    "kube_lookout_informer_objects",
    "kube_lookout_informer_last_event_age",
    "kube_lookout_informer_handler_queue_depth",
  ])
    assert.deepEqual(afterForget.get(gone)?.samples ?? [], [], gone);
  assert.ok(
    (afterForget.get("kube_lookout_informer_watches_total")?.samples.length ?? 0) > 0,
    "counters stay",
  );
});

void test("error types: an error's code, else its name", async (t) => {
  const telemetry = createTelemetry({ env: {} });
  t.after(() => telemetry.shutdown());
  const adapter = informerMetrics(telemetry.meterProvider.getMeter(INFORMER_SCOPE), {
    now: () => 10_500,
  });
  telemetry.addMetricProducer(adapter.metricProducer);
  adapter.error({
    resource: "v1/pods",
    error: Object.assign(new Error("x"), { code: "LOOKOUT_X" }),
  });
  adapter.error({ resource: "v1/pods", error: new TypeError("y") });
  adapter.error({ resource: "v1/pods", error: "z" });
  adapter.lastEventTime({ resource: "v1/pods", time: 8_000 });
  const text = await telemetry.scrape();
  for (const type of ["LOOKOUT_X", "TypeError", "unknown"])
    assert.equal(value(text, "kube_lookout_informer_errors_total", { error_type: type }), 1, type);
  assert.equal(value(text, "kube_lookout_informer_last_event_age", {}), 2.5);
});

void test("forInformer: informers of one resource add up, the most silent one's age counts, dispose removes a share and the last one the series", async (t) => {
  const telemetry = createTelemetry({ env: {} });
  t.after(() => telemetry.shutdown());
  const adapter = informerMetrics(telemetry.meterProvider.getMeter(INFORMER_SCOPE), {
    now: () => 20_000,
  });
  telemetry.addMetricProducer(adapter.metricProducer);
  const a = adapter.forInformer();
  const b = adapter.forInformer();
  a.objectsCached({ resource: "v1/pods", count: 3 });
  b.objectsCached({ resource: "v1/pods", count: 4 });
  a.lastEventTime({ resource: "v1/pods", time: 19_000 });
  b.lastEventTime({ resource: "v1/pods", time: 12_000 });
  a.handlerQueueDepth({ resource: "v1/pods", handler: "events", depth: 2 });
  b.handlerQueueDepth({ resource: "v1/pods", handler: "events", depth: 5 });
  let text = await telemetry.scrape();
  assert.equal(value(text, "kube_lookout_informer_objects", { k8s_resource: "v1/pods" }), 7);
  assert.equal(value(text, "kube_lookout_informer_last_event_age", {}), 8);
  assert.equal(value(text, "kube_lookout_informer_handler_queue_depth", { handler: "events" }), 7);
  b.dispose();
  text = await telemetry.scrape();
  assert.equal(value(text, "kube_lookout_informer_objects", { k8s_resource: "v1/pods" }), 3);
  assert.equal(value(text, "kube_lookout_informer_last_event_age", {}), 1);
  a.dispose();
  text = await telemetry.scrape();
  assert.doesNotMatch(
    text,
    /^kube_lookout_informer_(objects|last_event_age|handler_queue_depth)\{/m,
  );
});
