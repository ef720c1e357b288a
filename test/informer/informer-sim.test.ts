/**
 * The informer against the simulated API server over real HTTP on loopback.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { InformerFactory } from "../../src/informer/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  PODS,
  converge,
  delay,
  diff,
  informerState,
  simState,
  startCluster,
  startInformer,
  synced,
} from "./sim-harness.ts";
import { codeOf, until } from "./fake-client.ts";
import { countingTimers } from "./counting-timers.ts";

after(async () => {
  await assertNoActiveHandles();
});

void test('paged initial sync of 20k objects (RV "", 40 pages of 500) matches the simulator key by key', async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 20_000);
  const pages: number[] = [];
  const informer = startInformer(t, client, {
    watchList: "off",
    pageSize: 500,
    initialListResourceVersion: "",
    metrics: { listRequest: (i) => void pages.push(i.pages) },
  });
  await synced(informer, cluster);
  const syncedRV = informer.lastSyncResourceVersion;
  assert.equal(informer.store.size, 20_000);
  assert.equal(diff(simState(cluster), informerState(informer)), "");
  assert.deepEqual(pages, [40]);
  const lists = cluster.requests
    .filter((r) => !r.watch && r.path === "/api/v1/pods")
    .map((r) => new URLSearchParams(r.query));
  assert.equal(lists.length, 40);
  assert.ok(lists.every((q) => q.get("limit") === "500"));
  assert.equal(lists[0]!.get("resourceVersion") ?? "", "", 'a consistent read (RV unset or "")');
  assert.equal(lists[0]!.get("continue"), null);
  assert.ok(lists.slice(1).every((q) => (q.get("continue") ?? "") !== ""));
  // Every page is read at the first page's RV, which the continue token carries
  // (apiserver format: base64url JSON {"v","rv","start"}); the informer synced at that RV.
  const token: unknown = JSON.parse(
    Buffer.from(lists[1]!.get("continue")!, "base64url").toString("utf8"),
  );
  assert.ok(typeof token === "object" && token !== null && "rv" in token);
  assert.equal(String(token.rv), syncedRV);
  assert.equal(syncedRV, cluster.resourceVersion);
});

void test("streaming list (WatchList) syncs without any LIST request", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 500);
  const informer = startInformer(t, client);
  await synced(informer, cluster);
  assert.equal(diff(simState(cluster), informerState(informer)), "");
  assert.equal(cluster.requests.filter((r) => !r.watch && r.path === "/api/v1/pods").length, 0);
  cluster.create(PODS, { metadata: { name: "late", namespace: "default" } });
  await converge(cluster, informer);
});

void test("churn while watching, with mid-stream and mid-line disconnects, converges", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 200);
  const informer = startInformer(t, client, { watchList: "off" });
  await synced(informer, cluster);
  const churn = cluster.load.churn({
    resource: PODS,
    count: 600,
    ratePerSec: 3000,
    seed: 7,
    namespaces: ["a", "b"],
  });
  await delay(50);
  cluster.faults.closeWatches({ resource: PODS });
  await delay(50);
  cluster.faults.closeWatches({ resource: PODS, midLine: true });
  await churn;
  await converge(cluster, informer);
});

void test("compaction then 410 relists and converges with no lost and no ghost objects", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 300);
  const expired: string[] = [];
  const restarts: string[] = [];
  const informer = startInformer(t, client, {
    watchList: "off",
    metrics: {
      expired: (r) => void expired.push(r),
      restart: (i) => void restarts.push(i.reason),
    },
  });
  await synced(informer, cluster);
  const seen = { adds: 0, updates: 0, tombstones: 0, deletes: 0 };
  const reg = informer.addEventHandler({
    onAdd: (_o, initial) => void (initial ? undefined : seen.adds++),
    onUpdate: () => void seen.updates++,
    onDelete: (o) => void ("type" in o ? seen.tombstones++ : seen.deletes++),
  });
  await until(() => reg.hasSynced());
  await until(() => cluster.openWatchCount(PODS) === 1);
  // Older than a second, so that its close is a clean end (re-watch at the last RV, which then
  // gets the watch 410), not a very short watch (which relists for another reason).
  await delay(1100);
  // Changes the informer will miss: its watch is gone while they happen.
  cluster.faults.dropEvents({ count: 1_000_000, resource: PODS });
  for (const o of cluster.list(PODS).slice(0, 50)) {
    cluster.delete(PODS, o.metadata.namespace!, o.metadata.name!);
  }
  for (let i = 0; i < 20; i++)
    cluster.create(PODS, { metadata: { name: `n${i}`, namespace: "x" } });
  cluster.faults.compact();
  cluster.faults.closeWatches({ resource: PODS });
  await converge(cluster, informer);
  assert.ok(expired.length >= 1, "a 410 was seen");
  assert.deepEqual(restarts, ["expired"], "the relist comes from the watch 410");
  // The relist is a Replace: 50 tombstones, 20 adds, and no update for the 250 unchanged pods.
  await until(() => seen.adds === 20 && seen.tombstones === 50);
  assert.deepEqual(seen, { adds: 20, updates: 0, tombstones: 50, deletes: 0 });
});

void test("after a watch 410, the relist at the last RV sends no limit and is answered 200", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 50);
  const restarts: string[] = [];
  const informer = startInformer(t, client, {
    watchList: "off",
    metrics: { restart: (i) => void restarts.push(i.reason) },
  });
  await synced(informer, cluster);
  await until(() => cluster.openWatchCount(PODS) === 1);
  const listRV = informer.lastSyncResourceVersion;
  // Older than a second: the close is a clean end, not a very short watch.
  await delay(1100);
  cluster.create("configmaps", { metadata: { name: "bump", namespace: "default" } });
  cluster.faults.compact();
  cluster.faults.closeWatches({ resource: PODS });
  await until(() => restarts.includes("expired"), 5000, "the re-watch expires");
  await until(() => cluster.openWatchCount(PODS) === 1, 5000, "a new watch");
  const lists = cluster.requests.filter((r) => !r.watch && r.path === "/api/v1/pods");
  assert.equal(lists.length, 2, lists.map((r) => `${r.query} ${r.status}`).join(" | "));
  const relist = new URLSearchParams(lists[1]!.query);
  assert.equal(relist.get("resourceVersion"), listRV);
  assert.equal(relist.get("limit"), null, "RV N with limit would be an Exact read");
  assert.equal(lists[1]!.status, 200);
  assert.deepEqual(restarts, ["expired"]);
  await converge(cluster, informer);
});

void test("a missed event (dropEvents) is healed by the next relist", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 20);
  const informer = startInformer(t, client, { watchList: "off" });
  await synced(informer, cluster);
  await until(() => cluster.openWatchCount(PODS) === 1);
  const victim = cluster.list(PODS)[0]!;
  cluster.faults.dropEvents({ count: 1, resource: PODS });
  cluster.patch(PODS, victim.metadata.namespace!, victim.metadata.name!, {
    metadata: { labels: { changed: "yes" } },
  });
  const marker = cluster.create(PODS, { metadata: { name: "marker", namespace: "default" } });
  await until(() => informer.store.get("default/marker") !== undefined);
  const key = `${victim.metadata.namespace}/${victim.metadata.name}`;
  assert.equal(informer.store.get(key)?.labels?.changed, undefined, "the event was really dropped");
  assert.ok(marker.metadata.resourceVersion);
  // Force a relist: move the global RV past the informer's, forget history, drop the watch.
  cluster.create("configmaps", { metadata: { name: "bump", namespace: "default" } });
  cluster.faults.compact();
  cluster.faults.closeWatches({ resource: PODS });
  await converge(cluster, informer);
  assert.equal(informer.store.get(key)?.labels?.changed, "yes");
});

void test("half-open stall: a stalled watch is reconnected after stallTimeoutMs", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 10);
  const reasons: string[] = [];
  const informer = startInformer(t, client, {
    watchList: "off",
    stallTimeoutMs: 300,
    metrics: { watchEnded: ({ reason }) => void reasons.push(reason) },
  });
  await synced(informer, cluster);
  await until(() => cluster.openWatchCount(PODS) === 1);
  assert.equal(cluster.faults.stallWatches({ resource: PODS }), 1);
  cluster.create(PODS, { metadata: { name: "after-stall", namespace: "default" } });
  await converge(cluster, informer, 5000);
  assert.ok(reasons.includes("stalled"), reasons.join(","));
});

void test("half-open stall during a LIST: the list is abandoned after stallTimeoutMs and retried", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 50);
  cluster.faults.stallLists({ resource: PODS, count: 1 });
  const lists: { error?: unknown }[] = [];
  const informer = startInformer(t, client, {
    watchList: "off",
    stallTimeoutMs: 300,
    backoff: { initialMs: 10, maxMs: 20 },
    metrics: { listRequest: (info) => void lists.push(info) },
  });
  await synced(informer, cluster);
  assert.equal(informer.store.size, 50);
  assert.equal(lists.length, 2, "one stalled list, then one that worked");
  assert.equal(codeOf(lists[0]!.error), "LOOKOUT_WATCH_STALLED");
  assert.equal(lists[1]!.error, undefined);
});

void test("bookmarks advance lastSyncResourceVersion with no object change", async (t) => {
  const { cluster, client } = await startCluster(t, { bookmarkIntervalMs: 50 });
  cluster.load.seed(PODS, 5);
  const informer = startInformer(t, client, { watchList: "off" });
  await synced(informer, cluster);
  const before = informer.lastSyncResourceVersion;
  const events: string[] = [];
  informer.addEventHandler({
    onUpdate: () => void events.push("update"),
    onDelete: () => void events.push("delete"),
  });
  // Other resources move the global RV; pods do not change.
  cluster.create("configmaps", { metadata: { name: "cm", namespace: "default" } });
  const target = cluster.resourceVersion;
  await until(() => informer.lastSyncResourceVersion === target, 3000, "bookmark");
  assert.notEqual(before, target);
  assert.deepEqual(events, []);
  assert.equal(diff(simState(cluster), informerState(informer)), "");
});

void test("429 with Retry-After is honoured", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 5);
  cluster.faults.failRequests({
    status: 429,
    retryAfterSeconds: 1,
    count: 1,
    verb: "list",
    resource: PODS,
  });
  const started = Date.now();
  // Retry-After is capped at twice the backoff maximum: 1 s fits under 2 × 1 s.
  const informer = startInformer(t, client, {
    watchList: "off",
    backoff: { initialMs: 20, maxMs: 1000 },
  });
  await synced(informer, cluster);
  const took = Date.now() - started;
  assert.ok(took >= 950, `synced after ${took} ms`);
  const statuses = cluster.requests.filter((r) => !r.watch).map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 2), [429, 200]);
});

const webInNs0 = (o: { namespace: string; labels: Record<string, string> }): boolean =>
  o.namespace === "ns-0" && o.labels.tier === "web";

void test("label and field selectors limit the cache", async (t) => {
  const { cluster, client } = await startCluster(t);
  for (let i = 0; i < 40; i++) {
    cluster.create(PODS, {
      metadata: {
        name: `p${i}`,
        namespace: `ns-${i % 2}`,
        labels: { tier: i % 4 === 0 ? "web" : "db" },
      },
    });
  }
  const informer = startInformer(t, client, {
    labelSelector: "tier=web",
    fieldSelector: "metadata.namespace=ns-0",
  });
  await synced(informer, cluster);
  assert.equal(informer.store.size, 10);
  await converge(cluster, informer, 2000, webInNs0);
  cluster.patch(PODS, "ns-0", "p0", { metadata: { labels: { tier: "db" } } });
  cluster.create(PODS, { metadata: { name: "q", namespace: "ns-0", labels: { tier: "web" } } });
  await converge(cluster, informer, 5000, webInNs0);
});

void test("the factory shares one watch per spec and closes it with the last release", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 10);
  const timers = countingTimers();
  const factory = new InformerFactory({ client, backoff: { initialMs: 20, maxMs: 200 }, timers });
  t.after(() => factory.close());
  const a = factory.acquire({ resource: PODS });
  const b = factory.acquire({ resource: PODS });
  assert.equal(a.informer, b.informer);
  await a.informer.waitForSync(AbortSignal.timeout(20_000));
  await until(() => cluster.openWatchCount(PODS) === 1);
  const c = factory.acquire({ resource: PODS, namespace: "ns-1" });
  assert.notEqual(c.informer, a.informer);
  await c.informer.waitForSync(AbortSignal.timeout(20_000));
  await until(() => cluster.openWatchCount(PODS) === 2);
  await a.release();
  await a.release();
  await delay(50);
  assert.equal(cluster.openWatchCount(PODS), 2, "still held by b");
  await b.release();
  await until(() => cluster.openWatchCount(PODS) === 1);
  await factory.close();
  await until(() => cluster.openWatchCount(PODS) === 0);
  assert.throws(() => factory.acquire({ resource: PODS }), { code: "LOOKOUT_INFORMER_CLOSED" });
  assert.equal(timers.live, 0, "live timers after the factory closed");
});

void test("abort mid-list and close during start leave nothing running", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 10_000);
  const ac = new AbortController();
  const informer = startInformer(t, client, { watchList: "off", signal: ac.signal });
  await delay(20);
  ac.abort();
  await informer.close();
  assert.equal(informer.hasSynced(), false);
  const n = cluster.requests.length;
  await delay(100);
  assert.equal(cluster.requests.length, n, "no request after abort");
  const second = startInformer(t, client, { watchList: "off" });
  const closing = second.close();
  assert.equal(second.close(), closing);
  await closing;
  await assert.rejects(second.waitForSync(), { code: "LOOKOUT_INFORMER_CLOSED" });
  assert.equal(cluster.openWatchCount(PODS), 0);
});

void test("WatchList auto falls back to paged LIST when the server refuses streaming lists (422)", async (t) => {
  const { cluster, client } = await startCluster(t, { watchList: false });
  cluster.load.seed(PODS, 50);
  const informer = startInformer(t, client);
  await synced(informer, cluster);
  assert.equal(diff(simState(cluster), informerState(informer)), "");
  const refused = cluster.requests.filter((r) => r.watch && r.query.includes("sendInitialEvents"));
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.status, 422);
  cluster.faults.closeWatches({ resource: PODS });
  cluster.create(PODS, { metadata: { name: "after", namespace: "default" } });
  await converge(cluster, informer);
  const streamingTries = cluster.requests.filter((r) => r.query.includes("sendInitialEvents"));
  assert.equal(streamingTries.length, 1, "the fallback is remembered");
});

void test("the metrics hook sees lists, watches, events, cache size and queue depth", async (t) => {
  const { cluster, client } = await startCluster(t);
  cluster.load.seed(PODS, 30);
  const seen = {
    lists: [] as { pages: number; items: number; durationMs: number; error?: unknown }[],
    started: 0,
    ended: [] as string[],
    events: [] as string[],
    cached: [] as number[],
    depth: [] as number[],
    lastEvent: 0,
    restarts: [] as string[],
  };
  const informer = startInformer(t, client, {
    watchList: "off",
    metrics: {
      listRequest: (i) => void seen.lists.push(i),
      watchStarted: () => void seen.started++,
      watchEnded: (i) => void seen.ended.push(i.reason),
      event: (i) => void seen.events.push(i.type),
      objectsCached: (i) => void seen.cached.push(i.count),
      handlerQueueDepth: (i) => void seen.depth.push(i.depth),
      lastEventTime: (i) => void (seen.lastEvent = i.time),
      restart: (i) => void seen.restarts.push(i.reason),
    },
  });
  informer.addEventHandler({ onAdd: () => {} }, { name: "h" });
  await synced(informer, cluster);
  assert.deepEqual(seen.lists, [
    { resource: "v1/pods", pages: 1, items: 30, durationMs: seen.lists[0]!.durationMs },
  ]);
  assert.equal(seen.cached.at(-1), 30);
  assert.ok(seen.depth.includes(30));
  await until(() => seen.started === 1);
  cluster.create(PODS, { metadata: { name: "x", namespace: "default" } });
  await until(() => seen.events.includes("ADDED"));
  assert.ok(seen.lastEvent > 0);
  assert.equal(seen.cached.at(-1), 31);
  cluster.create("configmaps", { metadata: { name: "bump", namespace: "default" } });
  cluster.faults.compact();
  cluster.faults.closeWatches({ resource: PODS });
  await until(() => seen.restarts.includes("expired"), 5000, "expired restart");
  assert.ok(seen.ended.includes("closed"), seen.ended.join(","));
  await until(() => seen.started === seen.ended.length + 1 && seen.started >= 3, 5000, "re-watch");
  await informer.close();
  assert.ok(seen.ended.includes("aborted"), seen.ended.join(","));
  assert.equal(seen.started, seen.ended.length);
});

for (const watchList of ["off", "on"] as const) {
  void test(`relist() (watchList ${watchList}): a cache that missed events is repaired, and handlers get the differences`, async (t) => {
    const { cluster, client } = await startCluster(t);
    cluster.load.seed("pods", 30);
    const informer = startInformer(t, client, { watchList });
    await synced(informer, cluster);
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o, initial) => {
        if (!initial) seen.push(`add ${o.name}`);
      },
      onUpdate: (old, o) => {
        if (old.resourceVersion !== o.resourceVersion) seen.push(`update ${o.name}`);
      },
      onDelete: (o) => {
        seen.push(`delete ${"type" in o ? o.object.name : o.name}`);
      },
    });
    const [a, b] = cluster.list("pods");
    await until(() => cluster.openWatchCount(PODS) === 1, 5000, "the watch");
    // The watch loses the next three changes: the cache goes stale, ghosted and incomplete.
    cluster.faults.dropEvents({ count: 3, resource: PODS });
    cluster.patch("pods", a!.metadata.namespace!, a!.metadata.name!, {
      metadata: { labels: { x: "1" } },
    });
    cluster.delete("pods", b!.metadata.namespace!, b!.metadata.name!);
    cluster.create("pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "born", namespace: a!.metadata.namespace! },
    });
    await delay(200);
    assert.notEqual(diff(simState(cluster), informerState(informer)), "", "the cache missed them");
    informer.relist();
    await converge(cluster, informer);
    await until(() => seen.length >= 3, 5000);
    assert.deepEqual(
      seen.sort(),
      [`add born`, `delete ${b!.metadata.name}`, `update ${a!.metadata.name}`].sort(),
    );
  });
}
