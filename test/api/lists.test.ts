/**
 * The cache API's lists and gets against the simulated API server's own answers: several
 * selectors, all namespaces and one, single objects and 404s, the cache headers, HEAD.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { compositeSource } from "../../src/api/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  PODS,
  getJson,
  itemsOf,
  send,
  served,
  startApi,
  startFixture,
  startInformer,
  statusOf,
  synced,
  withoutManagedFields,
} from "./harness.ts";

after(assertNoActiveHandles);

const SELECTORS: { labelSelector?: string; fieldSelector?: string }[] = [
  {},
  { labelSelector: "app=checkout" },
  { labelSelector: "tier in (web),app!=payments" },
  { labelSelector: "app notin (checkout,catalog),tier" },
  { labelSelector: "!tier" },
  { fieldSelector: "metadata.namespace=ns-3" },
  { fieldSelector: "metadata.namespace!=ns-3,metadata.name!=x" },
  { fieldSelector: "spec.nodeName=node-7" },
  { fieldSelector: "status.phase=Running", labelSelector: "app=search" },
  { fieldSelector: "metadata.namespace=a" },
];

function query(s: { labelSelector?: string; fieldSelector?: string }): string {
  const q = new URLSearchParams();
  if (s.labelSelector !== undefined) q.set("labelSelector", s.labelSelector);
  if (s.fieldSelector !== undefined) q.set("fieldSelector", s.fieldSelector);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

void test("lists equal the simulated API server's for every selector, in all namespaces and in one", async (t) => {
  const f = await startFixture(t, 300);
  // Namespaces whose keys sort differently from (namespace, name) pairs: "a-b/…" < "a/…".
  for (const ns of ["a", "a-b"]) {
    for (const name of ["x", "y"]) {
      f.cluster.create(PODS, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: ns, labels: { app: "checkout", tier: "web" } },
        spec: { nodeName: "node-7" },
        status: { phase: "Running" },
      });
    }
  }
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  let compared = 0;
  for (const s of SELECTORS) {
    for (const path of [
      "/api/v1/pods",
      "/api/v1/namespaces/ns-3/pods",
      "/api/v1/namespaces/a/pods",
    ]) {
      const ours = path.replace("/api/v1/pods", "/api/v1/resources/pods");
      // oxlint-disable-next-line eslint/no-await-in-loop -- one comparison at a time
      const [mine, theirs] = await Promise.all([
        getJson(`${api.url}${ours}${query(s)}`),
        getJson(`${f.cluster.url}${path}${query(s)}`),
      ]);
      const want = itemsOf(theirs).map(withoutManagedFields);
      assert.deepEqual(itemsOf(mine), want, `${ours}${query(s)}`);
      assert.equal(mine["kind"], "PodList");
      assert.equal(mine["apiVersion"], "v1");
      assert.deepEqual(mine["metadata"], { resourceVersion: pods.lastSyncResourceVersion });
      compared += want.length;
    }
  }
  assert.ok(compared > 1000, `the selectors select something (${compared} items compared)`);
});

void test("a list follows changes in the cache, with the informer's resourceVersion in body and header", async (t) => {
  const f = await startFixture(t, 20);
  const pods = startInformer(f);
  await synced(pods);
  const verifiedAt = Date.UTC(2026, 0, 2, 3, 4, 5);
  const api = await startApi(f, {
    resources: [served(pods)],
    lastVerified: (r) =>
      r.resource === "pods" ? { resourceVersion: "7", at: verifiedAt } : undefined,
  });
  const victim = f.cluster.list(PODS, "ns-1")[0]!;
  // Asked before the change, twice: the second answer is the remembered one, byte for byte.
  const early = await send(`${api.url}/api/v1/namespaces/ns-1/pods`);
  const syncedBefore = Date.parse(String(early.headers["x-kube-lookout-synced-at"]));
  assert.equal(syncedBefore, pods.lastSyncTime, "the informer's last sync");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await send(`${api.url}/api/v1/namespaces/ns-1/pods`)).text, early.text);
  assert.ok(early.text.includes(`"name":"${victim.metadata.name!}"`));
  f.cluster.delete(PODS, "ns-1", victim.metadata.name!);
  const deadline = Date.now() + 10_000;
  while (pods.store.getByKey("ns-1", victim.metadata.name!) !== undefined) {
    assert.ok(Date.now() < deadline, "the informer sees the delete");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    await new Promise((r) => setTimeout(r, 10));
  }
  const a = await send(`${api.url}/api/v1/namespaces/ns-1/pods`);
  assert.equal(a.status, 200);
  const body: unknown = JSON.parse(a.text);
  assert.ok(typeof body === "object" && body !== null);
  const names = itemsOf({ ...body }).map((p) => p.metadata.name);
  assert.ok(!names.includes(victim.metadata.name), "the deleted pod is gone");
  assert.deepEqual(
    names,
    f.cluster.list(PODS, "ns-1").map((p) => p.metadata.name),
  );
  assert.equal(a.headers["x-kube-lookout-resource-version"], pods.lastSyncResourceVersion);
  assert.deepEqual(Reflect.get(body, "metadata"), {
    resourceVersion: pods.lastSyncResourceVersion,
  });
  // The watch event is news from the API server: the cache was in sync then.
  const syncedAt = Date.parse(String(a.headers["x-kube-lookout-synced-at"]));
  assert.ok(syncedAt > syncedBefore, `synced-at ${String(a.headers["x-kube-lookout-synced-at"])}`);
  assert.equal(syncedAt, pods.lastSyncTime);
  assert.equal(a.headers["x-kube-lookout-verified-at"], "2026-01-02T03:04:05.000Z");
  assert.equal(a.headers["x-kube-lookout-verified-resource-version"], "7");
  assert.equal(a.headers["content-type"], "application/json");
});

void test("one object, 404 Status for an absent one, an unknown resource or a path of no resource", async (t) => {
  const f = await startFixture(t, 30);
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  const want = f.cluster.list(PODS, "ns-2")[1]!;
  const name = want.metadata.name!;
  const one = await getJson(`${api.url}/api/v1/namespaces/ns-2/pods/${encodeURIComponent(name)}`);
  assert.deepEqual(one, withoutManagedFields(want));
  // The cached JSON text itself, not a re-serialization, in gets and lists.
  const cached = pods.store.getByKey("ns-2", name)!.json;
  const raw = await send(`${api.url}/api/v1/namespaces/ns-2/pods/${encodeURIComponent(name)}`);
  assert.equal(raw.text, cached);
  const listed = await send(`${api.url}/api/v1/namespaces/ns-2/pods`);
  assert.ok(listed.text.includes(cached), "the list holds the cached text verbatim");

  const missing = await send(`${api.url}/api/v1/namespaces/ns-2/pods/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.text), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'pods "nope" not found',
    reason: "NotFound",
    details: { name: "nope", kind: "pods" },
    code: 404,
  });
  for (const path of [
    "/api/v1/resources/widgets",
    "/api/v1/namespaces/ns-2/widgets",
    "/api/v1/resources/pods/x", // one namespaced object needs its namespace
    "/api/v1/namespaces/ns-2/pods/x/status",
    "/api/v2/resources/pods",
    "/api/v1/helm/findings", // no Helm checker configured
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one path at a time
    const a = await send(`${api.url}${path}`);
    assert.equal(a.status, 404, path);
    assert.deepEqual(statusOf(a), { kind: "Status", code: 404, reason: "NotFound" }, path);
  }
  const other = await send(`${api.url}/metrics`);
  assert.equal(other.status, 404, "paths outside the API are left to the host (here: 404)");
  const empty = await getJson(`${api.url}/api/v1/namespaces/no-such-ns/pods`);
  assert.deepEqual(empty["items"], []);
});

void test("HEAD answers the headers without a body; a given syncedAt is the header; /healthz is ok", async (t) => {
  const f = await startFixture(t, 10);
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  const head = await send(`${api.url}/api/v1/resources/pods`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  assert.equal(head.headers["x-kube-lookout-resource-version"], pods.lastSyncResourceVersion);
  const fed = await startApi(f, {
    resources: [{ ...served(pods), syncedAt: () => Date.UTC(2026, 4, 6, 7, 8, 9) }],
  });
  const fedHead = await send(`${fed.url}/api/v1/namespaces/ns-1/pods/absent`, { method: "HEAD" });
  assert.equal(fedHead.status, 404);
  assert.equal(fedHead.headers["x-kube-lookout-synced-at"], "2026-05-06T07:08:09.000Z");
  const health = await send(`${api.url}/healthz`);
  assert.deepEqual([health.status, health.text], [200, "ok"]);
});

/** `namespace/name@resourceVersion` of each item of the list at `url`. */
async function identities(url: string): Promise<string[]> {
  return itemsOf(await getJson(url)).map(
    (p) => `${p.metadata.namespace}/${p.metadata.name}@${p.metadata.resourceVersion}`,
  );
}

