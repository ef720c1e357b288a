import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { StoreFullError, openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { outboxEvent, snapshotRow, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

const BOUND = 1024 * 1024;

void test("a tiny maxSizeBytes: LOOKOUT_STORE_FULL, rolled back, usable, writable after acks", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path, maxSizeBytes: BOUND });
  t.after(() => store.close());
  const ids: number[] = [];
  let full: unknown;
  for (let i = 0; i < 1000 && full === undefined; i++) {
    try {
      ids.push(...store.outbox.append([outboxEvent(2 * i, 8000), outboxEvent(2 * i + 1, 8000)]));
    } catch (err) {
      full = err;
    }
  }
  assert.ok(full instanceof StoreFullError, `not full after ${ids.length} rows: ${String(full)}`);
  assert.equal(full.code, "LOOKOUT_STORE_FULL");
  assert.equal(full.maxSizeBytes, BOUND);
  assert.equal(full.operation, "outbox.append");
  assert.ok(ids.length >= 20 && ids.length < 130, `${ids.length} rows fit`);
  // The failed append left nothing; reads work.
  const stats = store.outbox.stats();
  assert.equal(stats.rows, ids.length);
  assert.deepEqual(
    store.outbox.read(0, 1000).map((r) => r.id),
    ids,
  );

  // A batch that does not fit is rolled back whole, snapshots included.
  assert.throws(
    () =>
      store.transaction(() => {
        for (let i = 0; i < 20; i++) store.snapshots.put(snapshotRow(i));
        store.outbox.append(Array.from({ length: 20 }, (_, i) => outboxEvent(i, 8000)));
      }),
    withCode("LOOKOUT_STORE_FULL"),
  );
  assert.deepEqual(store.outbox.stats(), stats);
  assert.deepEqual(store.snapshots.resources(), []);
  assert.throws(() => store.kv.set("big", "x".repeat(200_000)), withCode("LOOKOUT_STORE_FULL"));
  assert.equal(store.kv.get("big"), undefined);

  // Acknowledging frees pages: the same writes fit again.
  store.outbox.ack(ids.slice(0, 40));
  const more = store.outbox.append(Array.from({ length: 20 }, (_, i) => outboxEvent(i, 8000)));
  assert.equal(more.length, 20);
  store.snapshots.put(snapshotRow(1));
  assert.equal(store.outbox.stats().rows, ids.length - 40 + 20);
  store.close();
  assert.ok(statSync(path).size <= BOUND, `file is ${statSync(path).size} bytes`);
});

void test("dropOldest frees room under the bound", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db"), maxSizeBytes: BOUND });
  t.after(() => store.close());
  let n = 0;
  let full: unknown;
  for (; n < 1000 && full === undefined; n++) {
    try {
      store.outbox.append([outboxEvent(n, 8000)]);
    } catch (err) {
      full = err;
    }
  }
  n--; // the last append failed
  assert.ok(withCode("LOOKOUT_STORE_FULL")(full), String(full));
  assert.deepEqual(store.outbox.dropOldest(10).rows, 10);
  store.outbox.append([outboxEvent(n, 8000)]);
  assert.equal(store.outbox.stats().rows, n - 10 + 1);
});

void test("maxSizeBytes must be a positive integer", (t) => {
  const path = join(tempDir(t), "s.db");
  const bads: unknown[] = [0, -1, 1.5, Number.NaN, "1"];
  for (const bad of bads) {
    assert.throws(
      // @ts-expect-error -- a caller without types
      () => openStore({ path, maxSizeBytes: bad }),
      withCode("LOOKOUT_STORE_INVALID_OPTION"),
    );
  }
});

void test("a bound below the file's size opens; writes that need pages are FULL", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path, maxSizeBytes: 1 });
  t.after(() => store.close());
  assert.equal(store.outbox.stats().rows, 0);
  assert.throws(
    () => store.outbox.append([outboxEvent(1, 100_000)]),
    withCode("LOOKOUT_STORE_FULL"),
  );
});
