/**
 * Two kube-lookouts embedded in one process, against the simulator and a real nats-server:
 * both serve their caches, one leads (checks Helm, publishes events; the follower's Helm paths
 * answer 503), and the other takes over when the leader closes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/index.ts";
import { createLookout, type Lookout } from "../src/lookout.ts";
import { startSimulatedCluster } from "../src/sim/index.ts";
import { openStore } from "../src/store/index.ts";
import { readStream, waitForStream, STREAM } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { startNatsServer } from "./support/nats-server.ts";

after(assertNoActiveHandles);

const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" } as const;

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(25);
  }
}

/** The cache API serves the one ConfigMap and /readyz says ready. */
async function served(l: Lookout): Promise<void> {
  const res = await fetch(`${l.url}/api/v1/namespaces/a/configmaps`);
  assert.equal(res.status, 200);
  const list: unknown = await res.json();
  const items: unknown = Reflect.get(Object(list), "items");
  assert.ok(Array.isArray(items) && items.length === 1);
  assert.equal((await fetch(`${l.url}/readyz`)).status, 200);
}

void test("two instances in one process: both serve their caches, one leads, the other takes over", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-lookout-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "first", namespace: "a" },
    data: { x: "1" },
  });

  const instance = (id: string): Lookout => {
    const store = openStore({ path: join(dir, `${id}.db`) });
    t.after(() => store.close());
    const lookout = createLookout({
      client,
      store,
      cluster: "test",
      resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
      helm: { maxThreads: 1 },
      events: {
        nats: { servers: [nats.url], retryInitialMs: 100, retryMaxMs: 500 },
        prefix: "kl",
        stream: {
          name: STREAM,
          maxAgeMs: 3_600_000,
          maxBytes: 1024 ** 3,
          duplicateWindowMs: 600_000,
        },
        batchDelayMs: 10,
      },
      leaderElection: {
        namespace: "kube-system",
        name: "kube-lookout",
        identity: id,
        leaseDurationMs: 600,
        renewDeadlineMs: 400,
        retryPeriodMs: 100,
      },
    });
    t.after(() => lookout.close());
    return lookout;
  };
  const a = instance("a");
  const b = instance("b");
  await a.start();
  await b.start();
  await Promise.all([a.ready, b.ready]);
  await until("a leader", () => a.leading || b.leading);
  assert.equal(Number(a.leading) + Number(b.leading), 1, "one leader");

  // Both serve the cache (no API-server request for it); only the leader checks Helm.
  await Promise.all([served(a), served(b)]);
  const [leading, following] = a.leading ? [a, b] : [b, a];
  assert.equal((await fetch(`${leading.url}/api/v1/helm/findings`)).status, 200);
  const refused = await fetch(`${following.url}/api/v1/helm/findings`);
  assert.equal(refused.status, 503);
  assert.match(await refused.text(), /leader/);
  assert.equal(following.helm, undefined, "a follower runs no Helm checker");
  await waitForStream(nats.url, 1);

  // The leader goes; the other takes over and publishes what changes next.
  const [leader, other] = a.leading ? [a, b] : [b, a];
  await leader.close();
  await until("the other leads", () => other.leading);
  await until("the new leader's Helm checker", () => other.helm !== undefined);
  await other.helm!.ready;
  assert.equal((await fetch(`${other.url}/api/v1/helm/findings`)).status, 200);
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "second", namespace: "a" },
  });
  await waitForStream(nats.url, 2);
  const messages = await readStream(nats.url);
  assert.deepEqual(
    messages.map((m) => `${m.type} ${m.key}`),
    ["added configmaps/a/first", "added configmaps/a/second"],
    "each change once, whichever instance published it",
  );
});