void test("remembered lists never outlive a change in the cache, whatever the body budget", async (t) => {
  const f = await startFixture(t, 600);
  const pods = startInformer(f);
  await synced(pods);
  const apis = await Promise.all(
    [0, 20_000, undefined].map((listCacheBytes) =>
      startApi(f, {
        resources: [served(pods)],
        ...(listCacheBytes === undefined ? {} : { listCacheBytes }),
      }),
    ),
  );
  const paths = [
    "/api/v1/resources/pods?labelSelector=app%3Dcatalog",
    "/api/v1/namespaces/ns-4/pods",
    "/api/v1/resources/pods",
  ];
  const want = async (path: string): Promise<string[]> =>
    identities(`${f.cluster.url}${path.replace("/resources/pods", "/pods")}`);
  for (let step = 0; step < 4; step++) {
    for (const api of apis) {
      for (const path of paths) {
        // oxlint-disable-next-line eslint/no-await-in-loop -- each answer checked in turn
        const [first, second, expected] = await Promise.all([
          identities(`${api.url}${path}`),
          identities(`${api.url}${path}`),
          want(path),
        ]);
        assert.deepEqual(first, expected, `step ${step} ${path}`);
        assert.deepEqual(second, expected, `step ${step} ${path} (repeated)`);
      }
    }
    // A change: one catalog pod in ns-4 relabelled, one deleted, one created.
    const catalog = f.cluster
      .list(PODS, "ns-4")
      .filter((p) => p.metadata.labels?.["app"] === "catalog");
    f.cluster.patch(PODS, "ns-4", catalog[0]!.metadata.name!, {
      metadata: { labels: { app: `moved-${step}` } },
    });
    f.cluster.delete(PODS, "ns-4", catalog[1]!.metadata.name!);
    f.cluster.create(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `new-${step}`, namespace: "ns-4", labels: { app: "catalog" } },
    });
    const rv = f.cluster.resourceVersion;
    const deadline = Date.now() + 10_000;
    while (pods.lastSyncResourceVersion !== rv) {
      assert.ok(Date.now() < deadline, "the informer catches up");
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
      await new Promise((r) => setTimeout(r, 5));
    }
  }
});

