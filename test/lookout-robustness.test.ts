/**
 * The composition root under the conditions a review found it failing: an events-only watch
 * that syncs late (startup must not spin), leadership lost and regained while the leader's work
 * is still starting, a reconfiguration the informers refuse (rolled back), a changed watch with
 * a delete still pending (recorded once), readiness that stays once reached, the leader's work
 * started again when its start failed, and a replica that stepped down before its first Helm
 * scan finished becoming ready as a follower.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLookout, type WatchedResource } from "../src/lookout.ts";
import { CONFIGMAPS, SECRETS } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, until } from "./support/lookout-setup.ts";

after(assertNoActiveHandles);

const HELM_PENDING = "the first Helm scan has not finished";
/** Leader election that steps down 400 ms after the Lease stops being renewable. */
const FAST_ELECTION = {
  namespace: "kube-system",
  name: "kl",
  identity: "me",
  leaseDurationMs: 600,
  renewDeadlineMs: 400,
  retryPeriodMs: 100,
};

/** Resolves when `ready` does; fails the test after `ms`. */
async function readyWithin(ready: Promise<void>, ms: number, what: string): Promise<void> {
  const guard = new AbortController();
  try {
    await Promise.race([
      ready,
      sleep(ms, undefined, { signal: guard.signal }).then(() => assert.fail(what)),
    ]);
  } finally {
    guard.abort();
  }
}

