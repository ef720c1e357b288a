/**
 * stream-delay against the simulator: the simulator's clock runs a known offset behind ours,
 * so every timestamp it writes is that far in the past when the event arrives.
 */
import assert from "node:assert/strict";
import { after, test, type TestContext } from "node:test";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { PluginHost } from "../../src/plugins/index.ts";
import streamDelay, { parseStreamDelayConfig } from "../../plugins/stream-delay/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { PODS, codeOf, startCluster, testMetrics, until, type ClusterSetup } from "./harness.ts";

after(assertNoActiveHandles);

const NAME = "kube_lookout.watch.stream_delay";
const OFFSET_MS = 2000;

async function setupWithPlugin(
  t: TestContext,
  config: unknown,
  keepManagedFields = false,
  seed: (setup: ClusterSetup) => void = () => {},
  offsetMs = OFFSET_MS,
): Promise<
  ClusterSetup & {
    points(type: string): Promise<Histogram | undefined>;
    skewed(): Promise<unknown[]>;
  }
> {
  const setup = await startCluster(
    t,
    { clock: () => Date.now() - offsetMs },
    { keepManagedFields },
  );
  seed(setup);
  const metrics = testMetrics(t);
  const host = new PluginHost({
    plugins: [{ plugin: streamDelay, config }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    meterProvider: metrics.provider,
  });
  t.after(() => host.close());
  const { failed } = await host.start();
  assert.deepEqual(failed, []);
  const lease = setup.factory.acquire({ resource: PODS });
  t.after(() => lease.release());
  await lease.informer.waitForSync(AbortSignal.timeout(10_000));
  await until("the plugin runs", () => host.status()[0]?.state === "running");
  return {
    ...setup,
    async points(type) {
      const all = await metrics.points(NAME);
      const point = all.find((p) => p.attributes["event.type"] === type);
      assert.equal(point?.attributes["k8s.resource"] ?? "v1/pods", "v1/pods");
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a histogram's point value
      return point?.value as Histogram | undefined;
    },
    async skewed() {
      const all = await metrics.points(`${NAME}.skewed`);
      return all.map((p) => [p.attributes["event.type"], p.value]);
    },
  };
}

void test("ADDED and DELETED are measured against creation and deletion timestamps; the initial list is not", async (t) => {
  // Created before the informer lists: initial-list adds, never measured.
  const s = await setupWithPlugin(t, { buckets: [1, 2, 3, 4, 8] }, false, ({ cluster }) => {
    cluster.create(PODS, { metadata: { name: "before", namespace: "n" } });
    cluster.create(PODS, { metadata: { name: "before-2", namespace: "n" } });
  });
  for (const name of ["a", "b", "c"]) {
    s.cluster.create(PODS, { metadata: { name, namespace: "n" } });
  }
  s.cluster.delete(PODS, "n", "a");
  await until("3 adds and 1 delete measured", async () => {
    const added = await s.points("ADDED");
    const deleted = await s.points("DELETED");
    return added?.count === 3 && deleted?.count === 1;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const added = (await s.points("ADDED"))!;
  const deleted = (await s.points("DELETED"))!;
  // Timestamps have whole seconds (truncated): the true 2 s offset reads as [2, 3) s, plus delivery.
  for (const h of [added, deleted]) {
    assert.ok(
      h.min !== undefined && h.min >= 2 && h.max !== undefined && h.max < 3.5,
      JSON.stringify(h),
    );
    assert.deepEqual(h.buckets.boundaries, [1, 2, 3, 4, 8]);
  }
  assert.equal(
    added.buckets.counts.slice(0, 2).reduce((a, b) => a + b, 0),
    0,
    "nothing under 2 s",
  );
  assert.equal(
    await s.points("MODIFIED"),
    undefined,
    "managedFields stripped: MODIFIED not measured",
  );
});

void test("MODIFIED is measured against the newest managedFields time when it moved with the change", async (t) => {
  const s = await setupWithPlugin(t, undefined, true);
  s.cluster.create(PODS, { metadata: { name: "m", namespace: "n" } });
  await until("the add is measured", async () => (await s.points("ADDED"))?.count === 1);
  const fiveSecondsAgo = new Date(Date.now() - 5000).toISOString().replace(/\.\d{3}Z$/, "Z");
  s.cluster.patch(PODS, "n", "m", {
    metadata: {
      managedFields: [
        { manager: "test", operation: "Update", apiVersion: "v1", time: fiveSecondsAgo },
      ],
    },
  });
  // A change that leaves managedFields alone is not measured.
  s.cluster.patch(PODS, "n", "m", { metadata: { labels: { x: "1" } } });
  s.cluster.patch(PODS, "n", "m", { metadata: { labels: { x: "2" } } });
  await until("the modify is measured", async () => (await s.points("MODIFIED"))?.count === 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const modified = (await s.points("MODIFIED"))!;
  assert.equal(modified.count, 1);
  assert.ok(modified.min! >= 5 && modified.max! < 6.5, JSON.stringify(modified));
});

void test("a timestamp ahead of our clock is counted as skewed, not recorded", async (t) => {
  const s = await setupWithPlugin(t, undefined, false, () => {}, -5000);
  s.cluster.create(PODS, { metadata: { name: "future", namespace: "n" } });
  await until("the skewed add is counted", async () => (await s.skewed()).length === 1);
  assert.deepEqual(await s.skewed(), [["ADDED", 1]]);
  assert.equal(await s.points("ADDED"), undefined);
});

void test("stream-delay's config: buckets must be increasing non-negative numbers", () => {
  assert.deepEqual(parseStreamDelayConfig({ buckets: [0.5, 1] }).buckets, [0.5, 1]);
  assert.ok(parseStreamDelayConfig(undefined).buckets.length > 5);
  for (const [raw, key] of [
    [{ buckets: [] }, "buckets"],
    [{ buckets: [1, 0.5] }, "buckets.1"],
    [{ buckets: [-1] }, "buckets.0"],
    [{ bucket: [1] }, "bucket"],
  ] as const) {
    assert.throws(
      () => parseStreamDelayConfig(raw),
      (err: unknown) =>
        codeOf(err) === "LOOKOUT_PLUGIN_BAD_CONFIG" && Reflect.get(Object(err), "key") === key,
    );
  }
});