void test("a non-core resource under plural.group and a cluster-scoped one under /resources/{resource}/{name}", async (t) => {
  const f = await startFixture(t);
  const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
  const NODES = { group: "", version: "v1", resource: "nodes" };
  f.cluster.load.seed(DEPLOYMENTS, 40);
  f.cluster.load.seed(NODES, 12);
  const deployments = startInformer(f, DEPLOYMENTS);
  const nodes = startInformer(f, NODES);
  await Promise.all([synced(deployments), synced(nodes)]);
  const api = await startApi(f, {
    resources: [
      { resource: DEPLOYMENTS, kind: "Deployment", namespaced: true, informer: deployments },
      { resource: NODES, kind: "Node", namespaced: false, informer: nodes },
    ],
  });
  for (const [ours, theirs, kind, apiVersion] of [
    [
      "/api/v1/resources/deployments.apps",
      "/apis/apps/v1/deployments",
      "DeploymentList",
      "apps/v1",
    ],
    [
      "/api/v1/namespaces/ns-2/deployments.apps?labelSelector=app%3Dcatalog",
      "/apis/apps/v1/namespaces/ns-2/deployments?labelSelector=app%3Dcatalog",
      "DeploymentList",
      "apps/v1",
    ],
    ["/api/v1/resources/nodes", "/api/v1/nodes", "NodeList", "v1"],
  ] as const) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one comparison at a time
    const [mine, want] = await Promise.all([
      getJson(`${api.url}${ours}`),
      getJson(`${f.cluster.url}${theirs}`),
    ]);
    assert.deepEqual(itemsOf(mine), itemsOf(want).map(withoutManagedFields), ours);
    assert.ok(itemsOf(mine).length > 0, ours);
    assert.deepEqual([mine["kind"], mine["apiVersion"]], [kind, apiVersion]);
  }
  const node = f.cluster.list(NODES)[3]!;
  const one = await getJson(`${api.url}/api/v1/resources/nodes/${node.metadata.name!}`);
  assert.deepEqual(one, withoutManagedFields(node));
  const absent = await send(`${api.url}/api/v1/resources/deployments.apps/x`);
  assert.equal(absent.status, 404, "a namespaced object needs its namespace");
  const missing = await send(`${api.url}/api/v1/namespaces/ns-1/deployments.apps/nope`);
  assert.equal(JSON.parse(missing.text).message, 'deployments.apps "nope" not found');
  assert.equal((await send(`${api.url}/api/v1/namespaces/ns-1/nodes`)).status, 404);
  assert.equal(
    (await send(`${api.url}/api/v1/resources/deployments`)).status,
    404,
    "core-group name",
  );
});

