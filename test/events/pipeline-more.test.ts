/**
 * The event pipeline's other paths, end to end: a relist after 410, Helm findings events, core
 * NATS mode, the outbox bound (block and drop-oldest), a corrupt state file at start.
 */
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  EventMetricNames,
  subscribe,
  subscribeHelm,
  type EventPipeline,
} from "../../src/events/index.ts";
import { findInstrument } from "../../src/telemetry/index.ts";
import { testMetrics } from "../support/metrics.ts";
import {
  CLUSTER,
  PREFIX,
  STREAM,
  churn,
  idOf,
  readStream,
  seeded,
  startPipeline,
  waitForStream,
  eventsSetup,
} from "./pipeline-support.ts";
import { until } from "../support/lookout-setup.ts";

const setup = eventsSetup;

void test("missed watch events and a 410: the relist's diff gives the latest state of each changed object, once", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  const rand = seeded(3);
  const first = churn(sim, rand, 40);
  await waitForStream(nats.url, first.length);
  // The watch loses the next changes, then its history is compacted: the informer relists.
  sim.faults.dropEvents({ count: 1000 });
  const missed = churn(sim, rand, 30);
  sim.faults.compact();
  sim.faults.closeWatches();
  // The relist's differences arrive: the last event of every object is its state (polled).
  const settled = (
    messages: readonly { key: string; type: string; uid: string; resourceVersion: string }[],
  ) => {
    const last = new Map<string, (typeof messages)[number]>();
    for (const m of messages) last.set(m.key, m);
    const live = new Map<string, { uid: string; rv: string }>();
    for (const res of ["configmaps", "secrets"] as const) {
      for (const o of sim.list(res)) {
        live.set(`${res}/${o.metadata.namespace}/${o.metadata.name}`, {
          uid: o.metadata.uid!,
          rv: o.metadata.resourceVersion!,
        });
      }
    }
    for (const [key, want] of live) {
      const m = last.get(key);
      if (m === undefined || m.type === "deleted" || m.uid !== want.uid) return `${key} missing`;
      if (m.resourceVersion !== want.rv) return `${key} at ${m.resourceVersion}, not ${want.rv}`;
    }
    for (const [key, m] of last)
      if (!live.has(key) && m.type !== "deleted") return `${key} not deleted`;
    return "";
  };
  let messages = await readStream(nats.url);
  const deadline = Date.now() + 20_000;
  while (settled(messages) !== "" && Date.now() < deadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    await sleep(200);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the stream
    messages = await readStream(nats.url);
  }
  assert.equal(settled(messages), "", "every object's last event is its state");
  const ids = messages.map(idOf);
  assert.equal(new Set(ids).size, ids.length, "nothing twice");
  assert.ok(missed.length > 0);
});

void test("Helm findings changes go out on <prefix>.<cluster>.helm.<namespace>.<release>, deduplicated", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  const finding = { kind: "Ingress", apiVersion: "networking.k8s.io/v1beta1", target: "v1.22.0" };
  running.pipeline.recordHelm({
    namespace: "shop",
    release: "web",
    revision: 2,
    findings: [finding],
    at: Date.UTC(2026, 10, 23),
  });
  // The same change again (its outbox row re-sent after a restart) is dropped by JetStream; the
  // same state at another time would be a new change (an uninstall and a reinstall), kept.
  running.pipeline.recordHelm({
    namespace: "shop",
    release: "web",
    revision: 2,
    findings: [finding],
    at: Date.UTC(2026, 10, 23),
  });
  running.pipeline.recordHelm({
    namespace: "shop",
    release: "web",
    revision: undefined,
    findings: [],
    at: Date.UTC(2026, 10, 23, 2),
  });
  await waitForStream(nats.url, 2);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const abort = new AbortController();
  const got: { subject: string; body: unknown }[] = [];
  for await (const e of subscribeHelm(nc, {
    stream: STREAM,
    prefix: PREFIX,
    cluster: CLUSTER,
    deliver: "all",
    signal: abort.signal,
  })) {
    got.push({ subject: e.subject, body: e.body });
    if (got.length === 2) abort.abort();
  }
  assert.deepEqual(
    got.map((g) => g.subject),
    [`${PREFIX}.${CLUSTER}.helm.shop.web`, `${PREFIX}.${CLUSTER}.helm.shop.web`],
  );
  assert.deepEqual(got[0]!.body, {
    namespace: "shop",
    release: "web",
    revision: 2,
    findings: [finding],
  });
  assert.deepEqual(got[1]!.body, {
    namespace: "shop",
    release: "web",
    revision: null,
    findings: [],
  });
  assert.equal(running.pipeline.counters.duplicates, 1, "the repeat was a JetStream duplicate");
});

