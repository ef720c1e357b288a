import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchWriter } from "../../src/events/batch-writer.ts";
import { silentLogger, type Logger } from "../../src/logging/index.ts";
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

/** An event with the headers a recorded change carries (about 230 bytes of JSON). */
function cloudEvent(n: number, bodyBytes: number) {
  const e = event(n);
  return {
    ...e,
    headers: {
      "ce-specversion": "1.0",
      "ce-id": e.msgId,
      "ce-type": "io.kube-lookout.resource.added",
      "ce-source": "kube-lookout/test",
      "ce-subject": `a/obj-${n}`,
      "ce-time": "2026-11-23T00:00:00.000Z",
      "content-type": "application/json",
    },
    body: Buffer.alloc(bodyBytes, 0x61),
  };
}

async function boundedWriter(
  t: { after(fn: () => unknown): void },
  fullPolicy: "block" | "drop-oldest",
  maxOutboxBytes: number,
) {
  const dir = await mkdtemp(join(tmpdir(), "kl-writer-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const pressure: string[] = [];
  const writer = new BatchWriter({
    store,
    resourceKey: "v1/configmaps",
    batchSize: 1000,
    batchDelayMs: 1000,
    maxOutboxRows: 1_000_000,
    maxOutboxBytes,
    fullPolicy,
    logger: silentLogger,
    onPressure: (what, n) => pressure.push(`${what}:${n}`),
  });
  t.after(() => writer.close());
  return { store, writer, pressure };
}

void test("outbox byte bound, block: the stored bytes (headers included) never pass the bound", async (t) => {
  const bound = 10_000;
  const { store, writer, pressure } = await boundedWriter(t, "block", bound);
  for (let n = 0; n < 100; n++) writer.pushEvent(cloudEvent(n, 40));
  void writer.flush();
  const { rows, bytes } = store.outbox.stats();
  assert.ok(bytes <= bound, `${bytes} bytes stored, bound ${bound}`);
  assert.ok(rows > 0 && rows < 100, `${rows} rows written, the rest held`);
  // What does not fit is held, not lost: the bound would be passed by one more event.
  assert.ok(bytes + (bytes / rows) * 1.01 > bound, "filled up to the bound");
  assert.equal(writer.pendingEvents, 100 - rows);
  assert.ok(pressure.includes(`blocked:${100 - rows}`), pressure.join());
});

void test("outbox byte bound, drop-oldest: old rows smaller than the average are dropped until the bytes fit", async (t) => {
  const bound = 20_000;
  const { store, writer, pressure } = await boundedWriter(t, "drop-oldest", bound);
  // 30 small rows, then 5 large ones: the average row is larger than the oldest rows, so
  // dropping "the excess over the average" rows is not enough at once.
  for (let n = 0; n < 30; n++) writer.pushEvent(cloudEvent(n, 20));
  for (let n = 30; n < 35; n++) writer.pushEvent(cloudEvent(n, 1500));
  await writer.flush();
  const before = store.outbox.stats();
  assert.ok(before.bytes <= bound, `${before.bytes}`);
  assert.equal(before.rows, 35, "all fit at first");
  assert.deepEqual(pressure, []);
  for (let n = 35; n < 40; n++) writer.pushEvent(cloudEvent(n, 1500));
  await writer.flush();
  const after = store.outbox.stats();
  assert.ok(after.bytes <= bound, `${after.bytes} bytes stored, bound ${bound}`);
  assert.equal(writer.pendingEvents, 0, "every new event is written");
  const kept = store.outbox.read(0, 1000).map((r) => r.msgId);
  assert.deepEqual(
    kept.slice(-10),
    Array.from({ length: 10 }, (_, i) => `u${30 + i}:1:added`),
  );
  assert.deepEqual(pressure, [`dropped:${40 - kept.length}`], "one drop, reported once");
});

void test("after a full batch is written, the writer's caller waits on the relay's pacing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-writer-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  let asked = 0;
  const pace = Promise.withResolvers<void>();
  const writer = new BatchWriter({
    store,
    resourceKey: "v1/configmaps",
    batchSize: 2,
    batchDelayMs: 1000,
    maxOutboxRows: 1000,
    maxOutboxBytes: 1 << 20,
    fullPolicy: "block",
    logger: silentLogger,
    pace: () => {
      asked++;
      return pace.promise;
    },
  });
  t.after(() => writer.close());
  writer.pushEvent(event(1));
  assert.equal(writer.maybeFlush(), undefined, "a partial batch: no write, no pacing");
  assert.equal(asked, 0);
  writer.pushEvent(event(2));
  assert.equal(writer.maybeFlush(), pace.promise, "a full batch written: the pacing's promise");
  assert.equal(asked, 1);
  assert.equal(store.outbox.stats().rows, 2, "written before the wait");
});
