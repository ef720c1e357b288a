/**
 * User code the informer calls (transform, index functions, handlers) that fails: reported
 * with a typed error, skipped, and the informer goes on syncing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RawObject } from "../../src/kube/index.ts";
import type { InformerMetrics } from "../../src/informer/index.ts";
import { unitSuite } from "./unit-suite.ts";
import { FakeClient, codeOf, pod, until } from "./fake-client.ts";

const make = unitSuite({ watchList: "off" });

function errorSink(): { errors: unknown[]; metrics: InformerMetrics } {
  const errors: unknown[] = [];
  return { errors, metrics: { error: (i) => void errors.push(i.error) } };
}

void test("a transform that throws for one object: reported once, that object skipped, the rest syncs", async (t) => {
  const client = new FakeClient();
  for (const name of ["a", "bad", "c"]) client.set(pod("ns", name, "1"));
  const sink = errorSink();
  const informer = make(client, {
    metrics: sink.metrics,
    transform: (o) => {
      if (o.metadata.name === "bad") throw new TypeError("cannot read x of undefined");
      return o;
    },
  });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(3000));
  assert.deepEqual(informer.store.keys().sort(), ["ns/a", "ns/c"]);
  assert.equal(client.lists.length, 1, "no relist loop");
  assert.equal(sink.errors.length, 1);
  const err = sink.errors[0];
  assert.equal(codeOf(err), "LOOKOUT_INFORMER_TRANSFORM_FAILED");
  assert.ok(err instanceof Error && "key" in err && err.key === "ns/bad");
  assert.ok(err.cause instanceof TypeError);
  // On the watch: a failing MODIFIED is dropped (and reported), its RV still counts; a DELETED
  // still deletes; other objects go on.
  const s0 = await client.nextWatch(0);
  s0.push({ type: "ADDED", object: pod("ns", "bad", "5") });
  s0.push({ type: "MODIFIED", object: pod("ns", "a", "6") });
  await until(() => informer.lastSyncResourceVersion === "6");
  assert.equal(informer.store.get("ns/bad"), undefined);
  assert.equal(informer.store.get("ns/a")?.resourceVersion, "6");
  assert.equal(sink.errors.length, 2);
  s0.push({ type: "DELETED", object: pod("ns", "c", "7") });
  await until(() => informer.store.get("ns/c") === undefined);
  assert.equal(client.lists.length, 1);
  assert.equal(client.streams.length, 1);
});

void test("an index function that throws: the object is cached without that index, reported as LOOKOUT_INFORMER_INDEX_FAILED", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1", { labels: { app: "web" } }));
  client.set(pod("ns", "b", "1"));
  const sink = errorSink();
  const informer = make(client, {
    metrics: sink.metrics,
    indexers: {
      app: (o) => {
        if (o.labels?.app === undefined) throw new Error("no app label");
        return [o.labels.app];
      },
    },
  });
  t.after(() => informer.close());
  void informer.start();
  await informer.waitForSync(AbortSignal.timeout(3000));
  assert.deepEqual(informer.store.keys().sort(), ["ns/a", "ns/b"]);
  assert.deepEqual(
    informer.store.byIndex("app", "web").map((o) => o.name),
    ["a"],
  );
  assert.deepEqual(sink.errors.map(codeOf), ["LOOKOUT_INFORMER_INDEX_FAILED"]);
  assert.equal(client.lists.length, 1);
});

void test("a handler returning a foreign thenable that rejects is reported as LOOKOUT_HANDLER_FAILED", async (t) => {
  const client = new FakeClient();
  client.set(pod("ns", "a", "1"));
  client.set(pod("ns", "b", "1"));
  const sink = errorSink();
  const informer = make(client, { metrics: sink.metrics });
  t.after(() => informer.close());
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  t.after(() => process.off("unhandledRejection", onUnhandled));
  const order: string[] = [];
  // A thenable that is not a native Promise (e.g. from another realm or library).
  const onAdd = (o: RawObject): PromiseLike<void> => ({
    // oxlint-disable-next-line unicorn/no-thenable -- a foreign thenable is what this test needs
    then(_resolve, reject): PromiseLike<never> {
      setTimeout(() => {
        order.push(o.name);
        reject?.(new Error(`rejected ${o.name}`));
      }, 20);
      return new Promise<never>(() => {});
    },
  });
  informer.addEventHandler({ onAdd });
  void informer.start();
  await until(() => sink.errors.length === 2, 3000, "two handler errors");
  assert.deepEqual(sink.errors.map(codeOf), ["LOOKOUT_HANDLER_FAILED", "LOOKOUT_HANDLER_FAILED"]);
  const first = sink.errors[0];
  assert.ok(first instanceof Error && first.cause instanceof Error);
  assert.match(first.cause.message, /^rejected /);
  // Awaited one after the other: the second starts only after the first settled.
  assert.equal(order.length, 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(unhandled, []);
});
