/**
 * Metrics hooks that throw: the informer must neither crash nor relist because of them.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Informer, type InformerMetrics } from "../../src/informer/index.ts";
import { countingTimers } from "./counting-timers.ts";
import { FakeClient, pod, until } from "./fake-client.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

const pods = { group: "", version: "v1", resource: "pods" } as const;

after(async () => {
  await assertNoActiveHandles();
});

function boom(): never {
  throw new Error("hook failed");
}

void test("every metrics hook throws, resync on: the informer syncs, keeps one watch and delivers events", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const metrics: Required<InformerMetrics> = {
    listRequest: boom,
    watchStarted: boom,
    watchEnded: boom,
    restart: boom,
    expired: boom,
    event: boom,
    objectsCached: boom,
    lastEventTime: boom,
    handlerQueueDepth: boom,
    error: boom,
  };
  const warned: string[] = [];
  const timers = countingTimers();
  const informer = new Informer({
    client,
    resource: pods,
    watchList: "off",
    backoff: { initialMs: 1, maxMs: 5 },
    metrics,
    timers,
    logger: {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (_m, fields) => void warned.push(String(fields?.["hook"])),
    },
  });
  t.after(() => informer.close());
  const updates: string[] = [];
  informer.addEventHandler(
    { onUpdate: (_old, obj) => void updates.push(obj.resourceVersion) },
    { resyncPeriodMs: 1000 },
  );
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(3000));
  const s0 = await client.nextWatch(0);
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "2") });
  await until(() => updates.includes("2"), 3000, "the MODIFIED event");
  // The resync timer fires after 1 s and reports the handler's queue depth (a throwing hook).
  await until(() => updates.length >= 2, 3000, "a resync");
  assert.deepEqual(updates.slice(0, 2), ["2", "2"]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(client.lists.length, 1, "no relist");
  assert.equal(client.streams.length, 1, "one watch");
  assert.equal(s0.closed, false);
  // Each throwing hook is logged once, no matter how often it failed.
  assert.equal(new Set(warned).size, warned.length, warned.join(","));
  for (const hook of [
    "listRequest",
    "watchStarted",
    "event",
    "objectsCached",
    "handlerQueueDepth",
  ]) {
    assert.ok(warned.includes(hook), `${hook} not logged: ${warned.join(",")}`);
  }
  await informer.close();
  assert.equal(timers.live, 0, "no live timer after close()");
});
