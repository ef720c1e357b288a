/**
 * Live reconfiguration of an embedded kube-lookout under churn, against the simulator and a
 * real nats-server: only the watches whose configuration changed restart (counted on the
 * simulator's open watch connections), the unchanged resource loses and repeats no event, the
 * new selection gets its events, a bad list is refused without effect, namespaces follow a
 * label selector, and dropped fields never reach the cache.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLookout, type WatchedResource } from "../src/lookout.ts";
import { definePlugin } from "../src/plugins/index.ts";
import {
  CONFIGMAPS,
  SECRETS,
  churn,
  readStream,
  seeded,
  waitForStream,
  type MadeChange,
} from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, natsForEvents, until } from "./support/lookout-setup.ts";

after(assertNoActiveHandles);

const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** Each object's changes in order: `key → ["added 12", "modified 15", ...]`. */
function perObject(
  changes: readonly { type: string; key: string; resourceVersion: string }[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of changes) (out[c.key] ??= []).push(`${c.type} ${c.resourceVersion}`);
  return out;
}

function secretsIn(namespace: string): WatchedResource {
  return { resource: SECRETS, kind: "Secret", namespace };
}

/** Watched the whole time: ConfigMaps everywhere, Secrets in a. */
function watchedAll(m: { key: string }): boolean {
  return m.key.startsWith("configmaps/") || m.key.startsWith("secrets/a/");
}

async function itemsOf(url: string): Promise<unknown[]> {
  const res = await fetch(url);
  if (res.status !== 200) return [];
  const body: unknown = await res.json();
  const items: unknown = Reflect.get(Object(body), "items");
  return Array.isArray(items) ? items : [];
}

void test("reconfiguration under churn: changed watches restart, unchanged ones keep every event, bad lists change nothing", async (t) => {
  const seed = Number(process.env["SEED"] ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const rand = seeded(seed);
  const { sim, client, store: open } = await lookoutSetup(t);
  const { nats, events } = await natsForEvents(t);
  const store = open();
  for (const ns of ["a", "b"]) {
    sim.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }

  const configmaps: WatchedResource = { resource: CONFIGMAPS, kind: "ConfigMap" };
  const lookout = createLookout({
    client,
    store,
    cluster: "test",
    resources: [configmaps, secretsIn("a")],
    helm: false,
    events,
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  assert.equal(sim.openWatchCount(CONFIGMAPS), 1);
  assert.equal(sim.openWatchCount(SECRETS), 1);

  // Churn ConfigMaps and Secrets in a and b while the watch list changes underneath.
  const made: MadeChange[] = [];
  const stopChurn = new AbortController();
  const churning = (async () => {
    while (!stopChurn.signal.aborted) {
      made.push(...churn(sim, rand, 3));
      // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
      await sleep(5);
    }
  })();

  await sleep(150);
  // 1. Secrets: a → a and b. ConfigMaps unchanged.
  const first = await lookout.updateResources([configmaps, secretsIn("a"), secretsIn("b")]);
  assert.deepEqual(first, { started: 1, stopped: 0, kept: 2 });
  await until("two secret watches", () => sim.openWatchCount(SECRETS) === 2);
  await sleep(150);

  // 2. A bad list (two event feeds of ConfigMaps that overlap) is refused; nothing changes.
  await assert.rejects(
    lookout.updateResources([configmaps, { ...configmaps, namespace: "a" }, secretsIn("a")]),
    { code: "LOOKOUT_INVALID_RESOURCES" },
  );
  assert.equal(lookout.resources.length, 3);

  // 3. Pods in namespaces labelled team=x (none yet), with spec dropped; Secrets back to a.
  const podsByLabel: WatchedResource = {
    resource: PODS,
    kind: "Pod",
    namespaceSelector: "team=x",
    dropFields: ["/spec"],
    events: false,
  };
  const third = await lookout.updateResources([configmaps, secretsIn("a"), podsByLabel]);
  assert.deepEqual(third, { started: 0, stopped: 1, kept: 2 });
  await sleep(150);
  stopChurn.abort();
  await churning;

  await until("one secret watch", () => sim.openWatchCount(SECRETS) === 1);
  assert.equal(sim.openWatchCount(CONFIGMAPS), 1, "the unchanged watch was never doubled");
  assert.equal(sim.openWatchCount(PODS), 0, "no namespace selected yet");

  // Every ConfigMap change, exactly once and in order per object: the unchanged watch lost
  // and repeated nothing while the others were replaced.
  // Secrets in a were watched throughout too (b came and went beside them): the same holds.
  const wanted = made.filter(watchedAll);
  const deadline = Date.now() + 20_000;
  let seen: { type: string; key: string; resourceVersion: string }[] = [];
  while (Date.now() < deadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    seen = (await readStream(nats.url)).filter(watchedAll);
    if (seen.length >= wanted.length) break;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    await sleep(100);
  }
  // Order is kept per object (not across objects): compare each object's sequence.
  assert.deepEqual(perObject(seen), perObject(wanted), `seed ${seed}`);

  // The new selection got events: a Secret created in b now is not published (b left the
  // selection); one in a is.
  const before = (await readStream(nats.url)).length;
  sim.create(SECRETS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "late", namespace: "b" },
  });
  sim.create(SECRETS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "late", namespace: "a" },
  });
  await waitForStream(nats.url, before + 1);
  await sleep(300);
  const tail = (await readStream(nats.url)).slice(before);
  assert.deepEqual(
    tail.map((m) => `${m.type} ${m.key}`),
    ["added secrets/a/late"],
  );

  // Namespaces by label: x appears with team=x → a pod watch there; relabelled → it stops.
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "x", labels: { team: "x" } },
  });
  sim.create(PODS, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "x" },
    spec: { containers: [{ name: "c", image: "nginx" }] },
  });
  await until("a pod watch in x", () => sim.openWatchCount(PODS) === 1);
  let pods: unknown[] = [];
  const podDeadline = Date.now() + 10_000;
  while (pods.length !== 1 && Date.now() < podDeadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    pods = await itemsOf(`${lookout.url}/api/v1/namespaces/x/pods`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    if (pods.length !== 1) await sleep(50);
  }
  assert.equal(pods.length, 1, "the pod in the selected namespace is served");
  assert.equal(Reflect.get(Object(pods[0]), "spec"), undefined, "dropFields removed spec");
  assert.equal(Reflect.get(Reflect.get(Object(pods[0]), "metadata"), "name"), "web");

  const ns = sim.get("namespaces", "", "x")!;
  sim.update("namespaces", { ...ns, metadata: { ...ns.metadata, labels: { team: "y" } } });
  await until("the pod watch stopped", () => sim.openWatchCount(PODS) === 0);
  assert.deepEqual(await itemsOf(`${lookout.url}/api/v1/namespaces/x/pods`), []);

  await lookout.close();
  await until("no watch left", () => sim.openWatchCount() === 0);
});