void test("core NATS mode publishes without JetStream acks (at most once) and drains the outbox", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const seen: string[] = [];
  const sub = nc.subscribe(`${PREFIX}.>`, {
    callback: (_err, msg) => {
      seen.push(msg.headers?.get("ce-id") ?? "");
    },
  });
  t.after(() => sub.unsubscribe());
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    pipeline: { mode: "core" },
  });
  t.after(() => running.close());
  const made = churn(sim, seeded(5), 30);
  const deadline = Date.now() + 10_000;
  while (seen.length < made.length && Date.now() < deadline) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(50);
  }
  assert.deepEqual([...seen].sort(), made.map(idOf).sort());
  // Rows are deleted once the publishes are flushed, maybe after the subscriber has them all.
  await until("the outbox to drain", () => running.store.outbox.stats().rows === 0, 5_000);
});

/** A pipeline with NATS stopped and the outbox bounded to `maxOutboxRows` (block policy). */
async function blockedPipeline(t: { after(fn: () => unknown): void }, maxOutboxRows: number) {
  const { sim, nats, dbPath } = await setup(t);
  await nats.stop();
  const blocked: number[] = [];
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    pipeline: { maxOutboxRows, onPressure: (what, n) => what === "blocked" && blocked.push(n) },
  });
  t.after(() => running.close());
  return { sim, nats, running, blocked };
}

void test("outbox bound, block policy: ingestion waits while NATS is down, nothing is lost", async (t) => {
  const { sim, nats, running, blocked } = await blockedPipeline(t, 20);
  const made = churn(sim, seeded(9), 60);
  await sleep(400);
  assert.ok(running.store.outbox.stats().rows <= 20, "the bound holds");
  assert.ok(blocked.length > 0, "the pressure was reported");
  await nats.start();
  await waitForStream(nats.url, made.length, 20_000);
  const messages = await readStream(nats.url);
  assert.deepEqual(messages.map(idOf).sort(), made.map(idOf).sort());
});

void test("outbox bound, drop-oldest policy: the oldest events are dropped and counted", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  await nats.stop();
  let dropped = 0;
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    pipeline: {
      maxOutboxRows: 20,
      fullPolicy: "drop-oldest",
      onPressure: (what, n) => {
        if (what === "dropped") dropped += n;
      },
    },
  });
  t.after(() => running.close());
  const made = churn(sim, seeded(13), 60);
  await sleep(400);
  assert.ok(running.store.outbox.stats().rows <= 20);
  await nats.start();
  await waitForStream(nats.url, made.length - dropped, 20_000);
  const messages = await readStream(nats.url);
  assert.ok(dropped > 0, "some were dropped");
  assert.equal(messages.length, made.length - dropped, "all but the dropped ones arrive");
  const all = new Set(made.map(idOf));
  for (const m of messages) assert.ok(all.has(idOf(m)), `${idOf(m)} is a change made`);
});

