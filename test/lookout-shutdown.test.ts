/**
 * An embedded kube-lookout's close(): /readyz turns 503 ("shutting down") at once while the
 * outbox flush runs, the flush gives up at `flushTimeoutMs` when NATS cannot take the backlog,
 * and nothing is left running afterwards.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { silentLogger } from "../src/logging/index.ts";
import { createLookout } from "../src/lookout.ts";
import { CONFIGMAPS } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, natsForEvents, until } from "./support/lookout-setup.ts";

after(assertNoActiveHandles);

void test("close(): not ready at once, the flush ends at its deadline, the backlog stays for the next start", async (t) => {
  const { sim, client, store: open } = await lookoutSetup(t);
  const { nats, events } = await natsForEvents(t);
  const store = open();
  const warnings: { msg: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const logger = {
    ...silentLogger,
    warn: (msg: string, fields: Readonly<Record<string, unknown>> = {}) =>
      void warnings.push({ msg, fields }),
  };
  const lookout = createLookout({
    logger,
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
  // The flush itself waited for the deadline and no longer (its warning says how long); the
  // whole close is bounded loosely, as a loaded machine slows the rest of it down.
  const flush = warnings.find((w) => w.msg.startsWith("events: outbox flush deadline reached"));
  assert.ok(flush !== undefined, JSON.stringify(warnings));
  assert.equal(flush.fields["rows"], 50);
  assert.equal(flush.fields["flushTimeoutMs"], 1500);
  const waited = Number(flush.fields["waitedMs"]);
  assert.ok(waited >= 1490 && waited < 1500 + 1000, `the flush waited ${waited} ms`);
  assert.ok(took >= 1500 && took < 1500 + 10_000, `close took ${took} ms (flush deadline 1.5 s)`);
  assert.equal(store.outbox.stats().rows, 50, "what NATS could not take stays for the next start");
});

void test("close() before ready: ready rejects with LOOKOUT_CLOSED, and start/updateResources after close too", async (t) => {
  const { sim, client, store } = await lookoutSetup(t);
  // Every list fails: the caches never sync, so ready would never come.
  sim.faults.failRequests({ verb: "list", status: 500, count: 1_000_000 });
  const lookout = createLookout({
    client,
    store: store(),
    cluster: "t",
    helm: false,
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    logger: silentLogger,
  });
  await lookout.start();
  const ready = lookout.ready;
  await lookout.close();
  await assert.rejects(ready, { code: "LOOKOUT_CLOSED" });
  await assert.rejects(lookout.start(), { code: "LOOKOUT_CLOSED" });
  await assert.rejects(lookout.updateResources([]), { code: "LOOKOUT_CLOSED" });
});
