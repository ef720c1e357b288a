import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { mulberry32 as random } from "../../src/sim/index.ts";
import { openStore, type LookoutStore, type OutboxInsert } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { outboxBytes, outboxEvent, tempDir } from "./support.ts";

after(assertNoActiveHandles);

interface ModelRow {
  readonly id: number;
  readonly event: OutboxInsert;
}

void test("outbox against a model: appends, acks, drops, rollbacks, reopens", (t) => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with SEED=${seed})`);
  const rand = random(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const path = join(tempDir(t), "s.db");
  let store: LookoutStore = openStore({ path });
  t.after(() => store.close());
  let model: ModelRow[] = [];
  let maxId = 0;
  let serial = 0;
  const events = (k: number): OutboxInsert[] =>
    Array.from({ length: k }, () => outboxEvent(serial++, int(300)));

  for (let step = 0; step < 300; step++) {
    const what = int(10);
    const where = `seed ${seed} step ${step} op ${what}`;
    if (what < 4) {
      const batch = events(1 + int(20));
      const ids = store.outbox.append(batch);
      assert.equal(ids.length, batch.length, where);
      for (const [i, id] of ids.entries()) {
        assert.ok(id > maxId, `${where}: id ${id} not above ${maxId}`);
        maxId = id;
        model.push({ id, event: batch[i]! });
      }
    } else if (what < 6) {
      const picked = model.filter(() => rand() < 0.4).map((r) => r.id);
      store.outbox.ack([...picked, maxId + 1 + int(5)]);
      model = model.filter((r) => !picked.includes(r.id));
    } else if (what === 6) {
      const n = int(8);
      const dropped = model.slice(0, n);
      assert.deepEqual(
        store.outbox.dropOldest(n),
        {
          rows: dropped.length,
          bytes: dropped.reduce((b, r) => b + outboxBytes(r.event), 0),
        },
        where,
      );
      model = model.slice(n);
    } else if (what < 9) {
      // Appends, acks and drops that are rolled back leave no trace; their ids were never
      // visible to a reader and may be handed out again.
      assert.throws(
        () =>
          store.transaction(() => {
            store.outbox.append(events(1 + int(10)));
            store.outbox.ack(model.slice(0, int(4)).map((r) => r.id));
            store.outbox.dropOldest(int(3));
            throw new Error("rollback");
          }),
        /rollback/,
      );
    } else {
      store.close();
      store = openStore({ path });
    }
    const stats = store.outbox.stats();
    assert.deepEqual(
      stats,
      {
        rows: model.length,
        bytes: model.reduce((b, r) => b + outboxBytes(r.event), 0),
        oldestObservedAt: model[0]?.event.observedAt,
      },
      where,
    );
  }
  const rows = store.outbox.read(0, 100_000);
  assert.deepEqual(
    rows.map((r) => r.id),
    model.map((r) => r.id),
    `seed ${seed}`,
  );
  for (const [i, r] of rows.entries()) {
    const e = model[i]!.event;
    assert.equal(r.msgId, e.msgId, `seed ${seed}`);
    assert.deepEqual(new Uint8Array(r.body), e.body, `seed ${seed}`);
    assert.deepEqual({ ...r.headers }, e.headers, `seed ${seed}`);
  }
  const afterSome = model[Math.floor(model.length / 2)]?.id ?? 0;
  assert.deepEqual(
    store.outbox.read(afterSome, 7).map((r) => r.id),
    model
      .filter((r) => r.id > afterSome)
      .slice(0, 7)
      .map((r) => r.id),
    `seed ${seed}`,
  );
});