void test("a corrupt state file is moved aside and rebuilt: every object is announced again as added, nothing twice", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  let running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  const made = churn(sim, seeded(17), 30);
  await waitForStream(nats.url, made.length);
  await running.close();
  await writeFile(dbPath, "this is not a database, it is a corrupt file ".repeat(100));
  await rm(`${dbPath}-wal`, { force: true });
  await rm(`${dbPath}-shm`, { force: true });
  running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  assert.equal(running.store.recovered, true);
  // The state at the restart: what the re-announcements must carry.
  const atRestart = new Map<string, string>();
  for (const r of ["configmaps", "secrets"]) {
    for (const o of sim.list(r)) atRestart.set(o.metadata.uid!, o.metadata.resourceVersion!);
  }
  const more = churn(sim, seeded(19), 10);
  await waitForStream(nats.url, made.length + more.length);
  const messages = await readStream(nats.url);
  const ids = messages.map(idOf);
  assert.equal(new Set(ids).size, ids.length, "nothing twice");
  const got = new Set(ids);
  for (const c of [...made, ...more]) assert.ok(got.has(idOf(c)), `${idOf(c)} arrived`);
  // With its state lost, the sidecar announces every live object as added at its current
  // version: the ones it had announced so already are dropped by JetStream's duplicate window.
  const expected = new Set([...made, ...more].map(idOf));
  for (const m of messages) {
    if (expected.has(idOf(m))) continue;
    assert.equal(m.type, "added", `${idOf(m)} is a re-announcement`);
    assert.equal(atRestart.get(m.uid), m.resourceVersion, `${idOf(m)} is the state at restart`);
  }
  assert.equal(running.pipeline.counters.duplicates > 0, true, "announcements already made");
});

void test("updates of status only (when asked) and of managedFields/resourceVersion only are not published", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    pipeline: { dropStatusOnly: true },
  });
  t.after(() => running.close());
  const cm = sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
    data: { a: "1" },
  });
  const noise = sim.patch("configmaps", "a", "c", {
    metadata: { managedFields: [{ manager: "kubectl", operation: "Update" }] },
  });
  const status = sim.patch("configmaps", "a", "c", { status: { phase: "Ready" } });
  const real = sim.patch("configmaps", "a", "c", { data: { a: "2" } });
  assert.ok(Number(noise.metadata.resourceVersion) > Number(cm.metadata.resourceVersion));
  assert.ok(Number(status.metadata.resourceVersion) > Number(noise.metadata.resourceVersion));
  await waitForStream(nats.url, 2);
  const messages = await readStream(nats.url);
  assert.deepEqual(
    messages.map((m) => `${m.type}@${m.resourceVersion}`),
    [`added@${cm.metadata.resourceVersion}`, `modified@${real.metadata.resourceVersion}`],
  );
  // The published patch starts from the state after the status change (the snapshot moved on).
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const abort = new AbortController();
  for await (const e of subscribe(nc, {
    stream: STREAM,
    prefix: PREFIX,
    types: ["modified"],
    deliver: "all",
    signal: abort.signal,
  })) {
    const ops = e.body.changes ?? [];
    assert.ok(ops.some((op) => op.op === "replace" && op.path === "/data/a"));
    assert.ok(!ops.some((op) => op.path.startsWith("/status")), "status is already in the base");
    abort.abort();
  }
});

void test("metrics: rows appended and delivered, the backlog and its age while NATS is down, the connection state", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const m = testMetrics(t);
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath,
    pipeline: { meterProvider: m.provider },
  });
  t.after(() => running.close());
  const value = async (name: string): Promise<number> =>
    (await m.points(name)).reduce((sum, p) => sum + Number(p.value), 0);
  const first = churn(sim, seeded(23), 20);
  await waitForStream(nats.url, first.length);
  assert.equal(await value(EventMetricNames.appended), first.length);
  assert.equal(await value(EventMetricNames.delivered), first.length);
  assert.equal(await value(EventMetricNames.backlog), 0);
  assert.equal(await value(EventMetricNames.connected), 1);
  const [duration] = await m.points(EventMetricNames.publishDuration);
  assert.equal(Reflect.get(Object(duration?.value), "count"), first.length);

  await nats.stop();
  const second = churn(sim, seeded(29), 10);
  await sleep(600);
  assert.equal(await value(EventMetricNames.connected), 0);
  assert.equal(await value(EventMetricNames.backlog), second.length);
  assert.ok((await value(EventMetricNames.backlogAge)) > 0.3, "the oldest row is waiting");
  await nats.start();
  await waitForStream(nats.url, first.length + second.length, 20_000);
  assert.equal(await value(EventMetricNames.delivered), first.length + second.length);
  // Every instrument the pipeline makes is in the catalogue (docs/metrics.md), as implemented.
  for (const name of Object.values(EventMetricNames)) {
    assert.equal(findInstrument(name)?.status, "implemented", name);
  }
});

