/** EventPipeline refuses numeric options it cannot work with, before any work. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventPipeline, type EventPipelineOptions } from "../../src/events/index.ts";
import { offlineParts } from "./pipeline-support.ts";

void test("numeric options out of range are LOOKOUT_EVENTS_INVALID_OPTION naming the option", async (t) => {
  const { store, informers } = await offlineParts(t);
  const base: EventPipelineOptions = {
    store,
    informers,
    nats: {
      connection: () => undefined,
      waitForConnection: () => new Promise<NatsConnection>(() => {}),
    },
    resources: [{ resource: { group: "", version: "v1", resource: "pods" }, kind: "Pod" }],
    prefix: "kl",
    cluster: "c",
  };
  const bad: [keyof EventPipelineOptions, unknown][] = [
    ["batchSize", 0],
    ["batchSize", 1.5],
    ["batchDelayMs", -1],
    ["batchDelayMs", 0x80000000],
    ["maxOutboxRows", 0],
    ["maxOutboxBytes", Number.NaN],
    ["maxInFlight", 0],
    ["ackTimeoutMs", 0],
    // Past a Node timer's 2^31-1 ms, every ack would time out after 1 ms.
    ["ackTimeoutMs", 30 * 24 * 3_600_000],
    ["ackTimeoutMs", "5000"],
  ];
  for (const [key, value] of bad) {
    assert.throws(
      () => new EventPipeline({ ...base, [key]: value }),
      (err: unknown) =>
        err instanceof Error &&
        "code" in err &&
        err.code === "LOOKOUT_EVENTS_INVALID_OPTION" &&
        "option" in err &&
        err.option === key,
      `${key}=${String(value)}`,
    );
  }
  // The bounds themselves are accepted.
  for (const [key, value] of [
    ["batchDelayMs", 0],
    ["batchDelayMs", 0x7fffffff],
    ["ackTimeoutMs", 1],
    ["ackTimeoutMs", 0x7fffffff],
  ] as const) {
    const pipeline = new EventPipeline({ ...base, [key]: value });
    // oxlint-disable-next-line eslint/no-await-in-loop -- one at a time
    await pipeline.close();
  }
});
