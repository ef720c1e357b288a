/**
 * The frame shared by informer unit suites: pods informers over a FakeClient with fast backoff
 * and counting timers, closed after each test with zero live timers asserted (unref'd timers
 * are invisible to `process.getActiveResourcesInfo()`), and no active handles after the suite.
 * Call once at the top of a test file.
 */
import assert from "node:assert/strict";
import { after, afterEach } from "node:test";
import { Informer, type InformerOptions } from "../../src/informer/index.ts";
import { countingTimers } from "./counting-timers.ts";
import type { FakeClient } from "./fake-client.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** Registers the suite's hooks; returns `make(client, extra)` (suite `defaults`, then `extra`). */
export function unitSuite(
  defaults: Partial<InformerOptions> = {},
): (client: FakeClient, extra?: Partial<InformerOptions>) => Informer {
  const timers = countingTimers();
  const made: Informer[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((i) => i.close()));
    assert.equal(timers.live, 0, "live informer timers after close()");
  });
  after(async () => {
    await assertNoActiveHandles();
  });
  return (client, extra = {}) => {
    const informer = new Informer({
      client,
      resource: PODS,
      backoff: { initialMs: 1, maxMs: 5 },
      timers,
      ...defaults,
      ...extra,
    });
    made.push(informer);
    return informer;
  };
}
