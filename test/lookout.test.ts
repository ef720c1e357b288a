/**
 * Two kube-lookouts embedded in one process, against the simulator and a real nats-server:
 * both serve their caches, one leads (checks Helm, publishes events; the follower's Helm paths
 * answer 503), and the other takes over when the leader closes.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createLookout, type Lookout } from "../src/lookout.ts";
import { CONFIGMAPS, readStream, waitForStream } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, natsForEvents, until } from "./support/lookout-setup.ts";

after(assertNoActiveHandles);

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
  const { sim, client, store } = await lookoutSetup(t);
  const { nats, events } = await natsForEvents(t);
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "first", namespace: "a" },
    data: { x: "1" },
  });

  const instance = (id: string): Lookout => {
    const lookout = createLookout({
      client,
      store: store(id),
      cluster: "test",
      resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
      helm: { maxThreads: 1 },
      events,
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

  // Both serve the cache (no API-server request for it); only the leader checks Helm (and is
  // ready once its first scan is done).
  const [leading, following] = a.leading ? [a, b] : [b, a];
  await until("the leader's checker", () => leading.helm !== undefined);
  await leading.helm!.ready;
  await Promise.all([served(a), served(b)]);
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