void test("plugin publications go out with escaped tokens and their own ce-type, through the outbox", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  running.pipeline.publish(["metrics", "shop", "web.v2"], { cpu: 0.25 });
  running.pipeline.publish("metrics.shop.api", { cpu: 1 });
  assert.throws(() => running.pipeline.publish(["helm", "x"], {}), {
    code: "LOOKOUT_EVENTS_INVALID_SUBJECT",
  });
  assert.throws(() => running.pipeline.publish(["metrics", ""], {}), {
    code: "LOOKOUT_EVENTS_INVALID_SUBJECT",
  });
  await waitForStream(nats.url, 2);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const first = await jsm.streams.getMessage(STREAM, { seq: 1 });
  const second = await jsm.streams.getMessage(STREAM, { seq: 2 });
  assert.equal(first?.subject, `${PREFIX}.${CLUSTER}.metrics.shop.web%2Ev2`);
  assert.equal(first?.header.get("ce-type"), "io.kube-lookout.metrics");
  assert.equal(first?.header.get("ce-subject"), "shop/web.v2");
  assert.deepEqual(first?.json(), { cpu: 0.25 });
  assert.equal(second?.subject, `${PREFIX}.${CLUSTER}.metrics.shop.api`);
});

void test("a stream lost while running (deleted, or a server back without it) is created again; nothing is lost", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  const rand = seeded(11);
  const first = churn(sim, rand, 10);
  await waitForStream(nats.url, first.length);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM);
  // Publishes now find no stream ("no responders") until the relay ensures it again.
  const second = churn(sim, rand, 10);
  await waitForStream(nats.url, second.length);
  const stored = await readStream(nats.url);
  assert.deepEqual(stored.map(idOf).sort(), second.map(idOf).sort());
  await until("the outbox to drain", () => running.store.outbox.stats().rows === 0, 5_000);
});

/** Records the Helm findings of revision `revision` of release shop/web (one Ingress). */
function recordWebRevision(pipeline: Pick<EventPipeline, "recordHelm">, revision: number): void {
  pipeline.recordHelm({
    namespace: "shop",
    release: "web",
    revision,
    findings: [{ kind: "Ingress", revision }],
    at: Date.UTC(2026, 10, 23, 0, revision),
  });
}

/** The `revision` of the first `count` Helm events of the stream, in order (10 s at most). */
async function helmRevisions(
  t: { after(fn: () => unknown): void },
  natsUrl: string,
  count: number,
): Promise<unknown[]> {
  const nc = await connect({ servers: natsUrl });
  t.after(() => nc.close());
  const stop = new AbortController();
  const revisions: unknown[] = [];
  for await (const e of subscribeHelm(nc, {
    stream: STREAM,
    prefix: PREFIX,
    cluster: CLUSTER,
    deliver: "all",
    signal: AbortSignal.any([AbortSignal.timeout(10_000), stop.signal]),
  })) {
    revisions.push(Reflect.get(Object(e.body), "revision"));
    if (revisions.length === count) stop.abort();
  }
  return revisions;
}

