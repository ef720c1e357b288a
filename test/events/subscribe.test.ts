import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import type { ResourceId } from "../../src/kube/index.ts";
import { resourceEventType, type ChangeType } from "../../src/events/event-types.ts";
import { ensureStream } from "../../src/events/stream.ts";
import { helmSubject, resourceSubject } from "../../src/events/subject.ts";
import { subscribe, subscribeHelm, type ReceivedEvent } from "../../src/events/subscribe.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

const STREAM = "EVENTS";
const DEPLOYMENTS: ResourceId = { group: "apps", version: "v1", resource: "deployments" };
const PODS: ResourceId = { group: "", version: "v1", resource: "pods" };
const NAMESPACES: ResourceId = { group: "", version: "v1", resource: "namespaces" };

interface Sent {
  resource: ResourceId;
  namespace: string;
  name: string;
  type: ChangeType;
  /** Leave out this `ce-*` header. */
  omit?: string;
  /** Replace the JSON body with these bytes. */
  rawBody?: string;
  /** More headers (e.g. `ce-omitted`). */
  extra?: Record<string, string>;
}

let nc: NatsConnection;
let seq = 0;

async function publish(event: Sent): Promise<number> {
  const subject = resourceSubject({ prefix: "kl", cluster: "prod", ...event });
  const h = headers();
  const id = `uid-${event.name}:${++seq}:${event.type}`;
  const ce: Record<string, string> = {
    "ce-specversion": "1.0",
    "ce-id": id,
    "ce-type": resourceEventType(event.type),
    "ce-source": "prod",
    "ce-subject": `${event.namespace}/${event.name}`,
    "ce-time": new Date(1_700_000_000_000 + seq).toISOString(),
    "content-type": "application/json",
  };
  for (const [key, value] of Object.entries(ce)) if (key !== event.omit) h.set(key, value);
  for (const [key, value] of Object.entries(event.extra ?? {})) h.set(key, value);
  const body = event.rawBody ?? JSON.stringify(bodyOf(event));
  const ack = await jetstream(nc).publish(subject, body, { headers: h, msgID: id });
  return ack.seq;
}

function bodyOf(event: Sent): Record<string, unknown> {
  return {
    apiVersion: event.resource.group === "" ? "v1" : `${event.resource.group}/v1`,
    kind: "X",
    namespace: event.namespace,
    name: event.name,
    uid: `uid-${event.name}`,
    resourceVersion: String(seq),
    object: { metadata: { name: event.name } },
  };
}

/** Iterates until nothing arrived for `idleMs`, then aborts: also proves abort ends the loop. */
async function collect<T>(
  read: (signal: AbortSignal) => AsyncIterable<T>,
  idleMs = 400,
): Promise<T[]> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), idleMs * 3);
  const out: T[] = [];
  try {
    for await (const item of read(controller.signal)) {
      out.push(item);
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), idleMs);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function consumerCount(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.consumers.list(STREAM).next()).length;
}

const summary = (e: ReceivedEvent): string =>
  `${e.sequence}:${e.body.namespace}/${e.body.name}:${e.type}`;

