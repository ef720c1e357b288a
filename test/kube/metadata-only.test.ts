/**
 * `KubeClient.withMetadataOnly()`: the Accept headers it sends, decoding of PartialObjectMetadata
 * lists and watches against the simulator, and an Informer fed by it end to end.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient, type RawObject, type WatchEvent } from "../../src/kube/index.ts";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/sim/index.ts";
import { POD_RESOURCE, assertNoActiveHandles, startServer } from "./http-server.ts";

after(assertNoActiveHandles);

const SECRETS = { group: "", version: "v1", resource: "secrets" } as const;
const LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const WATCH_ACCEPT =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
const PAYLOAD = Buffer.from("release-payload-".repeat(500)).toString("base64");

async function until(ready: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling, by design
    await sleep(5);
  }
}

function secret(name: string, namespace: string, labels: Record<string, string>) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels },
    type: "helm.sh/release.v1",
    data: { release: PAYLOAD },
  };
}

async function startSim(t: { after(fn: () => unknown): void }): Promise<SimulatedCluster> {
  const sim = await startSimulatedCluster({ host: "127.0.0.1", port: 0 });
  t.after(() => sim.close());
  return sim;
}

function assertMetadataOnly(o: RawObject, sim: SimulatedCluster): void {
  const parsed: unknown = JSON.parse(o.json);
  assert.ok(typeof parsed === "object" && parsed !== null);
  assert.deepEqual(Object.keys(parsed).sort(), ["apiVersion", "kind", "metadata"], o.json);
  assert.equal(o.object.kind, "PartialObjectMetadata");
  assert.equal(o.object.apiVersion, "meta.k8s.io/v1");
  assert.ok(!o.json.includes(PAYLOAD.slice(0, 40)), "no release payload");
  const full = sim.get("secrets", o.namespace, o.name);
  assert.ok(full !== undefined, `${o.namespace}/${o.name} exists`);
  assert.equal(o.uid, full.metadata.uid);
  assert.equal(o.resourceVersion, full.metadata.resourceVersion);
  assert.deepEqual(o.labels, full.metadata.labels);
}

void test("withMetadataOnly sends the metadata Accept headers with a JSON fallback; the client itself does not", async (t) => {
  const server = await startServer(t, (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    if ((req.url ?? "").includes("watch=")) {
      res.end(
        '{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"d","uid":"u","resourceVersion":"2"},"spec":{}}}\n',
      );
    } else {
      // A server without the transformation answers whole objects (the fallback).
      res.end(
        '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"p","namespace":"d","uid":"u","resourceVersion":"1"},"spec":{}}]}',
      );
    }
  });
  const client = new KubeClient({ server: server.url, headers: { "X-Extra": "1" } });
  t.after(() => client.close());
  const meta = client.withMetadataOnly();
  assert.equal(client.withMetadataOnly(), meta, "one view per client");

  const page = await meta.list(POD_RESOURCE, { namespace: "d", labelSelector: "owner=helm" });
  assert.deepEqual(
    page.items.map((o) => `${o.namespace}/${o.name}@${o.resourceVersion}`),
    ["d/p@1"],
  );
  const events: WatchEvent[] = [];
  for await (const ev of meta.watch(POD_RESOURCE, { resourceVersion: "1" })) events.push(ev);
  assert.equal(events.length, 1);
  await client.list(POD_RESOURCE, {});

  const seen = server.requests.map((r) => [r.url, r.headers.accept, r.headers["x-extra"]]);
  assert.deepEqual(seen, [
    ["/api/v1/namespaces/d/pods?labelSelector=owner%3Dhelm", LIST_ACCEPT, "1"],
    ["/api/v1/pods?watch=1&resourceVersion=1", WATCH_ACCEPT, "1"],
    ["/api/v1/pods", "application/json", "1"],
  ]);
});

void test("withMetadataOnly: paged list and watch of PartialObjectMetadata against the simulator", async (t) => {
  const sim = await startSim(t);
  for (let i = 0; i < 25; i++) {
    const labels: Record<string, string> = i % 2 === 0 ? { owner: "helm" } : { owner: "other" };
    sim.create("secrets", secret(`s${String(i).padStart(2, "0")}`, `ns${i % 3}`, labels));
  }
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  const meta = client.withMetadataOnly();

  const items: RawObject[] = [];
  let token: string | undefined;
  let rv = "";
  do {
    // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential
    const page = await meta.list(SECRETS, {
      limit: 4,
      labelSelector: "owner=helm",
      ...(token === undefined ? {} : { continue: token }),
    });
    rv ||= page.resourceVersion;
    token = page.continue;
    items.push(...page.items);
  } while (token !== undefined);
  assert.equal(items.length, 13);
  for (const o of items) assertMetadataOnly(o, sim);

  const events: WatchEvent[] = [];
  const ac = new AbortController();
  t.after(() => ac.abort());
  const watching = (async () => {
    for await (const ev of meta.watch(
      SECRETS,
      { resourceVersion: rv, labelSelector: "owner=helm" },
      ac.signal,
    )) {
      events.push(ev);
      if (ev.type === "DELETED") return;
    }
  })();
  await until(() => sim.openWatchCount("secrets") === 1, "the watch");
  sim.patch("secrets", "ns0", "s00", { metadata: { annotations: { a: "1" } } });
  const last = sim.get("secrets", "ns0", "s00")!;
  sim.delete("secrets", "ns0", "s00");
  await watching;
  assert.deepEqual(
    events.map(
      (e) => `${e.type} ${e.type === "BOOKMARK" || e.type === "ERROR" ? "" : e.object.name}`,
    ),
    ["MODIFIED s00", "DELETED s00"],
  );
  const [mod, del] = events;
  assert.ok(mod?.type === "MODIFIED" && del?.type === "DELETED");
  assert.equal(mod.object.resourceVersion, last.metadata.resourceVersion);
  assert.equal(mod.object.object.kind, "PartialObjectMetadata");
  assert.deepEqual(mod.object.object.metadata.annotations, { a: "1" });
  assert.equal(del.object.object.kind, "PartialObjectMetadata");
  assert.equal(del.object.uid, last.metadata.uid);
  assert.ok(!del.object.json.includes('"data"'));
});

void test("withMetadataOnly fails like the client once it is closed", async (t) => {
  const sim = await startSim(t);
  const client = new KubeClient({ server: sim.url });
  const meta = client.withMetadataOnly();
  client.close();
  await assert.rejects(meta.list(SECRETS, {}), { code: "LOOKOUT_KUBE_CLOSED" });
  await assert.rejects(
    (async () => {
      for await (const _ of meta.watch(SECRETS, {})) break;
    })(),
    { code: "LOOKOUT_KUBE_CLOSED" },
  );
});

for (const watchList of ["off", "on"] as const) {
  void test(`Informer over withMetadataOnly(), labelSelector owner=helm (watchList ${watchList})`, async (t) => {
    const sim = await startSim(t);
    sim.create("secrets", secret("rel-a.v1", "apps", { owner: "helm", name: "rel-a" }));
    sim.create("secrets", secret("rel-b.v1", "apps", { owner: "helm", name: "rel-b" }));
    sim.create("secrets", secret("token", "apps", { app: "x" }));
    sim.create("configmaps", {
      metadata: { name: "cm", namespace: "apps", labels: { owner: "helm" } },
      data: { k: "v" },
    });
    const client = new KubeClient({ server: sim.url });
    t.after(() => client.close());
    const informer = new Informer({
      client: client.withMetadataOnly(),
      resource: SECRETS,
      labelSelector: "owner=helm",
      watchList,
    });
    t.after(() => informer.close());
    void informer.start();
    await informer.waitForSync(AbortSignal.timeout(10_000));

    const keys = () => informer.store.keys().sort();
    assert.deepEqual(keys(), ["apps/rel-a.v1", "apps/rel-b.v1"]);
    for (const o of informer.store.list()) assertMetadataOnly(o, sim);

    sim.create("secrets", secret("rel-a.v2", "apps", { owner: "helm", name: "rel-a" }));
    sim.patch("secrets", "apps", "token", { metadata: { labels: { owner: "helm" } } });
    sim.delete("secrets", "apps", "rel-b.v1");
    await until(
      () => keys().join(",") === "apps/rel-a.v1,apps/rel-a.v2,apps/token",
      `store to follow the changes (has ${keys().join(",")})`,
    );
    for (const o of informer.store.list()) assertMetadataOnly(o, sim);
    const streamed = sim.requests.some(
      (r) => r.watch && r.query.includes("sendInitialEvents=true"),
    );
    const listed = sim.requests.some((r) => !r.watch && r.path.endsWith("/secrets"));
    assert.deepEqual(
      { streamed, listed },
      { streamed: watchList === "on", listed: watchList === "off" },
    );
  });
}
