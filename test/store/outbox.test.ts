import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import { openStore, type OutboxInsert, type OutboxRow } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { badInput, outboxBytes, outboxEvent, snapshotRow, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

const sum = (events: readonly OutboxInsert[]): number =>
  events.reduce((n, e) => n + outboxBytes(e), 0);

/** A row as read, with a plain Uint8Array body, for deepEqual against the inserts. */
function plain(row: OutboxRow): OutboxInsert & { id: number } {
  return { ...row, body: new Uint8Array(row.body), headers: { ...row.headers } };
}

void test("outbox: append returns ascending ids; read pages in id order; stats count", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  assert.deepEqual(store.outbox.stats(), { rows: 0, bytes: 0, oldestObservedAt: undefined });
  const events = Array.from({ length: 25 }, (_, i) => outboxEvent(i, i * 3));
  const ids = [
    ...store.outbox.append(events.slice(0, 10)),
    ...store.outbox.append(events.slice(10)),
  ];
  assert.equal(ids.length, 25);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids ${ids.join(",")}`);
  assert.deepEqual(store.outbox.append([]), []);

  const all = store.outbox.read(0, 100).map(plain);
  assert.deepEqual(
    all,
    events.map((e, i) => Object.assign({ id: ids[i]! }, e)),
  );
  const page = store.outbox.read(ids[4]!, 3);
  assert.deepEqual(
    page.map((r) => r.id),
    ids.slice(5, 8),
  );
  assert.deepEqual(store.outbox.read(ids[24]!, 10), []);
  assert.deepEqual(store.outbox.read(0, 0), []);
  assert.deepEqual(store.outbox.stats(), {
    rows: 25,
    bytes: sum(events),
    oldestObservedAt: events[0]!.observedAt,
  });

  store.outbox.ack([ids[0]!, ids[2]!, 999_999]);
  assert.deepEqual(
    store.outbox.read(0, 3).map((r) => r.id),
    [ids[1], ids[3], ids[4]],
  );
  const left = events.filter((_, i) => i !== 0 && i !== 2);
  assert.deepEqual(store.outbox.stats(), {
    rows: 23,
    bytes: sum(left),
    oldestObservedAt: events[1]!.observedAt,
  });
});

void test("outbox: ids are never reused, also after deleting the newest and reopening", (t) => {
  const path = join(tempDir(t), "s.db");
  const first = openStore({ path });
  t.after(() => first.close());
  const ids = first.outbox.append([outboxEvent(1), outboxEvent(2), outboxEvent(3)]);
  first.outbox.ack([ids[2]!]);
  const [next] = first.outbox.append([outboxEvent(4)]);
  assert.ok(next! > ids[2]!, `new id ${next} after deleted ${ids[2]}`);
  first.outbox.ack(first.outbox.read(0, 10).map((r) => r.id));
  assert.equal(first.outbox.stats().rows, 0);
  first.close();
  const second = openStore({ path });
  t.after(() => second.close());
  const [afterReopen] = second.outbox.append([outboxEvent(5)]);
  assert.ok(afterReopen! > next!, `id ${afterReopen} after reopen, last was ${next}`);
});

void test("outbox: rows and stats survive a reopen", (t) => {
  const path = join(tempDir(t), "s.db");
  const first = openStore({ path });
  t.after(() => first.close());
  const events = Array.from({ length: 40 }, (_, i) => outboxEvent(i, 100));
  const ids = first.outbox.append(events);
  const stats = first.outbox.stats();
  first.close();
  const second = openStore({ path });
  t.after(() => second.close());
  assert.deepEqual(second.outbox.stats(), stats);
  assert.deepEqual(
    second.outbox.read(0, 100).map(plain),
    events.map((e, i) => Object.assign({ id: ids[i]! }, e)),
  );
});

void test("outbox: a rolled back transaction leaves rows and counters as they were", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const kept = store.outbox.append([outboxEvent(1, 50)]);
  const before = store.outbox.stats();
  assert.throws(
    () =>
      store.transaction(() => {
        store.snapshots.put(snapshotRow(1));
        store.outbox.append([outboxEvent(2, 500), outboxEvent(3, 500)]);
        store.outbox.ack(kept);
        assert.equal(store.outbox.stats().rows, 2);
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.deepEqual(store.outbox.stats(), before);
  assert.deepEqual(
    store.outbox.read(0, 10).map((r) => r.id),
    kept,
  );
  assert.deepEqual(store.snapshots.resources(), []);
  // The counters equal a recount.
  store.close();
  const db = new Sqlite(store.path, { readonly: true });
  t.after(() => db.close());
  const recount = db
    .prepare(
      "SELECT count(*) AS rows, coalesce(sum(length(body) + octet_length(headers) + octet_length(subject)), 0) AS bytes FROM outbox",
    )
    .get();
  assert.deepEqual(recount, { rows: before.rows, bytes: before.bytes });
});

void test("outbox: a bad event in a batch writes none of it", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const cases: [unknown, string][] = [
    [{ ...outboxEvent(1), observedAt: 1.5 }, "events[1].observedAt"],
    [{ ...outboxEvent(1), body: "text" }, "events[1].body"],
    [{ ...outboxEvent(1), headers: { a: 1 } }, "events[1].headers.a"],
    [{ ...outboxEvent(1), headers: null }, "events[1].headers"],
    [{ ...outboxEvent(1), subject: "" }, "events[1].subject"],
    [{ ...outboxEvent(1), msgId: undefined }, "events[1].msgId"],
    [{ ...outboxEvent(1), orderKey: 3 }, "events[1].orderKey"],
    [7, "events[1]"],
  ];
  for (const [bad, name] of cases) {
    // @ts-expect-error -- a caller without types
    assert.throws(() => store.outbox.append([outboxEvent(0), bad]), badInput(name));
  }
  assert.throws(() => store.outbox.read(-1, 5), badInput("afterId"));
  assert.throws(() => store.outbox.read(0, 1.5), badInput("limit"));
  assert.throws(() => store.outbox.ack([1, Number.NaN]), badInput("ids[1]"));
  assert.throws(() => store.outbox.dropOldest(-1), badInput("n"));
  assert.deepEqual(store.outbox.stats(), { rows: 0, bytes: 0, oldestObservedAt: undefined });
  store.close();
  assert.throws(() => store.outbox.stats(), withCode("LOOKOUT_STORE_CLOSED"));
  assert.throws(() => store.outbox.append([outboxEvent(1)]), withCode("LOOKOUT_STORE_CLOSED"));
});

void test("outbox: dropOldest drops the lowest ids and says how much", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const events = Array.from({ length: 10 }, (_, i) => outboxEvent(i, 10 * i));
  const ids = store.outbox.append(events);
  assert.deepEqual(store.outbox.dropOldest(0), { rows: 0, bytes: 0 });
  assert.deepEqual(store.outbox.dropOldest(3), { rows: 3, bytes: sum(events.slice(0, 3)) });
  assert.deepEqual(
    store.outbox.read(0, 100).map((r) => r.id),
    ids.slice(3),
  );
  assert.deepEqual(store.outbox.stats(), {
    rows: 7,
    bytes: sum(events.slice(3)),
    oldestObservedAt: events[3]!.observedAt,
  });
  assert.deepEqual(store.outbox.dropOldest(100), { rows: 7, bytes: sum(events.slice(3)) });
  assert.deepEqual(store.outbox.stats(), { rows: 0, bytes: 0, oldestObservedAt: undefined });
});