void test("a relist that repairs the cache at the same resourceVersion ends remembered answers", async (t) => {
  const f = await startFixture(t, 50, { bookmarkIntervalMs: 50 });
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  const url = `${api.url}/api/v1/namespaces/ns-5/pods?labelSelector=tier%3Dfixed`;
  assert.deepEqual(itemsOf(await getJson(url)), []);
  // The watch misses a relabel; a bookmark then brings the cache to the server's RV anyway.
  const victim = f.cluster.list(PODS, "ns-5")[0]!;
  f.cluster.faults.dropEvents({ count: 1, resource: PODS });
  f.cluster.patch(PODS, "ns-5", victim.metadata.name!, { metadata: { labels: { tier: "fixed" } } });
  const rv = f.cluster.resourceVersion;
  const deadline = Date.now() + 10_000;
  while (pods.lastSyncResourceVersion !== rv) {
    assert.ok(Date.now() < deadline, "a bookmark brings the cache to the server's RV");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.notEqual(pods.store.getByKey("ns-5", victim.metadata.name!)?.labels?.["tier"], "fixed");
  assert.deepEqual(itemsOf(await getJson(url)), [], "the cache missed the change: nothing yet");
  pods.relist();
  while (pods.store.getByKey("ns-5", victim.metadata.name!)?.labels?.["tier"] !== "fixed") {
    assert.ok(Date.now() < deadline, "the relist repairs the cache");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(pods.lastSyncResourceVersion, rv, "the repair did not move the resourceVersion");
  await new Promise((r) => setImmediate(r)); // the handlers hear of the repair
  const names = itemsOf(await getJson(url)).map((p) => p.metadata.name);
  assert.deepEqual(names, [victim.metadata.name], "the repaired cache is served");
});

void test("several informers behind one resource: synced-at is the oldest of their last syncs", async (t) => {
  const f = await startFixture(t, 20);
  const [one, two] = ["ns-1", "ns-2"].map((namespace) => {
    const informer = new Informer({ client: f.kube, resource: PODS, namespace });
    f.closers.push(() => informer.close());
    void informer.start();
    return informer;
  });
  await Promise.all([synced(one!), synced(two!)]);
  const api = await startApi(f, {
    resources: [{ ...served(one!), informer: compositeSource([one!, two!]) }],
  });
  const oldest = (): number => Math.min(one!.lastSyncTime!, two!.lastSyncTime!);
  const before = await send(`${api.url}/api/v1/resources/pods`);
  assert.equal(Date.parse(String(before.headers["x-kube-lookout-synced-at"])), oldest());
  // News on one member only: the whole is known in sync as of the other's time.
  await new Promise((r) => setTimeout(r, 5));
  const stale = one!.lastSyncTime!;
  const victim = f.cluster.list(PODS, "ns-2")[0]!;
  f.cluster.delete(PODS, "ns-2", victim.metadata.name!);
  const deadline = Date.now() + 10_000;
  while (two!.store.getByKey("ns-2", victim.metadata.name!) !== undefined) {
    assert.ok(Date.now() < deadline, "the informer sees the delete");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(two!.lastSyncTime! > stale);
  const after2 = await send(`${api.url}/api/v1/resources/pods`);
  assert.equal(Date.parse(String(after2.headers["x-kube-lookout-synced-at"])), stale);
  // A member that has not synced (a namespace selected later, perhaps forbidden) leaves the
  // composite unsynced but answering, from the members that have.
  const later = new Informer({ client: f.kube, resource: PODS, namespace: "ns-3" });
  f.closers.push(() => later.close());
  const partial = compositeSource([one!, later]);
  assert.deepEqual([partial.hasSynced(), partial.canAnswer?.()], [false, true]);
  const partialApi = await startApi(f, { resources: [{ ...served(one!), informer: partial }] });
  const answer = await send(`${partialApi.url}/api/v1/resources/pods`);
  assert.equal(answer.status, 200);
  assert.equal(itemsOf(JSON.parse(answer.text)).length, f.cluster.list(PODS, "ns-1").length);
});
