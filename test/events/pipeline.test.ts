/**
 * The event pipeline end to end: the simulator, a real nats-server with JetStream, SQLite files.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  churn,
  idOf,
  readStream,
  seeded,
  startPipeline,
  waitForStream,
  type MadeChange,
  type StoredMessage,
  eventsSetup,
} from "./pipeline-support.ts";
import { until } from "../support/lookout-setup.ts";

const setup = eventsSetup;

/** Churn in bursts with pauses, so changes interleave with batches and publishes. */
async function churnInBursts(
  sim: Parameters<typeof churn>[0],
  rand: () => number,
  bursts: number,
  perBurst: number,
  between?: (burst: number) => Promise<void>,
): Promise<MadeChange[]> {
  const made: MadeChange[] = [];
  for (let b = 0; b < bursts; b++) {
    made.push(...churn(sim, rand, perBurst));
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
    await sleep(15);
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
    await between?.(b);
  }
  return made;
}

/** The stream holds exactly the changes made: says what is missing and what is extra. */
function assertSameChanges(
  messages: readonly StoredMessage[],
  made: readonly MadeChange[],
  what: string,
): void {
  const got = messages.map(idOf);
  const want = made.map(idOf);
  const gotSet = new Set(got);
  const wantSet = new Set(want);
  const missing = want.filter((x) => !gotSet.has(x));
  const extra = got.filter((x) => !wantSet.has(x));
  const uids = new Set(missing.map((m) => m.split(":")[0]));
  const context = made.filter((m) => uids.has(m.uid)).map((m) => `${idOf(m)} ${m.key}`);
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `${what}\n${context.join("\n")}`,
  );
  assert.equal(got.length, want.length, `${what}: as many messages as changes`);
}

/** Each object's messages are in resourceVersion order, and no msgId repeats. */
function assertOrderedAndUnique(messages: readonly StoredMessage[]): void {
  const ids = messages.map((m) => m.msgId);
  assert.equal(new Set(ids).size, ids.length, "no message twice");
  const lastRv = new Map<string, number>();
  for (const m of messages) {
    const rv = Number(m.resourceVersion);
    const prev = lastRv.get(m.key);
    if (prev !== undefined) assert.ok(rv >= prev, `${m.key}: rv ${rv} after ${prev}`);
    lastRv.set(m.key, rv);
  }
}

function assertNoSecretBytes(messages: readonly StoredMessage[], made: readonly string[]): void {
  const wire = Buffer.concat(messages.map((m) => m.raw));
  for (const value of made) {
    for (const form of [value, Buffer.from(value).toString("base64")]) {
      assert.equal(wire.indexOf(form), -1, `secret value on the wire as ${form}`);
    }
  }
}

function secretValuesOf(sim: Parameters<typeof churn>[0]): string[] {
  return sim.list("secrets").flatMap((s) => {
    const data: unknown = s["data"];
    if (typeof data !== "object" || data === null) return [];
    return Object.values(data).map((v) => Buffer.from(String(v), "base64").toString());
  });
}

void test("every change arrives exactly once per (uid, rv, type), in order per object; no Secret value on the wire", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  const seed = Date.now() % 100_000;
  const rand = seeded(seed);
  const secrets = new Set<string>();
  const made = await churnInBursts(sim, rand, 20, 15, async () => {
    for (const v of secretValuesOf(sim)) secrets.add(v);
  });
  await waitForStream(nats.url, made.length);
  const messages = await readStream(nats.url);
  assertSameChanges(messages, made, `seed ${seed}`);
  assertOrderedAndUnique(messages);
  assertNoSecretBytes(messages, [...secrets]);
  await until("the outbox to drain", () => running.store.outbox.stats().rows === 0, 5_000);
});

void test("nats-server stopped during churn and started again: nothing lost, nothing duplicated", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  const seed = Date.now() % 100_000;
  const rand = seeded(seed);
  const made = await churnInBursts(sim, rand, 24, 10, async (burst) => {
    if (burst === 6) await nats.stop();
    if (burst === 16) {
      // The changes made while NATS is down wait in the outbox.
      await until("rows held in the outbox", () => running.store.outbox.stats().rows > 0, 5_000);
      await nats.start();
    }
  });
  await waitForStream(nats.url, made.length, 30_000);
  const messages = await readStream(nats.url);
  assertSameChanges(messages, made, `seed ${seed}`);
  assertOrderedAndUnique(messages);
});

void test("a restart publishes what changed while it was down, and nothing for unchanged objects", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const rand = seeded(7);
  let running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  const before = churn(sim, rand, 60);
  await waitForStream(nats.url, before.length);
  await running.close();
  // While down: one update, one delete, one create, and many untouched objects.
  const cms = sim.list("configmaps").filter((c) => c.metadata.namespace === "a");
  assert.ok(cms.length >= 2, "churn left ConfigMaps in namespace a");
  const [updated, deleted] = cms;
  const up = sim.patch("configmaps", "a", updated!.metadata.name!, { data: { while: "down" } });
  const del = sim.delete("configmaps", "a", deleted!.metadata.name!)!;
  const created = sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "born-while-down", namespace: "a" },
  });
  running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  await waitForStream(nats.url, before.length + 3);
  const messages = await readStream(nats.url);
  const after = messages.slice(before.length);
  assert.deepEqual(
    after.map((m) => `${m.type} ${m.key}`).sort(),
    [
      `added configmaps/a/born-while-down`,
      `deleted configmaps/a/${deleted!.metadata.name!}`,
      `modified configmaps/a/${updated!.metadata.name!}`,
    ].sort(),
  );
  const modified = after.find((m) => m.type === "modified")!;
  assert.equal(modified.resourceVersion, up.metadata.resourceVersion);
  const added = after.find((m) => m.type === "added")!;
  assert.equal(added.uid, created.metadata.uid);
  // The deletion was missed: the event carries the last state the sidecar stored.
  const gone = after.find((m) => m.type === "deleted")!;
  assert.equal(gone.uid, del.metadata.uid);
  assertOrderedAndUnique(messages);
});

void test("NATS unreachable at start and a tiny store: the watch goes on, clear errors, nothing lost", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  await nats.stop();
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    store: { maxSizeBytes: 512 * 1024 },
  });
  t.after(() => running.close());
  const rand = seeded(11);
  // Updates of 20 ConfigMaps of 4 KB: their snapshots fit in the 512 KiB bound, their events
  // (object and patch, 8 KB each) do not while nothing can be published.
  const made: MadeChange[] = [];
  for (let i = 0; i < 120; i++) {
    const name = `big-${i % 20}`;
    const data = { blob: `${i}-${"x".repeat(4000)}` };
    const existing = sim.get("configmaps", "a", name);
    const obj =
      existing === undefined
        ? sim.create("configmaps", {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name, namespace: "a" },
            data,
          })
        : sim.patch("configmaps", "a", name, { data });
    made.push({
      uid: obj.metadata.uid!,
      resourceVersion: obj.metadata.resourceVersion!,
      type: existing === undefined ? "added" : "modified",
      key: `configmaps/a/${name}`,
    });
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced churn
    await sleep(5);
  }
  made.push(...churn(sim, rand, 20));
  await sleep(500);
  assert.ok(running.store.outbox.stats().bytes <= 512 * 1024, "the bound holds");
  await nats.start();
  await waitForStream(nats.url, made.length, 30_000);
  const messages = await readStream(nats.url);
  assertSameChanges(messages, made, "after the outage");
  assertOrderedAndUnique(messages);
});
