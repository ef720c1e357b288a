import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchWriter } from "../../src/events/batch-writer.ts";
import type { Logger } from "../../src/logging/index.ts";
import { openStore } from "../../src/store/index.ts";

function event(n: number) {
  return {
    subject: `kl.test.core.v1.configmaps.a.obj-${n}.added`,
    msgId: `u${n}:1:added`,
    orderKey: `v1/configmaps/a/obj-${n}`,
    headers: { "ce-id": `u${n}:1:added` },
    body: Buffer.from("{}"),
    observedAt: Date.UTC(2026, 10, 23),
  };
}

void test("a store that fails even to report the outbox's size holds the changes: logged once, no throw from the timer", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-writer-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (message) => errors.push(message),
  };
  const pressure: number[] = [];
  const writer = new BatchWriter({
    store,
    resourceKey: "v1/configmaps",
    batchSize: 100,
    batchDelayMs: 5,
    maxOutboxRows: 1000,
    maxOutboxBytes: 1 << 20,
    fullPolicy: "block",
    logger,
    onPressure: (what, n) => what === "blocked" && pressure.push(n),
  });
  writer.pushEvent(event(1));
  store.close(); // every read and write of the store now throws LOOKOUT_STORE_CLOSED
  assert.equal(writer.maybeFlush(), undefined, "a partial batch waits for its timer");
  writer.pushEvent(event(2));
  // The timer's write fails, then flush() retries every 100 ms: none of it may throw.
  await sleep(350);
  writer.close();
  assert.equal(errors.length, 1, "logged once, not at every retry");
  assert.ok(pressure.length >= 2, "each failed attempt reports the held changes");
  assert.equal(pressure[0], 2);
});
