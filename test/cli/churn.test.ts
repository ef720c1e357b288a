/** The sim command's churn driver keeps its rate, and leaves the event loop free, at 1/s. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runChurn } from "../../src/cli/churn.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";

const PODS = { group: "", version: "v1", resource: "pods" } as const;

void test("churn at 1/s makes about one change a second and never starves the event loop", async (t) => {
  const cluster = await startSimulatedCluster();
  t.after(() => cluster.close());
  cluster.load.seed(PODS, 20);
  // The cluster's resourceVersion: one more with every change.
  const rv = async (): Promise<number> => {
    const list: unknown = await (await fetch(`${cluster.url}/api/v1/pods`)).json();
    return Number(Reflect.get(Object(Reflect.get(Object(list), "metadata")), "resourceVersion"));
  };
  const before = await rv();
  const stop = new AbortController();
  const running = runChurn(cluster, 1, stop.signal);
  // A timer due in 50 ms fires about then: the churn rounds yield to the event loop.
  const asked = performance.now();
  await sleep(50);
  const late = performance.now() - asked - 50;
  await sleep(2000);
  stop.abort();
  await running;
  assert.ok(late < 500, `a 50 ms timer fired ${Math.round(late)} ms late`);
  // About 2 s at 1/s: 2 or 3 changes (each a new resourceVersion), never thousands.
  const changes = (await rv()) - before;
  assert.ok(changes >= 1 && changes <= 4, `${changes} changes in about 2 s`);
});