void test("Helm findings events at the outbox bound are held, not lost, and go out in order once there is room", async (t) => {
  const { nats, running, blocked } = await blockedPipeline(t, 3);
  // Before, a full outbox made this throw (and the change was gone).
  for (let revision = 1; revision <= 8; revision++) recordWebRevision(running.pipeline, revision);
  assert.equal(running.store.outbox.stats().rows, 3, "the bound holds");
  assert.ok(blocked.length > 0, "the pressure was reported");
  await nats.start();
  await waitForStream(nats.url, 8, 20_000);
  assert.deepEqual(await helmRevisions(t, nats.url, 8), [1, 2, 3, 4, 5, 6, 7, 8]);
  await until("the outbox to drain", () => running.store.outbox.stats().rows === 0, 5_000);
});

void test("a Helm event recorded just as the held events are written goes out too (not left queued behind the ending loop)", async (t) => {
  const { nats, running } = await blockedPipeline(t, 3);
  const record = (revision: number): void => recordWebRevision(running.pipeline, revision);
  for (let revision = 1; revision <= 5; revision++) record(revision);
  assert.equal(running.store.outbox.stats().rows, 3, "4 and 5 are held");
  // When the held loop writes revision 5, its last held event, revision 6 is recorded in the
  // next microtask: after that write, before the loop has ended.
  const outbox = running.store.outbox;
  const append = outbox.append.bind(outbox);
  let armed = true;
  outbox.append = (events) => {
    const ids = append(events);
    const last = events.some((e) => Buffer.from(e.body).toString().includes('"revision":5'));
    if (armed && last) {
      armed = false;
      queueMicrotask(() => record(6));
    }
    return ids;
  };
  await nats.start();
  await waitForStream(nats.url, 6, 20_000);
  const revisions = await helmRevisions(t, nats.url, 6);
  assert.equal(armed, false, "revision 6 was recorded as the held events were written");
  assert.deepEqual(revisions, [1, 2, 3, 4, 5, 6]);
});

void test("two replicas, one down while objects are deleted: the deletion seen live and the one found at restart have one id", async (t) => {
  const { sim, nats, dbPath } = await setup(t);
  const CM = { group: "", version: "v1", resource: "configmaps" };
  for (const name of ["gone", "changed-then-gone", "kept"]) {
    sim.create(CM, { metadata: { name, namespace: "a" }, data: { v: "1" } });
  }
  const a = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => a.close());
  const dbB = `${dbPath}.replica-b`;
  let b = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath: dbB });
  t.after(() => b.close());
  await waitForStream(nats.url, 3);
  // Replica B stops; meanwhile A records an update, then the deletions (each has its own,
  // newer resourceVersion in the watch).
  await b.close();
  sim.patch(CM, "a", "changed-then-gone", { data: { v: "2" } });
  await waitForStream(nats.url, 4);
  sim.delete(CM, "a", "gone");
  sim.delete(CM, "a", "changed-then-gone");
  await waitForStream(nats.url, 6);
  // B comes back and finds both deletions in its catch-up, from its stored states.
  b = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath: dbB });
  t.after(() => b.close());
  const settled = await waitForStream(nats.url, 6, 20_000, 1500);
  const messages = await readStream(nats.url);
  const deletions = messages.filter((m) => m.type === "deleted");
  // "gone": both replicas last recorded the same state, so the two deletions are one message.
  // "changed-then-gone": B missed the update, so its deletion ends an older state: a second
  // message, told apart by its resourceVersion (what B knew), not a copy.
  assert.deepEqual(
    deletions.map((m) => m.key),
    ["configmaps/a/gone", "configmaps/a/changed-then-gone", "configmaps/a/changed-then-gone"],
  );
  assert.equal(settled, 7, messages.map(idOf).join("\n"));
  const added = new Map(messages.filter((m) => m.type === "added").map((m) => [m.key, m]));
  assert.equal(deletions[0]!.resourceVersion, added.get("configmaps/a/gone")!.resourceVersion);
  const update = messages.find((m) => m.type === "modified")!;
  assert.equal(deletions[1]!.resourceVersion, update.resourceVersion);
  assert.equal(
    deletions[2]!.resourceVersion,
    added.get("configmaps/a/changed-then-gone")!.resourceVersion,
  );
});
