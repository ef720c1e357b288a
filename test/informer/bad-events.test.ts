/**
 * Watch events the informer cannot use as sent (no resourceVersion): reported, and the last
 * resourceVersion seen is kept.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { rawObjectFromObject } from "../../src/kube/index.ts";
import { unitSuite } from "./unit-suite.ts";
import { FakeClient, codeOf, pod, until } from "./fake-client.ts";

const make = unitSuite();

void test("a BOOKMARK or an object without a resourceVersion keeps the last RV and is reported as LOOKOUT_INFORMER_BAD_EVENT", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const errors: unknown[] = [];
  const informer = make(client, {
    watchList: "off",
    metrics: { error: (i) => void errors.push(i.error) },
  });
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
  const informer = make(client, {
    watchList: "on",
    metrics: { error: (i) => void errors.push(i.error) },
  });
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
