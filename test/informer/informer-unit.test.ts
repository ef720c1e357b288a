/**
 * Delta logic, reflector decisions and lifecycle of the informer, driven through a test double
 * of our own ListWatchClient interface (fake-client.ts). HTTP behaviour is covered by the
 * simulator tests.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RawObject } from "../../src/kube/index.ts";
import {
  HandlerFailedError,
  Informer,
  type DeletedFinalStateUnknown,
} from "../../src/informer/index.ts";
import { EXPIRED_EVENT, FakeClient, apiError, codeOf, pod, until } from "./fake-client.ts";
import { fastTimers } from "./counting-timers.ts";
import { unitSuite } from "./unit-suite.ts";

const pods = { group: "", version: "v1", resource: "pods" } as const;

type Note =
  | { op: "add"; key: string; rv: string; initial: boolean }
  | { op: "update"; key: string; oldRv: string; rv: string }
  | { op: "delete"; key: string; rv: string; tombstone: boolean };

const noop = (): void => {};
const key = (o: RawObject): string => `${o.namespace}/${o.name}`;

function recorder(): { notes: Note[]; handler: Parameters<Informer["addEventHandler"]>[0] } {
  const notes: Note[] = [];
  return {
    notes,
    handler: {
      onAdd: (o, initial) =>
        void notes.push({ op: "add", key: key(o), rv: o.resourceVersion, initial }),
      onUpdate: (a, b) =>
        void notes.push({
          op: "update",
          key: key(b),
          oldRv: a.resourceVersion,
          rv: b.resourceVersion,
        }),
      onDelete: (o: RawObject | DeletedFinalStateUnknown) => {
        if ("type" in o && o.type === "DeletedFinalStateUnknown") {
          notes.push({ op: "delete", key: o.key, rv: o.object.resourceVersion, tombstone: true });
        } else if (!("type" in o)) {
          notes.push({ op: "delete", key: key(o), rv: o.resourceVersion, tombstone: false });
        }
      },
    },
  };
}

const make = unitSuite({ watchList: "off" });

void test("paged initial list at RV 0, then watch from the list RV with bookmarks and a 5-10 min timeout", async (t) => {
  const client = new FakeClient();
  for (let i = 0; i < 5; i++) client.set(pod("ns", `p${i}`, String(10 + i)));
  const informer = make(client, { pageSize: 2 });
  t.after(() => informer.close());
  const rec = recorder();
  const reg = informer.addEventHandler(rec.handler);
  assert.equal(informer.hasSynced(), false);
  void informer.start();
  await informer.waitForSync();
  assert.equal(informer.store.size, 5);
  assert.equal(informer.lastSyncResourceVersion, "100");
  assert.deepEqual(
    client.lists.map((l) => [l.limit, l.resourceVersion, l.continue]),
    [
      [2, "0", undefined],
      [2, undefined, "2"],
      [2, undefined, "4"],
    ],
  );
  assert.ok(client.lists.every((l) => l.stripManagedFields === true));
  const stream = await client.nextWatch(0);
  assert.equal(stream.options.resourceVersion, "100");
  assert.equal(stream.options.allowWatchBookmarks, true);
  assert.ok(stream.options.timeoutSeconds! >= 300 && stream.options.timeoutSeconds! <= 600);
  assert.equal(stream.options.stallTimeoutMs, 300_000);
  await until(() => reg.hasSynced(), 2000, "registration synced");
  assert.equal(rec.notes.length, 5);
  assert.ok(rec.notes.every((n) => n.op === "add" && n.initial));

  stream.push({ type: "MODIFIED", object: pod("ns", "p1", "101") });
  stream.push({ type: "ADDED", object: pod("ns", "new", "102") });
  stream.push({ type: "DELETED", object: pod("ns", "p2", "103") });
  stream.push({ type: "DELETED", object: pod("ns", "unknown", "104") });
  stream.push({ type: "BOOKMARK", resourceVersion: "110", initialEventsEnd: false });
  await until(() => informer.lastSyncResourceVersion === "110", 2000, "bookmark RV");
  await until(() => rec.notes.length === 8);
  assert.deepEqual(rec.notes.slice(5), [
    { op: "update", key: "ns/p1", oldRv: "11", rv: "101" },
    { op: "add", key: "ns/new", rv: "102", initial: false },
    { op: "delete", key: "ns/p2", rv: "103", tombstone: false },
  ]);
  assert.equal(informer.store.getByKey("ns", "p1")?.resourceVersion, "101");
  assert.equal(informer.store.get("ns/p2"), undefined);
  assert.deepEqual(
    informer.store
      .byIndex("namespace", "ns")
      .map((o) => o.name)
      .sort(),
    ["new", "p0", "p1", "p3", "p4"],
  );
});

void test("a clean close re-watches from the last RV without relisting", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const informer = make(client);
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "120") });
  await until(() => informer.lastSyncResourceVersion === "120");
  // Keep the watch alive for over a second so that it is not a "very short watch".
  await new Promise((resolve) => setTimeout(resolve, 1050));
  s0.end();
  const s1 = await client.nextWatch(1);
  assert.equal(s1.options.resourceVersion, "120");
  assert.equal(client.lists.length, 1);
});

void test('watch 410 relists at the last RV, falls back to RV "" on Expired, and Replace emits tombstones, updates and no same-RV update', async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "keep", "1"));
  client.set(pod("ns", "change", "2"));
  client.set(pod("ns", "gone", "3"));
  const informer = make(client);
  t.after(() => informer.close());
  const rec = recorder();
  informer.addEventHandler(rec.handler);
  const errors: unknown[] = [];
  void informer.start();
  const s0 = await client.nextWatch(0);
  s0.push({ type: "BOOKMARK", resourceVersion: "150", initialEventsEnd: false });
  await until(() => informer.lastSyncResourceVersion === "150");
  client.state.delete("ns/gone");
  client.set(pod("ns", "change", "160"));
  client.set(pod("ns", "fresh", "161"));
  client.rv = "170";
  client.listErrors.push(apiError(410, "Expired"));
  s0.push(EXPIRED_EVENT);
  const s1 = await client.nextWatch(1);
  assert.equal(s1.options.resourceVersion, "170");
  assert.deepEqual(
    client.lists.map((l) => l.resourceVersion),
    ["0", "150", ""],
  );
  await until(() => rec.notes.length === 6);
  assert.deepEqual(
    rec.notes.slice(3).sort((a, b) => a.key.localeCompare(b.key)),
    [
      { op: "update", key: "ns/change", oldRv: "2", rv: "160" },
      { op: "add", key: "ns/fresh", rv: "161", initial: false },
      { op: "delete", key: "ns/gone", rv: "3", tombstone: true },
    ],
  );
  assert.deepEqual(informer.store.keys().sort(), ["ns/change", "ns/fresh", "ns/keep"]);
  assert.equal(errors.length, 0);
});

void test('an expired continue token restarts the whole list at RV ""', async (t) => {
  const client = new FakeClient();
  for (let i = 0; i < 4; i++) client.set(pod("ns", `p${i}`, String(i + 1)));
  const informer = make(client, { pageSize: 2 });
  t.after(() => informer.close());
  const realList = client.list.bind(client);
  let calls = 0;
  client.list = (r, o, s) => {
    calls++;
    if (calls === 2) {
      client.lists.push(o);
      return Promise.reject(apiError(410, "Expired"));
    }
    return realList(r, o, s);
  };
  void informer.start();
  await informer.waitForSync();
  assert.deepEqual(
    client.lists.map((l) => [l.resourceVersion, l.continue]),
    [
      ["0", undefined],
      [undefined, "2"],
      ["", undefined],
      [undefined, "2"],
    ],
  );
  assert.equal(informer.store.size, 4);
});

void test("429 with Retry-After on a watch waits that long and re-watches without a relist", async (t) => {
  const client = new FakeClient();
  const timers = fastTimers(1);
  const delays = timers.delays;
  const informer = make(client, {
    // Retry-After is capped at twice the backoff maximum: 7 s fits under 2 × 5 s.
    backoff: { initialMs: 1, maxMs: 5000 },
    timers,
  });
  t.after(() => informer.close());
  client.watchErrors.push(apiError(429, "TooManyRequests", 7));
  void informer.start();
  await client.nextWatch(1);
  assert.ok(delays.includes(7000), `delays ${delays.join(",")}`);
  assert.equal(client.lists.length, 1);
});

void test("errors never stop the informer: list failures retry with backoff until success", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  for (let i = 0; i < 5; i++) client.listErrors.push(apiError(500, "InternalError"));
  const seen: unknown[] = [];
  const informer = make(client, { metrics: { error: ({ error }) => void seen.push(error) } });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync();
  assert.equal(client.lists.length, 6);
  assert.equal(seen.length, 5);
  assert.ok(seen.every((e) => codeOf(e) === "LOOKOUT_KUBE_API"));
});

void test("a very short watch (closed < 1 s, no events) backs off and relists", async (t) => {
  const client = new FakeClient();
  const seen: unknown[] = [];
  const informer = make(client, { metrics: { error: ({ error }) => void seen.push(error) } });
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  s0.end();
  await client.nextWatch(1);
  assert.equal(client.lists.length, 2);
  assert.equal(codeOf(seen[0]), "LOOKOUT_INFORMER_VERY_SHORT_WATCH");
});

void test("WatchList: the stream fills a temporary store, replaced at the end bookmark, then goes on as a watch", async (t) => {
  const client = new FakeClient();
  const informer = make(client, { watchList: "on" });
  t.after(() => informer.close());
  const rec = recorder();
  informer.addEventHandler(rec.handler);
  void informer.start();
  const s0 = await client.nextWatch(0);
  assert.equal(s0.options.sendInitialEvents, true);
  assert.equal(s0.options.resourceVersionMatch, "NotOlderThan");
  assert.equal(s0.options.allowWatchBookmarks, true);
  assert.equal(s0.options.resourceVersion, "");
  s0.push({ type: "ADDED", object: pod("ns", "a", "5") });
  s0.push({ type: "ADDED", object: pod("ns", "b", "6") });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(informer.store.size, 0, "not visible before the end bookmark");
  assert.equal(informer.hasSynced(), false);
  s0.push({ type: "BOOKMARK", resourceVersion: "50", initialEventsEnd: true });
  await informer.waitForSync();
  assert.equal(informer.store.size, 2);
  assert.equal(informer.lastSyncResourceVersion, "50");
  s0.push({ type: "ADDED", object: pod("ns", "c", "51") });
  await until(() => informer.lastSyncResourceVersion === "51", 2000, "RV from an ADDED after sync");
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "52") });
  await until(() => rec.notes.length === 4);
  assert.deepEqual(rec.notes[3], { op: "update", key: "ns/a", oldRv: "5", rv: "52" });
  assert.equal(client.lists.length, 0);
});

async function watchListFallback(failure: "4xx" | "no-bookmark"): Promise<void> {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const informer = make(client, { watchList: "auto" });
  try {
    if (failure === "4xx") client.watchErrors.push(apiError(422, "Invalid"));
    void informer.start();
    const s0 = await client.nextWatch(0);
    if (failure === "no-bookmark") {
      s0.push({ type: "ADDED", object: pod("ns", "a", "1") });
      s0.end();
    }
    await informer.waitForSync();
    assert.equal(client.lists.length, 1);
    const s1 = await client.nextWatch(1);
    assert.equal(s1.options.sendInitialEvents, undefined);
    assert.equal(s1.options.resourceVersion, "100");
  } finally {
    await informer.close();
  }
}

void test("WatchList auto: a 4xx answer falls back to paged LIST for good", () =>
  watchListFallback("4xx"));

void test("WatchList auto: a stream without the end bookmark falls back to paged LIST", () =>
  watchListFallback("no-bookmark"));

void test("WatchList auto: streaming is tried again after each early end (one paged LIST each time)", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const informer = make(client, { watchList: "auto" });
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  assert.equal(s0.options.sendInitialEvents, true);
  s0.push({ type: "ADDED", object: pod("ns", "a", "1") });
  s0.end();
  const s1 = await client.nextWatch(1);
  assert.equal(client.lists.length, 1, "one paged LIST after the early end");
  assert.equal(s1.options.sendInitialEvents, undefined);
  s1.push(EXPIRED_EVENT);
  const s2 = await client.nextWatch(2);
  assert.equal(s2.options.sendInitialEvents, true, "the next sync streams again");
  s2.push({ type: "ADDED", object: pod("ns", "a", "1") });
  s2.end();
  const s3 = await client.nextWatch(3);
  assert.equal(client.lists.length, 2);
  assert.equal(s3.options.sendInitialEvents, undefined);
  s3.push(EXPIRED_EVENT);
  const s4 = await client.nextWatch(4);
  assert.equal(s4.options.sendInitialEvents, true, "two early ends in a row: still streaming");
  assert.equal(client.lists.length, 2);
  s4.push({ type: "ADDED", object: pod("ns", "a", "1") });
  s4.end();
  const s5 = await client.nextWatch(5);
  assert.equal(client.lists.length, 3);
  assert.equal(s5.options.sendInitialEvents, undefined);
});

void test("handler errors are reported as LOOKOUT_HANDLER_FAILED and the queue goes on", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  client.set(pod("ns", "b", "2"));
  const seen: unknown[] = [];
  const informer = make(client, { metrics: { error: ({ error }) => void seen.push(error) } });
  t.after(() => informer.close());
  const got: string[] = [];
  informer.addEventHandler(
    {
      onAdd: async (o) => {
        got.push(o.name);
        if (o.name === "a") throw new Error("boom");
        if (o.name === "b") await Promise.reject(new Error("async boom"));
      },
    },
    { name: "picky" },
  );
  void informer.start();
  const s0 = await client.nextWatch(0);
  s0.push({ type: "ADDED", object: pod("ns", "c", "3") });
  await until(() => got.length === 3);
  await until(() => seen.length === 2);
  assert.deepEqual(got.sort(), ["a", "b", "c"]);
  for (const err of seen) {
    assert.ok(err instanceof HandlerFailedError);
    assert.equal(err.code, "LOOKOUT_HANDLER_FAILED");
    assert.equal(err.handler, "picky");
    assert.ok(err.cause instanceof Error);
  }
});

void test("a slow handler does not delay a fast one; each handler sees its events in order", async (t) => {
  const client = new FakeClient();
  const informer = make(client);
  t.after(() => informer.close());
  const fast: string[] = [];
  const slow: string[] = [];
  let releaseSlow: () => void = noop;
  const gate = new Promise<void>((resolve) => (releaseSlow = resolve));
  informer.addEventHandler({
    onUpdate: async (_a, b) => {
      await gate;
      slow.push(b.resourceVersion);
    },
  });
  informer.addEventHandler({ onUpdate: (_a, b) => void fast.push(b.resourceVersion) });
  client.set(pod("ns", "a", "1"));
  void informer.start();
  const s0 = await client.nextWatch(0);
  for (let i = 2; i <= 200; i++) s0.push({ type: "MODIFIED", object: pod("ns", "a", String(i)) });
  await until(() => fast.length === 199);
  assert.equal(slow.length, 0);
  releaseSlow();
  await until(() => slow.length === 199);
  assert.deepEqual(slow, fast);
  assert.deepEqual(
    fast,
    Array.from({ length: 199 }, (_, i) => String(i + 2)),
  );
});

void test("a handler added after sync gets the cache as initial adds and its own hasSynced", async (t) => {
  const client = new FakeClient();
  for (let i = 0; i < 3; i++) client.set(pod("ns", `p${i}`, String(i + 1)));
  const informer = make(client);
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync();
  const rec = recorder();
  let release: () => void = noop;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const reg = informer.addEventHandler({
    onAdd: async (o, initial) => {
      await gate;
      await rec.handler.onAdd?.(o, initial);
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(reg.hasSynced(), false, "not synced until its initial adds are delivered");
  release();
  await until(() => reg.hasSynced());
  assert.equal(rec.notes.length, 3);
  assert.ok(rec.notes.every((n) => n.op === "add" && n.initial));
  reg.remove();
  assert.equal(reg.hasSynced(), false);
});

void test("resync delivers onUpdate(obj, obj) to the resyncing handler only, with no API call", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  client.set(pod("ns", "b", "2"));
  const informer = make(client);
  t.after(() => informer.close());
  const resyncing = recorder();
  const quiet = recorder();
  informer.addEventHandler(resyncing.handler, { resyncPeriodMs: 1000 });
  informer.addEventHandler(quiet.handler);
  void informer.start();
  await informer.waitForSync();
  await until(() => resyncing.notes.length >= 4, 3000, "resync");
  const updates = resyncing.notes.filter((n) => n.op === "update");
  assert.ok(updates.length >= 2);
  assert.ok(updates.every((n) => n.op === "update" && n.oldRv === n.rv));
  assert.equal(quiet.notes.length, 2);
  assert.equal(client.lists.length, 1);
});

void test("transform runs once per arriving object; keepManagedFields is passed to the client", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  let calls = 0;
  const informer = make(client, {
    keepManagedFields: true,
    transform: (o) => {
      calls++;
      return { ...o, metadata: { ...o.metadata, labels: { seen: "yes" } } };
    },
  });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync();
  assert.equal(client.lists[0]?.stripManagedFields, false);
  assert.equal(informer.store.get("ns/a")?.labels?.seen, "yes");
  assert.equal(informer.store.get("ns/a")?.object.metadata.labels?.seen, "yes");
  assert.equal(calls, 1);
});

void test("addIndexer after start indexes existing objects", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1", { labels: { app: "web" } }));
  client.set(pod("ns", "b", "2", { labels: { app: "db" } }));
  const informer = make(client);
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync();
  informer.addIndexer("app", (o) => (o.labels?.app === undefined ? [] : [o.labels.app]));
  assert.deepEqual(
    informer.store.byIndex("app", "web").map((o) => o.name),
    ["a"],
  );
  assert.throws(() => informer.addIndexer("app", () => []), {
    code: "LOOKOUT_INFORMER_INVALID_OPTION",
  });
});

void test("constructor validates options with typed errors naming the option, and does no I/O", () => {
  const client = new FakeClient();
  // Deliberately invalid input, as untyped JavaScript callers could pass it.
  const cases: [Record<string, unknown>, string][] = [
    [{ pageSize: 0 }, "pageSize"],
    [{ pageSize: 1.5 }, "pageSize"],
    [{ watchList: "maybe" }, "watchList"],
    [{ initialListResourceVersion: "1" }, "initialListResourceVersion"],
    [{ initialListResourceVersion: 0 }, "initialListResourceVersion"],
    [{ stallTimeoutMs: -1 }, "stallTimeoutMs"],
    [{ watchTimeoutSeconds: [600, 300] }, "watchTimeoutSeconds"],
    [{ indexers: { app: "x" } }, "indexers.app"],
    [{ resource: { group: "", version: "", resource: "pods" } }, "resource"],
    [{ client: {} }, "client"],
  ];
  for (const [extra, option] of cases) {
    const options: unknown = { client, resource: pods, ...extra };
    assert.throws(() => Reflect.construct(Informer, [options]), {
      code: "LOOKOUT_INFORMER_INVALID_OPTION",
      option,
    });
  }
  const informer = make(client);
  for (const resyncPeriodMs of [-5, 2 ** 31]) {
    assert.throws(() => informer.addEventHandler({}, { resyncPeriodMs }), {
      code: "LOOKOUT_INFORMER_INVALID_OPTION",
      option: "resyncPeriodMs",
    });
  }
  assert.equal(client.lists.length, 0);
  assert.equal(client.streams.length, 0);
});

void test("close() is idempotent, works during start, rejects waiters, and stops delivery", async () => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const informer = make(client);
  const waiting = informer.waitForSync();
  void informer.start();
  const c1 = informer.close();
  const c2 = informer.close();
  assert.equal(c1, c2);
  await c1;
  await assert.rejects(waiting, { code: "LOOKOUT_INFORMER_CLOSED" });
  await assert.rejects(informer.waitForSync(), { code: "LOOKOUT_INFORMER_CLOSED" });
  await informer.start();
  await informer[Symbol.asyncDispose]();
});

void test("close() mid-stream ends the watch; waitForSync(signal) rejects with the signal's reason", async () => {
  const client = new FakeClient();
  const informer = make(client, { watchList: "on" });
  void informer.start();
  const s0 = await client.nextWatch(0);
  const ac = new AbortController();
  const waiting = informer.waitForSync(ac.signal);
  ac.abort(new Error("gave up"));
  await assert.rejects(waiting, { message: "gave up" });
  await informer.close();
  await until(() => s0.closed);
  assert.equal(client.streams.length, 1);
});

void test("the signal option stops everything like close()", async () => {
  const client = new FakeClient();
  const ac = new AbortController();
  const informer = make(client, { signal: ac.signal, watchList: "on" });
  void informer.start();
  const s0 = await client.nextWatch(0);
  const waiting = informer.waitForSync();
  ac.abort();
  await assert.rejects(waiting, { code: "LOOKOUT_INFORMER_CLOSED" });
  await until(() => s0.closed);
  await informer.close();
  assert.equal(client.streams.length, 1);
});

function boom(): never {
  throw new Error("hook failed");
}

void test("a throwing logger or metrics hook does not stop the informer", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  client.listErrors.push(apiError(500, "InternalError"));
  const informer = make(client, {
    logger: { debug: boom, info: boom, warn: boom, error: boom },
    metrics: { restart: boom, error: boom, expired: boom },
  });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(3000));
  assert.equal(client.lists.length, 2);
  const s0 = await client.nextWatch(0);
  s0.push(EXPIRED_EVENT);
  await client.nextWatch(1);
  assert.equal(client.lists.length, 3);
});

void test("an HTTP 410 answer to a watch request relists", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  const informer = make(client);
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  await new Promise((resolve) => setTimeout(resolve, 1050));
  client.watchErrors.push(apiError(410, "Gone"));
  s0.end();
  await client.nextWatch(2);
  assert.deepEqual(
    client.lists.map((l) => l.resourceVersion),
    ["0", "100"],
  );
});

void test('a watch from RV "" does not take the RV of its synthetic ADDEDs until another event arrives', async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "5"));
  client.rv = ""; // some aggregated APIs list without a resourceVersion
  const informer = make(client);
  t.after(() => informer.close());
  const rec = recorder();
  informer.addEventHandler(rec.handler);
  void informer.start();
  const s0 = await client.nextWatch(0);
  assert.equal(s0.options.resourceVersion, "");
  s0.push({ type: "ADDED", object: pod("ns", "a", "5") });
  s0.push({ type: "ADDED", object: pod("ns", "b", "7") });
  await until(() => informer.store.size === 2);
  assert.equal(informer.lastSyncResourceVersion, "");
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "9") });
  await until(() => informer.lastSyncResourceVersion === "9");
  s0.push({ type: "ADDED", object: pod("ns", "c", "10") });
  await until(() => informer.lastSyncResourceVersion === "10");
  await until(() => rec.notes.length === 4);
  // The synthetic ADDED of the known object "a" at the same RV is a sync: not delivered.
  assert.deepEqual(
    rec.notes.map((n) => `${n.op} ${n.key}`),
    ["add ns/a", "add ns/b", "update ns/a", "add ns/c"],
  );
});

void test("a streaming list warns every 10 s while the end bookmark is missing, and stops at the bookmark", async (t) => {
  const client = new FakeClient();
  const timers = fastTimers(2);
  const delays = timers.delays;
  let warnings = 0;
  const informer = make(client, {
    watchList: "on",
    logger: { debug: noop, info: noop, error: noop, warn: () => void warnings++ },
    timers,
  });
  t.after(() => informer.close());
  void informer.start();
  const s0 = await client.nextWatch(0);
  await until(() => warnings >= 3);
  assert.ok(delays.every((d) => d === 10_000));
  s0.push({ type: "BOOKMARK", resourceVersion: "9", initialEventsEnd: true });
  await informer.waitForSync();
  const atSync = warnings;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(warnings, atSync);
});

void test("delete and re-create under one key, missed by the watch, arrives on relist as an update with a new uid", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1", { uid: "first" }));
  const informer = make(client);
  t.after(() => informer.close());
  const uids: string[] = [];
  informer.addEventHandler({
    onUpdate: (oldObj, newObj) => void uids.push(oldObj.uid, newObj.uid),
  });
  void informer.start();
  const s0 = await client.nextWatch(0);
  client.set(pod("ns", "a", "7", { uid: "second" }));
  s0.push(EXPIRED_EVENT);
  await until(() => uids.length === 2);
  assert.deepEqual(uids, ["first", "second"]);
});
