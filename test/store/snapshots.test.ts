import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { badInput, snapshotRow, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

void test("snapshots: put, get, loadMeta, replace, remove, removeResource, resources", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const rows = [0, 1, 2, 3, 4].map((i) => snapshotRow(i));
  for (const r of rows) store.snapshots.put(r);
  store.snapshots.put(snapshotRow(9, "v1/nodes"));
  assert.deepEqual(store.snapshots.get("apps/v1/deployments", "ns-1", "obj.1"), rows[1]);
  assert.deepEqual(store.snapshots.get("apps/v1/deployments", "", "obj.0"), rows[0]);
  assert.equal(store.snapshots.get("apps/v1/deployments", "ns-2", "obj.1"), undefined);
  assert.equal(store.snapshots.get("v1/pods", "ns-1", "obj.1"), undefined);

  const meta = store.snapshots.loadMeta("apps/v1/deployments");
  assert.deepEqual([...meta.keys()].sort(), rows.map((r) => `${r.namespace}/${r.name}`).sort());
  assert.deepEqual(meta.get("ns-1/obj.4"), {
    namespace: "ns-1",
    name: "obj.4",
    uid: "uid-4",
    resourceVersion: "104",
    hash: "hash-4",
  });
  assert.equal(meta.get("/obj.3")?.uid, "uid-3");
  assert.deepEqual(store.snapshots.loadMeta("v1/pods"), new Map());

  const replaced = snapshotRow(1, "apps/v1/deployments", {
    uid: "uid-1b",
    resourceVersion: "555",
    hash: "h2",
    object: "{}",
  });
  store.snapshots.put(replaced);
  assert.deepEqual(store.snapshots.get("apps/v1/deployments", "ns-1", "obj.1"), replaced);
  assert.equal(store.snapshots.loadMeta("apps/v1/deployments").size, 5);

  assert.deepEqual(store.snapshots.resources(), ["apps/v1/deployments", "v1/nodes"]);
  assert.equal(store.snapshots.remove("apps/v1/deployments", "ns-1", "obj.1"), true);
  assert.equal(store.snapshots.remove("apps/v1/deployments", "ns-1", "obj.1"), false);
  assert.equal(store.snapshots.removeResource("apps/v1/deployments"), 4);
  assert.equal(store.snapshots.removeResource("apps/v1/deployments"), 0);
  assert.deepEqual(store.snapshots.resources(), ["v1/nodes"]);
});

void test("snapshots: moveResource carries a resource's rows to another key; a key with rows is refused", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  for (const i of [0, 1, 2]) store.snapshots.put(snapshotRow(i, "autoscaling/v2beta2/hpas"));
  store.snapshots.put(snapshotRow(7, "v1/pods"));
  assert.equal(store.snapshots.moveResource("autoscaling/v2beta2/hpas", "autoscaling/v2/hpas"), 3);
  assert.deepEqual(store.snapshots.resources(), ["autoscaling/v2/hpas", "v1/pods"]);
  assert.deepEqual(store.snapshots.get("autoscaling/v2/hpas", "ns-1", "obj.1"), {
    ...snapshotRow(1, "autoscaling/v2/hpas"),
  });
  // Nothing to move, and the same key: no change.
  assert.equal(store.snapshots.moveResource("autoscaling/v2beta2/hpas", "autoscaling/v2/hpas"), 0);
  assert.equal(store.snapshots.moveResource("v1/pods", "v1/pods"), 0);
  // Onto a key that has rows: refused, nothing moved.
  assert.throws(
    () => store.snapshots.moveResource("v1/pods", "autoscaling/v2/hpas"),
    withCode("LOOKOUT_STORE_BAD_INPUT"),
  );
  assert.equal(store.snapshots.loadMeta("v1/pods").size, 1);
  // One namespace's rows only (snapshotRow puts obj.1 in ns-1, obj.2 in ns-2, obj.0 in "").
  for (const i of [0, 1, 2]) store.snapshots.put(snapshotRow(i, "v1beta1/pods"));
  assert.equal(store.snapshots.moveResource("v1beta1/pods", "v1/pods", "ns-2"), 1);
  assert.deepEqual([...store.snapshots.loadMeta("v1beta1/pods").keys()].sort(), [
    "/obj.0",
    "ns-1/obj.1",
  ]);
  assert.ok(store.snapshots.loadMeta("v1/pods").has("ns-2/obj.2"));
  // v1/pods has rows in ns-1 (obj.7 of the first put): that namespace is refused.
  assert.throws(
    () => store.snapshots.moveResource("v1beta1/pods", "v1/pods", "ns-1"),
    withCode("LOOKOUT_STORE_BAD_INPUT"),
  );
  assert.equal(store.snapshots.moveResource("v1beta1/pods", "v1/pods", ""), 1);
  // Moved rows survive a reopen under their new key.
  store.close();
  const again = openStore({ path });
  t.after(() => again.close());
  assert.equal(again.snapshots.loadMeta("autoscaling/v2/hpas").size, 3);
  assert.equal(again.snapshots.loadMeta("autoscaling/v2beta2/hpas").size, 0);
});

void test("snapshots survive a reopen", (t) => {
  const path = join(tempDir(t), "s.db");
  const first = openStore({ path });
  t.after(() => first.close());
  const rows = Array.from({ length: 50 }, (_, i) => snapshotRow(i, `r${i % 2}`));
  first.transaction(() => {
    for (const r of rows) first.snapshots.put(r);
  });
  first.close();
  const second = openStore({ path });
  t.after(() => second.close());
  for (const r of rows) assert.deepEqual(second.snapshots.get(r.resource, r.namespace, r.name), r);
  assert.equal(second.snapshots.loadMeta("r0").size, 25);
});

void test("snapshots: puts inside a rolled back transaction leave nothing", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  store.snapshots.put(snapshotRow(1));
  assert.throws(
    () =>
      store.transaction(() => {
        store.snapshots.put(snapshotRow(2));
        store.snapshots.put(snapshotRow(1, "apps/v1/deployments", { hash: "changed" }));
        store.snapshots.remove("apps/v1/deployments", "ns-1", "obj.1");
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.deepEqual(
    [...store.snapshots.loadMeta("apps/v1/deployments").values()].map((m) => m.hash),
    ["hash-1"],
  );
});

void test("snapshots: bad input names the field; nothing written; closed store", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const bad: unknown = { ...snapshotRow(1), resourceVersion: 7 };
  // @ts-expect-error -- a caller without types
  assert.throws(() => store.snapshots.put(bad), badInput("resourceVersion"));
  // @ts-expect-error -- a caller without types
  assert.throws(() => store.snapshots.put(null), badInput("row"));
  // @ts-expect-error -- a caller without types
  assert.throws(() => store.snapshots.get("r", undefined, "n"), badInput("namespace"));
  // @ts-expect-error -- a caller without types
  assert.throws(() => store.snapshots.loadMeta(1), badInput("resource"));
  assert.deepEqual(store.snapshots.resources(), []);
  store.close();
  assert.throws(() => store.snapshots.put(snapshotRow(1)), withCode("LOOKOUT_STORE_CLOSED"));
  assert.throws(() => store.snapshots.resources(), withCode("LOOKOUT_STORE_CLOSED"));
});