/** Polls `/readyz` at `url` until `done` (status, JSON text of the body); fails after 15 s. */
async function untilReadyz(
  url: string | undefined,
  what: string,
  done: (status: number, body: string) => boolean,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let body = ""; ;) {
    assert.ok(Date.now() < deadline, `${what}: /readyz answered ${body}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling /readyz
    const res = await fetch(`${url}/readyz`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling /readyz
    body = JSON.stringify(await res.json());
    if (done(res.status, body)) return;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling /readyz
    await sleep(20);
  }
}

const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" } as const;

void test("an events-only watch that syncs after the cached one: ready comes, the event loop keeps turning", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  sim.load.seed(SECRETS, 3000, (i) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `s${i}`, namespace: "a" },
    data: { k: "dg==" },
  }));
  // The events-only watch syncs well after the cached one (its first requests fail and are
  // retried after a backoff): the wait for it must leave the event loop free.
  sim.faults.failRequests({ resource: SECRETS, status: 500, count: 2 });
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    helm: false,
    resources: [
      { resource: CONFIGMAPS, kind: "ConfigMap" },
      { resource: SECRETS, kind: "Secret", cache: false },
    ],
  });
  t.after(() => lookout.close());
  let ticks = 0;
  const timer = setInterval(() => void ticks++, 20);
  t.after(() => clearInterval(timer));
  await lookout.start();
  await readyWithin(lookout.ready, 20_000, "not ready within 20 s");
  // Ready (the cached watch synced) while the events-only watch still retries: timers run.
  await sleep(100);
  assert.ok(ticks > 0, "timers ran while the events-only watch was syncing");
});

void test("leadership lost and regained while the leader's work starts: one term runs, nothing orphaned", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  const s = store();
  const forbid = sim.faults.forbid({ resource: CONFIGMAPS });
  const lookout = createLookout({
    client,
    store: s,
    cluster: "t",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: false,
    events: {
      nats: { servers: ["nats://127.0.0.1:1"] },
      prefix: "kl",
      mode: "core",
      batchDelayMs: 10,
    },
    leaderElection: FAST_ELECTION,
    flushTimeoutMs: 0,
  });
  t.after(() => lookout.close());
  await lookout.start();
  await until("leading", () => lookout.events !== undefined);
  const first = lookout.events!;
  sim.faults.failRequests({ status: 500, count: 8, resource: LEASES });
  await until("a second term", () => lookout.events !== undefined && lookout.events !== first);
  const second = lookout.events!;
  forbid.remove();
  await lookout.ready;
  assert.equal(lookout.leading, true);
  assert.equal(lookout.events, second, "the second term's pipeline stays");
  assert.throws(() => first.addResource({ resource: CONFIGMAPS, kind: "ConfigMap" }), {
    code: "LOOKOUT_EVENTS_CLOSED",
  });
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "late", namespace: "a" },
  });
  await until("the new ConfigMap recorded once", () => s.outbox.stats().rows >= 1);
  await sleep(300);
  assert.equal(s.outbox.stats().rows, 1, "recorded by one pipeline, once");
  await lookout.close();
  assert.throws(() => second.addResource({ resource: CONFIGMAPS, kind: "ConfigMap" }), {
    code: "LOOKOUT_EVENTS_CLOSED",
  });
});

void test("a reconfiguration the informers refuse is rolled back: the old watches run, the error names it", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  const configmaps: WatchedResource = { resource: CONFIGMAPS, kind: "ConfigMap" };
  const secrets: WatchedResource = { resource: SECRETS, kind: "Secret" };
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    resources: [configmaps, secrets],
    helm: false,
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  // A resource id the informer refuses (checkResources does not look into it): rolled back.
  const pods: WatchedResource = {
    resource: { group: "", version: "", resource: "pods" },
    kind: "Pod",
  };
  await assert.rejects(lookout.updateResources([configmaps, pods]), {
    code: "LOOKOUT_INVALID_RESOURCES",
  });
  // A bad page size is refused before anything is tried.
  await assert.rejects(lookout.updateResources([configmaps, { ...secrets, pageSize: 0 }]), {
    code: "LOOKOUT_INVALID_RESOURCES",
    message: /pageSize: expected an integer/,
  });
  assert.deepEqual(
    lookout.resources.map((r) => r.resource.resource),
    ["configmaps", "secrets"],
  );
  assert.equal(sim.openWatchCount(SECRETS), 1);
  assert.equal(sim.openWatchCount("pods"), 0);
  assert.equal((await fetch(`${lookout.url}/api/v1/resources/secrets`)).status, 200);
  assert.deepEqual(await lookout.updateResources([configmaps]), {
    started: 0,
    stopped: 1,
    kept: 1,
  });
  await until("the secrets watch closed", () => sim.openWatchCount(SECRETS) === 0);
});

void test("readiness stays once reached: a namespace selected later that cannot be listed does not take the replica out", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "a", labels: { team: "x" } },
  });
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    helm: false,
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap", namespaceSelector: "team=x" }],
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  assert.equal((await fetch(`${lookout.url}/readyz`)).status, 200);
  sim.faults.forbid({ resource: CONFIGMAPS, namespace: "c" });
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "c", labels: { team: "x" } },
  });
  await until("a watch in c", () => sim.openWatchCount(CONFIGMAPS) >= 1);
  await sleep(500);
  assert.equal((await fetch(`${lookout.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${lookout.url}/api/v1/namespaces/a/configmaps`)).status, 200);
  // The running selector still follows namespaces: a new one labelled team=x gets its watch.
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "b", labels: { team: "x" } },
  });
  await until("a watch in the new namespace", () => sim.openWatchCount(CONFIGMAPS) === 2, 5_000);
});

void test("a refused reconfiguration leaves namespace selectors as they were", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "a", labels: { team: "x" } },
  });
  const byLabel: WatchedResource = {
    resource: CONFIGMAPS,
    kind: "ConfigMap",
    namespaceSelector: "team=x",
  };
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    resources: [byLabel],
    helm: false,
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  assert.equal(sim.openWatchCount("namespaces"), 1);
  assert.equal(sim.openWatchCount(CONFIGMAPS), 1);
  const refused: WatchedResource = {
    resource: { group: "", version: "", resource: "secrets" },
    kind: "Secret",
  };
  await assert.rejects(
    lookout.updateResources([refused, { ...byLabel, namespaceSelector: "team=z" }]),
    {
      code: "LOOKOUT_INVALID_RESOURCES",
    },
  );
  await sleep(300);
  assert.equal(sim.openWatchCount("namespaces"), 1, "the running selector's watcher only");
  assert.equal(sim.openWatchCount(CONFIGMAPS), 1, "the selected namespace's watch stays");
  assert.equal((await fetch(`${lookout.url}/api/v1/namespaces/a/configmaps`)).status, 200);
  // The running selector still follows namespaces: a new one labelled team=x gets its watch.
  sim.create("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "b", labels: { team: "x" } },
  });
  await until("a watch in the new namespace", () => sim.openWatchCount(CONFIGMAPS) === 2, 5_000);
});

void test("the leader's work whose start failed starts again after a pause: /readyz says why meanwhile, then ready comes", async (t) => {
  const { client, store, dir } = await lookoutSetup(t);
  // The extra rows' folder is not there yet (a volume mounted late): the checker cannot start.
  const folder = join(dir, "rows");
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: { maxThreads: 1, extraRowsFile: join(folder, "extra.yaml") },
  });
  t.after(() => lookout.close());
  await lookout.start();
  const first = lookout.helm;
  assert.ok(first !== undefined);
  await untilReadyz(lookout.url, "no start failure in /readyz", (status, body) => {
    assert.equal(status, 503);
    return body.includes("the leader's work did not start");
  });
  assert.equal(lookout.leading, true, "still leading while it waits to start again");

  await mkdir(folder);
  await writeFile(join(folder, "extra.yaml"), "[]\n");
  await readyWithin(lookout.ready, 20_000, "not ready within 20 s of the folder appearing");
  const second = lookout.helm;
  assert.ok(second !== undefined && second !== first, "a new term with its own checker");
  assert.equal(second.status().ready, true);
  await assert.rejects(first.start(), { code: "LOOKOUT_HELM_CHECKER_CLOSED" });
  const res = await fetch(`${lookout.url}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ready: true, reasons: [] });
});

