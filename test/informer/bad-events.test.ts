/**
 * Watch events the informer cannot use as sent (no resourceVersion): reported, and the last
 * resourceVersion seen is kept.
 */
import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import { rawObjectFromObject } from "../../src/kube/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { countingTimers } from "./counting-timers.ts";
import { FakeClient, codeOf, pod, until } from "./fake-client.ts";
import { assertNoActiveHandles } from "./handles.ts";

const pods = { group: "", version: "v1", resource: "pods" } as const;
const timers = countingTimers();

const made: Informer[] = [];

// Unref'd timers are invisible to getActiveResourcesInfo(): count them right after each test's
// informers are closed (close() is idempotent), before a leaked timer could fire and hide.
afterEach(async () => {
  await Promise.all(made.splice(0).map((i) => i.close()));
  assert.equal(timers.live, 0, "live informer timers after close()");
});

after(async () => {
  await assertNoActiveHandles();
});

void test("a BOOKMARK or an object without a resourceVersion keeps the last RV and is reported as LOOKOUT_INFORMER_BAD_EVENT", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const errors: unknown[] = [];
  const informer = new Informer({
    client,
    resource: pods,
    watchList: "off",
    backoff: { initialMs: 1, maxMs: 5 },
    timers,
    metrics: { error: (i) => void errors.push(i.error) },
  });
  made.push(informer);
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(3000));
  const s0 = await client.nextWatch(0);
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "120") });
  await until(() => informer.lastSyncResourceVersion === "120");
  s0.push({ type: "BOOKMARK", resourceVersion: "", initialEventsEnd: false });
  const noRV = rawObjectFromObject({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "b", namespace: "ns", uid: "uid-b" },
  });
  s0.push({ type: "ADDED", object: noRV });
  await until(() => informer.store.get("ns/b") !== undefined, 3000, "the ADDED object applied");
  assert.deepEqual(errors.map(codeOf), [
    "LOOKOUT_INFORMER_BAD_EVENT",
    "LOOKOUT_INFORMER_BAD_EVENT",
  ]);
  assert.deepEqual(
    errors.map((e) => (e instanceof Error && "eventType" in e ? e.eventType : undefined)),
    ["BOOKMARK", "ADDED"],
  );
  assert.equal(informer.lastSyncResourceVersion, "120");
  // A later good event moves on as usual.
  s0.push({ type: "BOOKMARK", resourceVersion: "130", initialEventsEnd: false });
  await until(() => informer.lastSyncResourceVersion === "130");
  assert.equal(client.streams.length, 1);
});

void test("WatchList: an initial-events-end bookmark without a resourceVersion fails the stream, which is then streamed again", async (t) => {
  const client = new FakeClient();
  const errors: unknown[] = [];
  const informer = new Informer({
    client,
    resource: pods,
    watchList: "on",
    backoff: { initialMs: 1, maxMs: 5 },
    timers,
    metrics: { error: (i) => void errors.push(i.error) },
  });
  made.push(informer);
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  s0.push({ type: "ADDED", object: pod("ns", "a", "1") });
  s0.push({ type: "BOOKMARK", resourceVersion: "", initialEventsEnd: true });
  const s1 = await client.nextWatch(1);
  assert.equal(informer.hasSynced(), false);
  assert.equal(s1.options.sendInitialEvents, true);
  assert.deepEqual(errors.map(codeOf), ["LOOKOUT_INFORMER_BAD_EVENT"]);
  s1.push({ type: "ADDED", object: pod("ns", "a", "1") });
  s1.push({ type: "BOOKMARK", resourceVersion: "9", initialEventsEnd: true });
  await informer.waitForSync(AbortSignal.timeout(3000));
  assert.equal(informer.lastSyncResourceVersion, "9");
});
