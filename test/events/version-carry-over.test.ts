/**
 * A watched resource's version changed: the old version's snapshots are the new one's baseline
 * (src/events/version-carry-over.ts). The unit test drives `carryOverVersion` on a store file;
 * the end-to-end one starts the pipeline on a store left by an older version of the resource,
 * against the simulator and a real nats-server.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { carryOverVersion } from "../../src/events/version-carry-over.ts";
import { jsonLogger, silentLogger } from "../../src/logging/index.ts";
import { openStore, type SnapshotRow } from "../../src/store/index.ts";
import { eventsSetup, readStream, startPipeline, waitForStream } from "./pipeline-support.ts";

const HPA_V2 = { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers" };

function row(resource: string, name: string, extra: Partial<SnapshotRow> = {}): SnapshotRow {
  return {
    resource,
    namespace: "a",
    name,
    uid: `uid-${name}`,
    resourceVersion: "7",
    hash: "h",
    object: JSON.stringify({ metadata: { name, namespace: "a" } }),
    ...extra,
  };
}

void test("carryOverVersion: another version's snapshots move to the new one unless it has its own or the old one is still recorded", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-carry-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const old = "autoscaling/v2beta2/horizontalpodautoscalers";
  const older = "autoscaling/v2beta1/horizontalpodautoscalers";
  for (const n of ["x", "y", "z"]) store.snapshots.put(row(old, n));
  store.snapshots.put(row(older, "x"));
  // Same resource name, another group: never taken.
  store.snapshots.put(row("other.io/v2/horizontalpodautoscalers", "w"));

  // The old version still recorded (another watch): nothing moves.
  assert.equal(
    carryOverVersion(store, HPA_V2, undefined, new Set([old, older]), silentLogger),
    undefined,
  );
  assert.equal(store.snapshots.loadMeta("autoscaling/v2/horizontalpodautoscalers").size, 0);

  const lines: string[] = [];
  const logger = jsonLogger("info", (line) => void lines.push(line));
  // Of two versions left behind, the one with more snapshots.
  assert.deepEqual(carryOverVersion(store, HPA_V2, undefined, new Set(), logger), {
    from: old,
    to: "autoscaling/v2/horizontalpodautoscalers",
    snapshots: 3,
  });
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /version changed/);
  assert.deepEqual(
    [...store.snapshots.loadMeta("autoscaling/v2/horizontalpodautoscalers").keys()].sort(),
    ["a/x", "a/y", "a/z"],
  );
  assert.equal(store.snapshots.loadMeta(old).size, 0);
  // The new version has snapshots now: a later start takes nothing more.
  assert.equal(carryOverVersion(store, HPA_V2, "", new Set(), silentLogger), undefined);
  assert.equal(store.snapshots.loadMeta(older).size, 1);
  assert.equal(store.snapshots.loadMeta("other.io/v2/horizontalpodautoscalers").size, 1);
  // A core resource: `v1/pods` and `v1beta1/pods` are one group and resource.
  store.snapshots.put(row("v1beta1/pods", "p"));
  const pods = { group: "", version: "v1", resource: "pods" };
  assert.equal(
    carryOverVersion(store, pods, undefined, new Set(), silentLogger)?.from,
    "v1beta1/pods",
  );
});

void test("carryOverVersion for one namespace moves that namespace's snapshots only; the others stay for their own recorders", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-carry-ns-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const old = "autoscaling/v2beta2/horizontalpodautoscalers";
  const v2 = "autoscaling/v2/horizontalpodautoscalers";
  store.snapshots.put(row(old, "x"));
  store.snapshots.put({ ...row(old, "y"), namespace: "b", uid: "uid-b-y" });
  store.snapshots.put({ ...row(old, "z"), namespace: "b", uid: "uid-b-z" });
  // Namespace a moves to v2 (its watch changed version); namespace b is still watched at
  // v2beta2 by a recorder attached later: its snapshots stay where it finds them.
  assert.deepEqual(carryOverVersion(store, HPA_V2, "a", new Set(), silentLogger), {
    from: old,
    to: v2,
    namespace: "a",
    snapshots: 1,
  });
  assert.deepEqual([...store.snapshots.loadMeta(v2).keys()], ["a/x"]);
  assert.deepEqual([...store.snapshots.loadMeta(old).keys()].sort(), ["b/y", "b/z"]);
  // A namespace that has its own snapshots under v2 takes nothing; one with none anywhere too.
  assert.equal(carryOverVersion(store, HPA_V2, "a", new Set(), silentLogger), undefined);
  assert.equal(carryOverVersion(store, HPA_V2, "c", new Set(), silentLogger), undefined);
  // Later, namespace b's watch moves to v2 as well.
  assert.equal(carryOverVersion(store, HPA_V2, "b", new Set(), silentLogger)?.snapshots, 2);
  assert.deepEqual(store.snapshots.resources(), [v2]);
});

void test("a version change of a watched resource: unchanged objects give no event, changed ones modified, gone ones deleted, new ones added", async (t) => {
  const { sim, nats, dbPath } = await eventsSetup(t);
  const kept = sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kept", namespace: "a" },
    data: { n: "1" },
  });
  const changed = sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "changed", namespace: "a" },
    data: { n: "2" },
  });
  const born = sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "born", namespace: "a" },
  });
  // What a sidecar that watched ConfigMaps at an older version left in its state file: the same
  // objects (uid and resourceVersion do not depend on the version), `changed` at an older state,
  // and one object deleted since.
  const meta = (o: typeof kept): { uid: string; resourceVersion: string } => ({
    uid: o.metadata.uid!,
    resourceVersion: o.metadata.resourceVersion!,
  });
  const left = openStore({ path: dbPath });
  left.snapshots.put({
    ...row("v1beta1/configmaps", "kept", meta(kept)),
    object: JSON.stringify(kept),
  });
  left.snapshots.put({
    ...row("v1beta1/configmaps", "changed", { uid: changed.metadata.uid!, resourceVersion: "1" }),
    object: JSON.stringify({ ...changed, data: { n: "old" } }),
  });
  left.snapshots.put(row("v1beta1/configmaps", "gone", { uid: "uid-gone", resourceVersion: "3" }));
  left.close();

  const running = await startPipeline({ simUrl: sim.url, natsUrl: nats.url, dbPath });
  t.after(() => running.close());
  await waitForStream(nats.url, 3);
  const messages = await readStream(nats.url);
  assert.deepEqual(messages.map((m) => `${m.type} ${m.key}`).sort(), [
    "added configmaps/a/born",
    "deleted configmaps/a/gone",
    "modified configmaps/a/changed",
  ]);
  for (const m of messages) assert.match(m.subject, /^kl\.test\.core\.v1\.configmaps\./);
  const modified = messages.find((m) => m.type === "modified")!;
  assert.equal(modified.uid, changed.metadata.uid);
  assert.equal(modified.resourceVersion, changed.metadata.resourceVersion);
  assert.equal(messages.find((m) => m.type === "added")!.uid, born.metadata.uid);
  // The rows live under the new version now; nothing is left under the old one.
  assert.deepEqual(running.store.snapshots.resources(), ["v1/configmaps"]);
  assert.deepEqual([...running.store.snapshots.loadMeta("v1/configmaps").keys()].sort(), [
    "a/born",
    "a/changed",
    "a/kept",
  ]);
});