void test("leadership lost before the first Helm scan finished: the follower becomes ready", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  // Helm's discovery lists stall: the leader's first scan cannot finish. The ConfigMap list is
  // answered late, so this instance leads before its cache has synced.
  sim.faults.stallLists({ resource: SECRETS, count: 1_000 });
  sim.faults.failRequests({ status: 429, retryAfterSeconds: 1, resource: CONFIGMAPS });
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: { maxThreads: 1 },
    leaderElection: FAST_ELECTION,
    flushTimeoutMs: 0,
  });
  t.after(() => lookout.close());
  let ready = false;
  void lookout.ready.then(
    () => (ready = true),
    () => undefined, // closed first
  );
  await lookout.start();
  await until("leading", () => lookout.leading);
  // Only the scan is missing now.
  const pending = JSON.stringify({ ready: false, reasons: [HELM_PENDING] });
  await untilReadyz(lookout.url, "the cache did not sync", (_status, body) => body === pending);
  await sleep(500);
  assert.equal(lookout.helm?.status().ready, false, "the first scan is stuck");
  assert.equal(ready, false, "a leader is ready after its first scan");
  // The Lease cannot be renewed any more: this instance steps down and stays a follower.
  sim.faults.failRequests({ status: 500, count: 1_000_000, resource: LEASES });
  await until("following", () => !lookout.leading);
  await readyWithin(lookout.ready, 10_000, "the follower is not ready within 10 s");
  assert.equal((await fetch(`${lookout.url}/readyz`)).status, 200);
});

void test("the leader's work that cannot even be built is not ready: /readyz names the error, the build is retried", async (t) => {
  const { client, store } = await lookoutSetup(t);
  // The Helm checker refuses this option in its constructor: the term cannot be built.
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: { maxThreads: 1, versionIntervalMs: 500 },
  });
  t.after(() => lookout.close());
  await lookout.start();
  let settled = false;
  void lookout.ready.then(
    () => (settled = true),
    () => undefined, // closed first: LOOKOUT_CLOSED
  );
  await untilReadyz(lookout.url, "no start failure in /readyz", (status, body) => {
    assert.equal(status, 503);
    return body.includes("the leader's work did not start") && body.includes("versionIntervalMs");
  });
  // Past the first retry (1 s): still not ready, still the error, still leading.
  await sleep(1500);
  const res = await fetch(`${lookout.url}/readyz`);
  assert.equal(res.status, 503);
  assert.match(JSON.stringify(await res.json()), /versionIntervalMs/);
  assert.equal(settled, false, "ready must wait for the leader's work");
  assert.equal(lookout.helm, undefined);
  assert.equal(lookout.leading, false, "no term runs");
});
