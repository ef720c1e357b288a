/**
 * watch-verify against the simulator: events dropped for the informer's watch leave the cache
 * wrong, and the verifier counts each kind once; without drops, churn counts nothing.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { PluginHost } from "../../src/plugins/index.ts";
import { openStore } from "../../src/store/index.ts";
import {
  createWatchVerifyPlugin,
  parseWatchVerifyConfig,
} from "../../plugins/watch-verify/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { PODS, codeOf, startCluster, testMetrics, until } from "./harness.ts";

after(assertNoActiveHandles);

void test("dropped ADDED, DELETED and MODIFIED events are counted as missing, ghost and stale", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  for (let i = 0; i < 5; i++) cluster.create(PODS, { metadata: { name: `p${i}`, namespace: "n" } });
  const store = openStore({ path: ":memory:", allowMemory: true });
  t.after(() => store.close());
  const metrics = testMetrics(t);
  const plugin = createWatchVerifyPlugin();
  const host = new PluginHost({
    plugins: [{ plugin, config: { intervalSeconds: 0.1, pageSize: 2, repair: false } }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    meterProvider: metrics.provider,
    store,
  });
  t.after(() => host.close());
  await host.start();
  const lease = setup.factory.acquire({ resource: PODS });
  t.after(() => lease.release());
  const informer = lease.informer;
  await informer.waitForSync(AbortSignal.timeout(10_000));
  await until("a clean round", () => plugin.lastVerified("v1/pods")?.listed === 5);
  assert.equal(plugin.lastVerified("v1/pods")?.differences.length, 0);
  await until("the informer watches", () => cluster.openWatchCount(PODS) === 1);

  cluster.faults.dropEvents({ count: 3, resource: PODS });
  cluster.create(PODS, { metadata: { name: "lost", namespace: "n" } });
  cluster.delete(PODS, "n", "p0");
  const patched = cluster.patch(PODS, "n", "p1", { metadata: { labels: { v: "2" } } });
  // A change that is not dropped still arrives: the watch goes on.
  cluster.create(PODS, { metadata: { name: "seen", namespace: "n" } });
  await until(
    "the informer saw the undropped change",
    () => informer.store.get("n/seen") !== undefined,
  );
  assert.equal(informer.store.get("n/lost"), undefined, "the ADDED was dropped");
  assert.notEqual(informer.store.get("n/p0"), undefined, "the DELETED was dropped");

  const counts = async (): Promise<Record<string, unknown>> => {
    const points = await metrics.points("kube_lookout.watch.discrepancies");
    for (const p of points) assert.equal(p.attributes["k8s.resource"], "v1/pods");
    return Object.fromEntries(points.map((p) => [String(p.attributes["kind"]), p.value]));
  };
  await until("all three kinds counted", async () => {
    const c = await counts();
    return c["missing"] === 1 && c["ghost"] === 1 && c["stale"] === 1;
  });
  const mark = plugin.lastVerified("v1/pods")!;
  assert.deepEqual(
    mark.differences.map((d) => [d.kind, d.key]).sort((a, b) => a[0]!.localeCompare(b[0]!)),
    [
      ["ghost", "n/p0"],
      ["missing", "n/lost"],
      ["stale", "n/p1"],
    ],
  );
  assert.equal(
    mark.differences.find((d) => d.kind === "stale")?.listed,
    patched.metadata.resourceVersion,
  );
  // Several more rounds: each discrepancy is counted once, not once per round.
  const before = mark.time;
  await until(
    "three more rounds",
    () => (plugin.lastVerified("v1/pods")?.time ?? 0) > before + 250,
  );
  assert.deepEqual(await counts(), { missing: 1, ghost: 1, stale: 1 });
  const kv: unknown = JSON.parse(store.kv.get("watch-verify.v1/pods") ?? "null");
  assert.ok(typeof kv === "object" && kv !== null);
  assert.equal(Reflect.get(kv, "missing"), 1);
  assert.equal(Reflect.get(kv, "resourceVersion"), plugin.lastVerified("v1/pods")?.resourceVersion);
});

void test("repair: a confirmed discrepancy makes the informer relist; the cache is right again and handlers hear it", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  for (let i = 0; i < 5; i++) cluster.create(PODS, { metadata: { name: `p${i}`, namespace: "n" } });
  const metrics = testMetrics(t);
  const plugin = createWatchVerifyPlugin();
  const host = new PluginHost({
    plugins: [{ plugin, config: { intervalSeconds: 0.1, pageSize: 2 } }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    meterProvider: metrics.provider,
  });
  t.after(() => host.close());
  await host.start();
  const lease = setup.factory.acquire({ resource: PODS });
  t.after(() => lease.release());
  const informer = lease.informer;
  await informer.waitForSync(AbortSignal.timeout(10_000));
  const heard: string[] = [];
  informer.addEventHandler({
    onAdd: (o, initial) => {
      if (!initial) heard.push(`add ${o.name}`);
    },
    onDelete: (o) => {
      heard.push(`delete ${"type" in o ? o.object.name : o.name}`);
    },
  });
  await until("the informer watches", () => cluster.openWatchCount(PODS) === 1);
  cluster.faults.dropEvents({ count: 2, resource: PODS });
  cluster.create(PODS, { metadata: { name: "lost", namespace: "n" } });
  cluster.delete(PODS, "n", "p0");
  await until(
    "the cache repaired",
    () => informer.store.get("n/lost") !== undefined && informer.store.get("n/p0") === undefined,
  );
  assert.deepEqual(heard.sort(), ["add lost", "delete p0"]);
  const points = await metrics.points("kube_lookout.watch.discrepancies");
  assert.deepEqual(Object.fromEntries(points.map((p) => [String(p.attributes["kind"]), p.value])), {
    missing: 1,
    ghost: 1,
  });
  await until(
    "a clean round after the repair",
    () => plugin.lastVerified("v1/pods")?.differences.length === 0,
  );
});

void test("churn without dropped events is never counted", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  cluster.load.seed(PODS, 200);
  const metrics = testMetrics(t);
  const plugin = createWatchVerifyPlugin();
  const host = new PluginHost({
    plugins: [{ plugin, config: { intervalSeconds: 0.05, pageSize: 50 } }],
    informers: setup.factory,
    client: setup.client,
    resources: [{ resource: PODS }],
    meterProvider: metrics.provider,
  });
  t.after(() => host.close());
  await host.start();
  const seed = Number(process.env["SEED"] ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const rounds: number[] = [];
  const watchRounds = setInterval(() => {
    const mark = plugin.lastVerified("v1/pods");
    if (mark !== undefined && rounds.at(-1) !== mark.time) rounds.push(mark.time);
  }, 5);
  t.after(() => clearInterval(watchRounds));
  const counts = await cluster.load.churn({ resource: PODS, count: 600, ratePerSec: 400, seed });
  assert.ok(counts.created + counts.updated + counts.deleted === 600);
  await new Promise((resolve) => setTimeout(resolve, 300));
  clearInterval(watchRounds);
  assert.ok(rounds.length >= 5, `only ${rounds.length} rounds (seed ${seed})`);
  const points = await metrics.points("kube_lookout.watch.discrepancies");
  assert.deepEqual(
    points.map((p) => [p.attributes["kind"], p.value]),
    [],
    `seed ${seed}`,
  );
});

void test("watch-verify's config is validated", () => {
  assert.deepEqual(parseWatchVerifyConfig(undefined), {
    repair: true,
    intervalSeconds: 300,
    pageSize: 500,
  });
  assert.equal(parseWatchVerifyConfig({ repair: false }).repair, false);
  for (const [raw, key] of [
    [{ repair: "yes" }, "repair"],
    [{ intervalSeconds: 0 }, "intervalSeconds"],
    // Past a Node timer's 2^31-1 ms the wait would fire after 1 ms: a LIST loop.
    [{ intervalSeconds: 3_000_000 }, "intervalSeconds"],
    [{ pageSize: 1.5 }, "pageSize"],
    [{ every: 1 }, "every"],
  ] as const) {
    assert.throws(
      () => parseWatchVerifyConfig(raw),
      (err: unknown) =>
        codeOf(err) === "LOOKOUT_PLUGIN_BAD_CONFIG" && Reflect.get(Object(err), "key") === key,
    );
  }
  assert.throws(() => parseWatchVerifyConfig(7), { code: "LOOKOUT_PLUGIN_BAD_CONFIG" });
});

void test("one resource in several namespaces: the mark is theirs together, once each had a round", async (t) => {
  const setup = await startCluster(t);
  const { cluster } = setup;
  for (let i = 0; i < 3; i++)
    cluster.create(PODS, { metadata: { name: `a${i}`, namespace: "shop" } });
  cluster.create(PODS, { metadata: { name: "b0", namespace: "blog" } });
  const store = openStore({ path: ":memory:", allowMemory: true });
  t.after(() => store.close());
  const plugin = createWatchVerifyPlugin();
  // What the sidecar hands plugins for `namespaces: [shop, blog]`: one spec per namespace.
  const host = new PluginHost({
    plugins: [{ plugin, config: { intervalSeconds: 0.1 } }],
    informers: setup.factory,
    client: setup.client,
    resources: [
      { resource: PODS, namespace: "shop" },
      { resource: PODS, namespace: "blog" },
    ],
    store,
  });
  t.after(() => host.close());
  await host.start();
  await until("a round of both", () => plugin.lastVerified("v1/pods") !== undefined);
  const mark = plugin.lastVerified("v1/pods")!;
  assert.equal(mark.listed, 4, "both namespaces counted, neither overwriting the other");
  const stored: unknown = JSON.parse(store.kv.get("watch-verify.v1/pods") ?? "null");
  assert.equal(Reflect.get(Object(stored), "listed"), 4);
  assert.equal(Reflect.get(Object(stored), "time"), mark.time);
});