void describe("subscribe", () => {
  const seqs: Record<string, number> = {};
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    // One server for the suite; its cleanup runs in the suite's after hook.
    const server = await startNatsServer({ after: (fn) => cleanups.push(fn) });
    nc = await connect({ servers: server.url });
    cleanups.unshift(() => nc.close());
    await ensureStream(nc, {
      name: STREAM,
      subjects: ["kl.>"],
      maxAgeMs: 0,
      maxBytes: -1,
      duplicateWindowMs: 60_000,
    });
    const events: [string, Sent][] = [
      ["apiAdded", { resource: DEPLOYMENTS, namespace: "payments", name: "api", type: "added" }],
      [
        "apiModified",
        { resource: DEPLOYMENTS, namespace: "payments", name: "api", type: "modified" },
      ],
      ["podAdded", { resource: PODS, namespace: "payments", name: "p.1", type: "added" }],
      ["webDeleted", { resource: DEPLOYMENTS, namespace: "other", name: "web", type: "deleted" }],
      ["nsAdded", { resource: NAMESPACES, namespace: "", name: "payments", type: "added" }],
      [
        "noId",
        { resource: DEPLOYMENTS, namespace: "payments", name: "x", type: "added", omit: "ce-id" },
      ],
      [
        "noTime",
        { resource: DEPLOYMENTS, namespace: "payments", name: "x", type: "added", omit: "ce-time" },
      ],
      [
        "badJson",
        {
          resource: DEPLOYMENTS,
          namespace: "payments",
          name: "y",
          type: "added",
          rawBody: "{nope",
        },
      ],
      [
        "notEvent",
        { resource: DEPLOYMENTS, namespace: "payments", name: "z", type: "added", rawBody: "[1]" },
      ],
      [
        "apiDeleted",
        { resource: DEPLOYMENTS, namespace: "payments", name: "api", type: "deleted" },
      ],
    ];
    for (const [key, event] of events) seqs[key] = await publish(event); // oxlint-disable-line eslint/no-await-in-loop
  });
  after(async () => {
    for (const fn of cleanups) await fn(); // oxlint-disable-line eslint/no-await-in-loop
    await assertNoActiveHandles();
  });

  void test("filters by resource and namespace, skipping messages without headers or a valid body", async () => {
    const got = await collect((signal) =>
      subscribe(nc, {
        stream: STREAM,
        prefix: "kl",
        resource: DEPLOYMENTS,
        namespace: "payments",
        signal,
      }),
    );
    assert.deepEqual(got.map(summary), [
      `${seqs["apiAdded"]}:payments/api:added`,
      `${seqs["apiModified"]}:payments/api:modified`,
      `${seqs["apiDeleted"]}:payments/api:deleted`,
    ]);
    const first = got[0];
    assert.ok(first !== undefined);
    assert.equal(first.subject, "kl.prod.apps.v1.deployments.payments.api.added");
    assert.equal(first.source, "prod");
    assert.match(first.id, /^uid-api:\d+:added$/);
    assert.match(first.time, /^2023-11-14T/);
    assert.deepEqual(first.body.object, { metadata: { name: "api" } });
    assert.equal(await consumerCount(), 0, "the consumer is deleted when the iteration ends");
  });

  void test("several types become a wildcard subject and the others are dropped", async () => {
    const got = await collect((signal) =>
      subscribe(nc, {
        stream: STREAM,
        prefix: "kl",
        resource: DEPLOYMENTS,
        types: ["added", "deleted"],
        signal,
      }),
    );
    assert.deepEqual(got.map(summary), [
      `${seqs["apiAdded"]}:payments/api:added`,
      `${seqs["webDeleted"]}:other/web:deleted`,
      `${seqs["apiDeleted"]}:payments/api:deleted`,
    ]);
    const modified = await collect((signal) =>
      subscribe(nc, { stream: STREAM, prefix: "kl", cluster: "prod", types: ["modified"], signal }),
    );
    assert.deepEqual(modified.map(summary), [`${seqs["apiModified"]}:payments/api:modified`]);
  });

  void test('namespace "" selects cluster-scoped objects; name selects one object', async () => {
    const scoped = await collect((signal) =>
      subscribe(nc, { stream: STREAM, prefix: "kl", namespace: "", signal }),
    );
    assert.deepEqual(scoped.map(summary), [`${seqs["nsAdded"]}:/payments:added`]);
    const pod = await collect((signal) =>
      subscribe(nc, { stream: STREAM, prefix: "kl", name: "p.1", signal }),
    );
    assert.deepEqual(pod.map(summary), [`${seqs["podAdded"]}:payments/p.1:added`]);
  });

  void test("deliver from a sequence, from a time, and only new events", async () => {
    const fromSeq = await collect((signal) =>
      subscribe(nc, {
        stream: STREAM,
        prefix: "kl",
        resource: DEPLOYMENTS,
        deliver: { sequence: seqs["webDeleted"] ?? 0 },
        signal,
      }),
    );
    assert.deepEqual(
      fromSeq.map((e) => e.sequence),
      [seqs["webDeleted"], seqs["apiDeleted"]],
    );

    const controller = new AbortController();
    const iterator = subscribe(nc, {
      stream: STREAM,
      prefix: "kl",
      deliver: "new",
      signal: controller.signal,
    })[Symbol.asyncIterator]();
    const next = iterator.next();
    while ((await consumerCount()) === 0) await new Promise((resolve) => setTimeout(resolve, 20)); // oxlint-disable-line eslint/no-await-in-loop
    const since = new Date();
    const newSeq = await publish({
      resource: PODS,
      namespace: "payments",
      name: "late",
      type: "modified",
    });
    const first = await next;
    assert.equal(first.done, false);
    assert.equal(first.value?.sequence, newSeq, "only the event published after subscribing");
    controller.abort();
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });

    const fromTime = await collect((signal) =>
      subscribe(nc, { stream: STREAM, prefix: "kl", deliver: { time: since }, signal }),
    );
    assert.deepEqual(
      fromTime.map((e) => e.sequence),
      [newSeq],
    );
  });

  void test("an event sent without its body (ce-omitted: data) comes with its identity and omitted", async () => {
    const sequence = await publish({
      resource: DEPLOYMENTS,
      namespace: "payments",
      name: "huge.v2",
      type: "modified",
      rawBody: "null",
      extra: { "ce-omitted": "data" },
    });
    const got = await collect((signal) =>
      subscribe(nc, { stream: STREAM, prefix: "kl", deliver: { sequence }, signal }),
    );
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]?.omitted, ["data"]);
    assert.deepEqual(got[0]?.body, {
      apiVersion: "apps/v1",
      kind: "",
      namespace: "payments",
      name: "huge.v2",
      uid: "uid-huge.v2",
      resourceVersion: String(seq),
    });
  });

  void test("abort ends a waiting iteration cleanly; an aborted signal yields nothing", async () => {
    const controller = new AbortController();
    const done = (async () => {
      const got: ReceivedEvent[] = [];
      for await (const e of subscribe(nc, {
        stream: STREAM,
        prefix: "kl",
        cluster: "nowhere",
        signal: controller.signal,
      })) {
        got.push(e);
      }
      return got;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    controller.abort();
    assert.deepEqual(await done, []);
    assert.ok(Date.now() - started < 2000);
    const none = subscribe(nc, { stream: STREAM, prefix: "kl", signal: AbortSignal.abort() });
    assert.deepEqual(await none[Symbol.asyncIterator]().next(), { done: true, value: undefined });
    assert.equal(await consumerCount(), 0);
  });

  void test("subscribeHelm reads Helm findings events by release", async () => {
    for (const release of ["my.app", "other"]) {
      const h = headers();
      h.set("ce-id", `helm-${release}`);
      h.set("ce-type", "io.kube-lookout.helm.findings.changed");
      h.set("ce-source", "prod");
      h.set("ce-time", "2026-01-01T00:00:00.000Z");
      // oxlint-disable-next-line eslint/no-await-in-loop -- in order
      await jetstream(nc).publish(
        helmSubject({ prefix: "kl", cluster: "prod", namespace: "web", release }),
        JSON.stringify({ release }),
        {
          headers: h,
        },
      );
    }
    const got = await collect((signal) =>
      subscribeHelm(nc, { stream: STREAM, prefix: "kl", release: "my.app", signal }),
    );
    assert.equal(got.length, 1);
    assert.equal(got[0]?.subject, "kl.prod.helm.web.my%2Eapp");
    assert.equal(got[0]?.id, "helm-my.app");
    assert.deepEqual(got[0]?.body, { release: "my.app" });
  });

  void test("a missing stream and a bad filter are typed errors", async () => {
    await assert.rejects(subscribe(nc, { stream: "MISSING", prefix: "kl" }).next(), {
      code: "LOOKOUT_EVENTS_STREAM_FAILED",
    });
    await assert.rejects(subscribe(nc, { stream: STREAM, prefix: "kl.*" }).next(), {
      code: "LOOKOUT_EVENTS_INVALID_SUBJECT",
    });
  });
});

