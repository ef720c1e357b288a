/**
 * An embedded kube-lookout's close(): /readyz turns 503 ("shutting down") at once while the
 * outbox flush runs, the flush gives up at `flushTimeoutMs` when NATS cannot take the backlog,
 * and nothing is left running afterwards.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createLookout } from "../src/lookout.ts";
import { CONFIGMAPS } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, natsForEvents, until } from "./support/lookout-setup.ts";

after(assertNoActiveHandles);

void test("close(): not ready at once, the flush ends at its deadline, the backlog stays for the next start", async (t) => {
  const { sim, client, store: open } = await lookoutSetup(t);
  const { nats, events } = await natsForEvents(t);
  const store = open();
  const lookout = createLookout({
    client,
    store,
    cluster: "test",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: false,
    flushTimeoutMs: 1500,
    events,
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  const url = lookout.url!;
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  await nats.stop();
  for (let i = 0; i < 50; i++) {
    sim.create(CONFIGMAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `c${i}`, namespace: "a" },
    });
  }
  await until("the backlog in the outbox", () => store.outbox.stats().rows >= 50);
  assert.equal(store.outbox.stats().rows, 50, "the backlog is in the outbox");

  const t0 = Date.now();
  const closing = lookout.close();
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /shutting down/);
  await closing;
  const took = Date.now() - t0;
  assert.ok(took >= 1500 && took < 1500 + 2000, `close took ${took} ms (flush deadline 1.5 s)`);
  assert.equal(store.outbox.stats().rows, 50, "what NATS could not take stays for the next start");
});
