/**
 * Fidelity: @kubernetes/client-node talks to the simulated cluster as to a real one.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { assertNoActiveHandles, cluster, pod } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error("condition not met in time"));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

void test("CoreV1Api: create, read, list, replace, patch, delete, and API errors", async (t) => {
  const c = await cluster(t);
  const kc = new KubeConfig();
  kc.loadFromString(c.kubeConfigYaml());
  const api = kc.makeApiClient(CoreV1Api);

  const created = await api.createNamespacedPod({ namespace: "default", body: pod("a") });
  assert.equal(created.metadata?.name, "a");
  assert.ok(created.metadata?.uid);
  const read = await api.readNamespacedPod({ name: "a", namespace: "default" });
  assert.equal(read.metadata?.resourceVersion, created.metadata?.resourceVersion);
  const list = await api.listNamespacedPod({ namespace: "default" });
  assert.deepEqual(
    list.items.map((p) => p.metadata?.name),
    ["a"],
  );
  assert.equal(list.metadata?.resourceVersion, c.resourceVersion);
  const all = await api.listPodForAllNamespaces();
  assert.equal(all.items.length, 1);
  const ns = await api.listNamespace();
  assert.ok(ns.items.some((n) => n.metadata?.name === "kube-system"));

  read.metadata!.labels = { replaced: "yes" };
  const replaced = await api.replaceNamespacedPod({ name: "a", namespace: "default", body: read });
  assert.equal(replaced.metadata?.labels?.["replaced"], "yes");
  await assert.rejects(
    api.replaceNamespacedPod({ name: "a", namespace: "default", body: read }),
    (e: unknown) => e instanceof ApiException && e.code === 409,
  );

  const patched = await api.patchNamespacedPod(
    { name: "a", namespace: "default", body: { metadata: { labels: { patched: "yes" } } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  assert.deepEqual(patched.metadata?.labels, { replaced: "yes", patched: "yes" });

  const deleted: Json = await api.deleteNamespacedPod({ name: "a", namespace: "default" });
  assert.equal(deleted.metadata.name, "a");
  await assert.rejects(
    api.readNamespacedPod({ name: "a", namespace: "default" }),
    (e: unknown) => e instanceof ApiException && e.code === 404,
  );
  await assert.rejects(
    api.createNamespacedPod({ namespace: "default", body: { metadata: {} } }),
    (e: unknown) => e instanceof ApiException && e.code === 422,
  );
});

void test("Watch: ADDED/MODIFIED/DELETED, and a too-old RV gives the 410 ERROR it expects", async (t) => {
  const c = await cluster(t, { historySize: 3 });
  const kc = new KubeConfig();
  kc.loadFromString(c.kubeConfigYaml());
  const events: string[] = [];
  let doneErr: unknown = "not called";
  const ctrl = await new Watch(kc).watch(
    "/api/v1/namespaces/default/pods",
    { resourceVersion: c.resourceVersion },
    (phase, obj: Json) => events.push(`${phase} ${obj.metadata.name}`),
    (err) => (doneErr = err),
  );
  t.after(() => ctrl.abort());
  await until(() => c.openWatchCount("pods") === 1);
  c.create("pods", pod("a"));
  c.patch("pods", "default", "a", { metadata: { labels: { x: "1" } } });
  c.delete("pods", "default", "a");
  await until(() => events.length === 3);
  assert.deepEqual(events, ["ADDED a", "MODIFIED a", "DELETED a"]);
  c.faults.closeWatches();
  await until(() => doneErr !== "not called");
  assert.equal(doneErr, null);

  // Too old: 200 + ERROR 410, then done.
  const oldRv = "1";
  for (let i = 0; i < 5; i++) c.create("pods", pod(`p${i}`));
  const errors: Json[] = [];
  let done2: unknown = "not called";
  const ctrl2 = await new Watch(kc).watch(
    "/api/v1/namespaces/default/pods",
    { resourceVersion: oldRv },
    (phase, obj: Json) => {
      if (phase === "ERROR") errors.push(obj);
    },
    (err) => (done2 = err),
  );
  t.after(() => ctrl2.abort());
  await until(() => done2 !== "not called");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 410);
  assert.equal(errors[0].reason, "Expired");
});

void test("makeInformer: syncs, then sees add, update and delete; relists after 410", async (t) => {
  const c = await cluster(t, { historySize: 5 });
  c.create("pods", pod("a"));
  const kc = new KubeConfig();
  kc.loadFromString(c.kubeConfigYaml());
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer(kc, "/api/v1/namespaces/default/pods", () =>
    api.listNamespacedPod({ namespace: "default" }),
  );
  const seen: string[] = [];
  informer.on("add", (p) => seen.push(`add ${p.metadata?.name}`));
  informer.on("update", (p) => seen.push(`update ${p.metadata?.name}`));
  informer.on("delete", (p) => seen.push(`delete ${p.metadata?.name}`));
  const errors: unknown[] = [];
  informer.on("error", (e) => errors.push(e));
  await informer.start();
  t.after(() => informer.stop());
  await until(() => seen.includes("add a"));
  assert.deepEqual(
    informer.list("default").map((p) => p.metadata?.name),
    ["a"],
  );
  await until(() => c.openWatchCount("pods") === 1);

  c.create("pods", pod("b"));
  c.patch("pods", "default", "a", { metadata: { labels: { v: "2" } } });
  c.delete("pods", "default", "b");
  await until(() => seen.length >= 4);
  assert.deepEqual(seen, ["add a", "add b", "update a", "delete b"]);
  assert.equal(informer.get("a", "default")?.metadata?.labels?.["v"], "2");

  // The informer misses one event (its RV stays behind), history is compacted and the watch
  // breaks: the re-watch gets 410, the informer relists and catches up.
  const listsBefore = c.requests.filter(
    (r) => r.path === "/api/v1/namespaces/default/pods" && !r.watch,
  ).length;
  c.faults.dropEvents({ count: 1, resource: "pods" });
  c.create("pods", pod("missed"));
  c.faults.compact();
  c.faults.closeWatches();
  await until(() => informer.get("missed", "default") !== undefined, 10_000);
  assert.deepEqual(
    informer
      .list("default")
      .map((p) => p.metadata?.name ?? "")
      .sort((x, y) => x.localeCompare(y)),
    ["a", "missed"],
  );
  const listsAfter = c.requests.filter(
    (r) => r.path === "/api/v1/namespaces/default/pods" && !r.watch,
  ).length;
  assert.equal(listsAfter, listsBefore + 1);
  assert.deepEqual(errors, []);
  // client-node relists, then waits its reconnect delay (an uncancellable 1 s timer) before
  // re-watching: wait for the watch, then stop before the cluster closes, so no timer is left.
  await until(() => c.openWatchCount("pods") === 1);
  await informer.stop();
});