/** Publishes an `added` event of pod `a/<name>` on `conn`; resolves with its stream sequence. */
async function publishPodAdded(conn: NatsConnection, name: string): Promise<number> {
  const h = headers();
  h.set("ce-specversion", "1.0");
  h.set("ce-id", `uid-${name}:1:added`);
  h.set("ce-type", resourceEventType("added"));
  h.set("ce-source", "prod");
  h.set("ce-time", new Date().toISOString());
  const subject = resourceSubject({
    prefix: "kl",
    cluster: "prod",
    resource: PODS,
    namespace: "a",
    name,
    type: "added",
  });
  const body = JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    namespace: "a",
    name,
    uid: `uid-${name}`,
    resourceVersion: "1",
    object: {},
  });
  return (await jetstream(conn).publish(subject, body, { headers: h })).seq;
}

void test("deliver { time }: a subscription still receives after the server restarts (its consumer is recreated)", async (t) => {
  const server = await startNatsServer({ after: (fn) => t.after(fn) });
  const conn = await connect({
    servers: server.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  t.after(() => conn.close());
  await ensureStream(conn, {
    name: "RESTART",
    subjects: ["kl.>"],
    maxAgeMs: 0,
    maxBytes: -1,
    duplicateWindowMs: 60_000,
  });
  const publishOne = (name: string): Promise<number> => publishPodAdded(conn, name);
  await publishOne("before");
  const since = new Date(Date.now() + 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const controller = new AbortController();
  t.after(() => controller.abort());
  const iterator = subscribe(conn, {
    stream: "RESTART",
    prefix: "kl",
    deliver: { time: since },
    signal: controller.signal,
  })[Symbol.asyncIterator]();
  const first = iterator.next();
  const jsm = await jetstreamManager(conn);
  const consumers = async (): Promise<number> =>
    (await jsm.consumers.list("RESTART").next()).length;
  // oxlint-disable-next-line eslint/no-await-in-loop -- until the subscription's consumer exists
  while ((await consumers()) === 0) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((r) => setTimeout(r, 20));
  }
  await server.stop();
  await server.start();
  // The client reconnects and JetStream recovers its store: publish once it answers.
  let late = 0;
  for (let attempt = 0; late === 0; attempt++) {
    try {
      // oxlint-disable-next-line eslint/no-await-in-loop -- retried until the server is back
      late = await publishOne("after");
    } catch (err) {
      if (attempt >= 40) throw err;
      // oxlint-disable-next-line eslint/no-await-in-loop -- backoff between attempts
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const got = await Promise.race([
    first,
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000).unref()),
  ]);
  assert.notEqual(got, "timeout", "nothing arrived within 30 s of the restart");
  assert.equal(got !== "timeout" && got.done === false ? got.value.sequence : undefined, late);
});

void test("a stream deleted and created again under a subscription: every message of the new stream arrives, in order", async (t) => {
  const server = await startNatsServer({ after: (fn) => t.after(fn) });
  const conn = await connect({ servers: server.url });
  t.after(() => conn.close());
  const config = {
    name: "RECREATED",
    subjects: ["kl.>"],
    maxAgeMs: 0,
    maxBytes: -1,
    duplicateWindowMs: 60_000,
  };
  await ensureStream(conn, config);
  const publishOne = (name: string): Promise<number> => publishPodAdded(conn, name);
  for (const name of ["old-1", "old-2", "old-3"]) await publishOne(name); // oxlint-disable-line eslint/no-await-in-loop
  const controller = new AbortController();
  t.after(() => controller.abort());
  const iterator = subscribe(conn, {
    stream: "RECREATED",
    prefix: "kl",
    signal: controller.signal,
  })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const got = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000).unref()),
    ]);
    if (got === "timeout") return "timeout";
    return got.done === true ? "done" : `${got.value.sequence}:${got.value.body.name}`;
  };
  const old: string[] = [];
  for (let i = 0; i < 3; i++) old.push(await next()); // oxlint-disable-line eslint/no-await-in-loop
  assert.deepEqual(old, ["1:old-1", "2:old-2", "3:old-3"]);

  const jsm = await jetstreamManager(conn);
  await jsm.streams.delete("RECREATED");
  await ensureStream(conn, config);
  const names = ["new-1", "new-2", "new-3", "new-4", "new-5"];
  for (const name of names) await publishOne(name); // oxlint-disable-line eslint/no-await-in-loop
  const afterwards: string[] = [];
  for (let i = 0; i < names.length; i++) afterwards.push(await next()); // oxlint-disable-line eslint/no-await-in-loop
  assert.deepEqual(
    afterwards,
    names.map((name, i) => `${i + 1}:${name}`),
  );

  // Deleted again and gone for a while: the subscriptions wait for it, then read it whole; one
  // that asked for new events only (from sequence 6 of the stream it started on) too.
  const onlyNew = subscribe(conn, {
    stream: "RECREATED",
    prefix: "kl",
    deliver: "new",
    signal: controller.signal,
  })[Symbol.asyncIterator]();
  const firstNew = onlyNew.next();
  // oxlint-disable-next-line eslint/no-await-in-loop -- until both subscriptions' consumers exist
  while ((await jsm.consumers.list("RECREATED").next()).length < 2) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await jsm.streams.delete("RECREATED");
  await new Promise((resolve) => setTimeout(resolve, 700));
  await ensureStream(conn, config);
  await publishOne("third-1");
  await publishOne("third-2");
  assert.deepEqual([await next(), await next()], ["1:third-1", "2:third-2"]);
  const got = [await firstNew, await onlyNew.next()].map((r) =>
    r.done === true ? "done" : `${r.value.sequence}:${r.value.body.name}`,
  );
  assert.deepEqual(got, ["1:third-1", "2:third-2"]);
});
