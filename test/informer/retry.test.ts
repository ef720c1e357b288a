/**
 * The reflector's retry decisions: which resourceVersion the next attempt uses after Expired
 * or TooLarge on a streaming list, and how long it waits (backoff versus Retry-After).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeApiError } from "../../src/kube/index.ts";
import { countingTimers } from "./counting-timers.ts";
import { unitSuite } from "./unit-suite.ts";
import { EXPIRED_EVENT, FakeClient, apiError, pod } from "./fake-client.ts";

const make = unitSuite();

function tooLarge(): KubeApiError {
  return new KubeApiError("HTTP 504", {
    statusCode: 504,
    retryAfterSeconds: undefined,
    status: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      reason: "Timeout",
      code: 504,
      message: "Timeout: Too large resource version: 500, current: 3",
      details: { causes: [{ type: "ResourceVersionTooLarge", message: "Too large" }] },
    },
  });
}

for (const failure of ["410 Expired event", "504 TooLarge answer"] as const) {
  void test(`WatchList: a ${failure} on the re-stream at the last RV retries the stream at RV ""`, async (t) => {
    const client = new FakeClient();
    client.set(pod("ns", "a", "1"));
    const informer = make(client, { watchList: "on" });
    t.after(() => informer.close());
    void informer.start();
    const s0 = await client.nextWatch(0);
    s0.push({ type: "ADDED", object: pod("ns", "a", "1") });
    s0.push({ type: "BOOKMARK", resourceVersion: "500", initialEventsEnd: true });
    await informer.waitForSync(AbortSignal.timeout(3000));
    if (failure === "504 TooLarge answer") client.watchErrors.push(tooLarge());
    // The watch expires: the next sync streams again at the last RV (client-go does the same).
    s0.push(EXPIRED_EVENT);
    const s1 = await client.nextWatch(1);
    assert.equal(s1.options.sendInitialEvents, true);
    assert.equal(s1.options.resourceVersion, "500");
    if (failure === "410 Expired event") s1.push(EXPIRED_EVENT);
    const s2 = await client.nextWatch(2);
    assert.equal(s2.options.sendInitialEvents, true);
    assert.equal(s2.options.resourceVersion, "", "the RV that failed is not retried");
    s2.push({ type: "ADDED", object: pod("ns", "a", "7") });
    s2.push({ type: "BOOKMARK", resourceVersion: "7", initialEventsEnd: true });
    s2.push(EXPIRED_EVENT);
    const s3 = await client.nextWatch(3);
    assert.equal(s3.options.resourceVersion, "7", "after a sync, the last RV is used again");
    assert.equal(client.lists.length, 0);
  });
}

void test("Retry-After 0 does not bypass the backoff; a long Retry-After is capped at 2 × backoff max", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const own = countingTimers();
  client.listErrors.push(
    apiError(429, "TooManyRequests", 0),
    apiError(429, "TooManyRequests", 0),
    apiError(429, "TooManyRequests", 0),
    apiError(429, "TooManyRequests", 3600),
  );
  const informer = make(client, {
    watchList: "off",
    backoff: { initialMs: 50, maxMs: 400 },
    random: () => 0,
    timers: own,
  });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(5000));
  assert.equal(client.lists.length, 5);
  // Backoff 50, 100, 200 (jitter [d, 2d) at its lower bound), then max(800 (capped), 400).
  assert.deepEqual(own.delays, [50, 100, 200, 800]);
  await informer.close();
  assert.equal(own.live, 0);
});
