/**
 * The relay's pacing (`OutboxRelay.paced`) against a real nats-server with JetStream and a
 * SQLite outbox on disk: a writer is asked to wait while the relay has more than 2,000 handed-over
 * rows left to publish, and let go once it is down to 500, or once the relay stops taking rows
 * in memory (NATS gone, closing), so that a writer never waits on a relay that cannot drain.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { OutboxRelay } from "../../src/events/relay.ts";
import { ensureStream } from "../../src/events/stream.ts";
import { silentLogger } from "../../src/logging/index.ts";
import { openStore, type LookoutStore, type OutboxInsert } from "../../src/store/index.ts";
import { until } from "../support/lookout-setup.ts";
import { startNatsServer, type NatsServerProcess } from "../support/nats-server.ts";

function insert(n: number): OutboxInsert {
  return {
    subject: `kl.pace.core.v1.configmaps.a.obj-${n}.modified`,
    msgId: `u${n}:1:modified`,
    orderKey: `v1/configmaps/a/obj-${n}`,
    headers: { "ce-id": `u${n}:1:modified` },
    body: Buffer.from(`{"n":${n}}`),
    observedAt: Date.now(),
  };
}

interface Setup {
  readonly nats: NatsServerProcess;
  readonly nc: NatsConnection;
  readonly store: LookoutStore;
  readonly relay: OutboxRelay;
  /** Appends `count` rows (numbered from `from`) and offers them, as a recorder's commit does. */
  readonly commit: (from: number, count: number) => void;
}

async function setup(t: { after(fn: () => unknown): void }): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), "kl-pace-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  t.after(() => nc.close());
  await ensureStream(nc, {
    name: "KL_PACE",
    subjects: ["kl.>"],
    maxAgeMs: 3_600_000,
    maxBytes: 256 * 1024 * 1024,
    duplicateWindowMs: 120_000,
  });
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const relay = new OutboxRelay({
    outbox: store.outbox,
    nats: {
      connection: () => (nc.isClosed() ? undefined : nc),
      waitForConnection: () => Promise.resolve(nc),
    },
    mode: "jetstream",
    maxInFlight: 64,
    readBatch: 1000,
    ackTimeoutMs: 1000,
    logger: silentLogger,
    now: Date.now,
  });
  t.after(() => relay.close());
  const commit = (from: number, count: number): void => {
    const inserts = Array.from({ length: count }, (_, i) => insert(from + i));
    const ids = store.outbox.append(inserts);
    relay.offer(ids.map((id, i) => Object.assign({ id }, inserts[i]!)));
  };
  relay.start();
  // The relay reads the (empty) table, then takes commits in memory: only then does it pace.
  commit(0, 1);
  await until("the first row's delivery", () => relay.counters.delivered === 1, 20_000);
  return { nats, nc, store, relay, commit };
}

void test("a writer waits while the relay has more than 2,000 rows to publish, until 500 are left", async (t) => {
  const { relay, commit } = await setup(t);
  commit(1, 1500);
  assert.equal(relay.paced(), undefined, "1,500 rows to publish: no wait");
  commit(1501, 1500);
  const wait = relay.paced();
  assert.ok(wait !== undefined, "3,000 rows to publish: the writer waits");
  assert.equal(relay.counters.delivered, 1, "nothing of the 3,000 was published yet");
  assert.equal(relay.paced(), wait, "every writer waits on the same promise");
  await wait;
  const delivered = relay.counters.delivered;
  // Let go at 500 left (less up to 64 publishes in flight), not when everything is out.
  assert.ok(delivered >= 1 + 2500 - 64, `${delivered} delivered when the wait ended`);
  assert.ok(delivered < 3001, `${delivered}: let go before the last rows were acknowledged`);
  assert.equal(relay.paced(), undefined, "at most 500 left: no wait");
  await until("every row's delivery", () => relay.counters.delivered === 3001, 20_000);
});

void test("a waiting writer is let go when NATS goes away, and is not asked to wait while it is away", async (t) => {
  const { nats, relay, commit, store } = await setup(t);
  await nats.stop();
  commit(1, 3000);
  const wait = relay.paced();
  assert.ok(wait !== undefined, "the relay has not failed yet: the writer waits");
  // The first publish fails (no server): the relay falls back to the table and lets go.
  await wait;
  assert.equal(relay.paced(), undefined, "while NATS is away the outbox table holds the backlog");
  commit(3001, 3000);
  assert.equal(relay.paced(), undefined, "more rows while away: still no wait");
  assert.equal(store.outbox.stats().rows, 6000, "every row is kept in the outbox");
  await nats.start();
  await until(
    "every row's delivery after NATS is back",
    () => store.outbox.stats().rows === 0,
    20_000,
  );
  assert.ok(relay.counters.delivered >= 6001);
});

void test("closing the relay lets a waiting writer go", async (t) => {
  const { relay, commit } = await setup(t);
  commit(1, 3000);
  const wait = relay.paced();
  assert.ok(wait !== undefined);
  const closing = relay.close();
  await wait;
  // Let go by the close, not by the drain: no acknowledgement can have come in yet.
  assert.equal(relay.counters.delivered, 1);
  assert.equal(relay.paced(), undefined);
  await closing;
});