void test("the cache API says when watch-verify last verified a cache (headers), on the leader", async (t) => {
  const { sim, client, store: open } = await lookoutSetup(t);
  const store = open();
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
  });
  const lookout = createLookout({
    client,
    store,
    cluster: "test",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: false,
    plugins: [{ plugin: "watch-verify", config: { intervalSeconds: 0.1 } }],
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  let verifiedAt: string | null = null;
  let verifiedRv: string | null = null;
  for (let i = 0; i < 100 && verifiedAt === null; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    const res = await fetch(`${lookout.url}/api/v1/resources/configmaps`);
    verifiedAt = res.headers.get("x-kube-lookout-verified-at");
    verifiedRv = res.headers.get("x-kube-lookout-verified-resource-version");
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    await res.arrayBuffer();
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    if (verifiedAt === null) await sleep(50);
  }
  assert.ok(verifiedAt !== null, "a verified-at header once a round has run");
  assert.ok(Math.abs(Date.parse(verifiedAt) - Date.now()) < 60_000, verifiedAt);
  assert.match(verifiedRv ?? "", /^\d+$/);
});

void test("plugins see the watched resources that feed metrics, not the others", async (t) => {
  const { client, store: open } = await lookoutSetup(t);
  const seen: string[] = [];
  const recorder = definePlugin({
    name: "records-resources",
    start(ctx) {
      for (const r of ctx.resources) seen.push(`${r.resource.resource}:${r.namespace ?? "*"}`);
      return Promise.resolve();
    },
  });
  const lookout = createLookout({
    client,
    store: open(),
    cluster: "test",
    resources: [
      { resource: CONFIGMAPS, kind: "ConfigMap" },
      { resource: SECRETS, kind: "Secret", namespace: "a", metrics: false },
    ],
    helm: false,
    plugins: [{ plugin: recorder }],
  });
  t.after(() => lookout.close());
  await lookout.start();
  await until("the plugin started", () => seen.length > 0);
  assert.deepEqual(seen, ["configmaps:*"]);
});
