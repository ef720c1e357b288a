/** KubeClient against the simulated API server (src/sim), through its kubeconfig. */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, type RawObject, type WatchEvent } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { POD_RESOURCE, assertNoActiveHandles } from "./http-server.ts";

after(assertNoActiveHandles);

async function until(ready: () => boolean): Promise<void> {
  while (!ready()) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling, by design
    await sleep(5);
  }
}

void test("paged list, then a watch from the list RV, against the simulator", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  sim.load.seed("pods", 1200);
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeConfigYaml());
  const truncated: number[] = [];
  const client = KubeClient.fromKubeConfig(kc, {
    hooks: { onTruncatedLine: (n) => truncated.push(n) },
  });
  t.after(() => client.close());

  const items: RawObject[] = [];
  let token: string | undefined;
  let rv = "";
  let pages = 0;
  do {
    // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential
    const page = await client.list(POD_RESOURCE, {
      limit: 500,
      ...(token === undefined ? {} : { continue: token }),
    });
    if (pages === 0) rv = page.resourceVersion;
    else assert.equal(page.resourceVersion, rv, "every page carries the first page's RV");
    token = page.continue;
    items.push(...page.items);
    pages++;
  } while (token !== undefined);
  assert.equal(pages, 3);
  assert.equal(items.length, 1200);
  const expected = sim
    .list("pods")
    .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
    .sort();
  assert.deepEqual(items.map((o) => `${o.namespace}/${o.name}`).sort(), expected);
  for (const o of items) assert.ok(!o.json.includes('"managedFields"'));

  const target = items[0]!.object;
  const events: WatchEvent[] = [];
  const watching = (async () => {
    for await (const ev of client.watch(POD_RESOURCE, {
      resourceVersion: rv,
      allowWatchBookmarks: true,
    })) {
      events.push(ev);
    }
  })();
  await until(() => sim.openWatchCount("pods") > 0);
  sim.patch("pods", target.metadata.namespace ?? "", target.metadata.name ?? "", {
    metadata: { labels: { touched: "yes" } },
  });
  sim.delete("pods", target.metadata.namespace ?? "", target.metadata.name ?? "");
  await until(() => events.length >= 2);
  sim.faults.closeWatches({ resource: "pods", midLine: true });
  await watching;
  assert.deepEqual(
    events.map((e) => e.type),
    ["MODIFIED", "DELETED"],
  );
  const modified = events[0]!;
  assert.ok(modified.type === "MODIFIED");
  assert.equal(modified.object.labels?.["touched"], "yes");
  assert.equal(modified.object.uid, target.metadata.uid);
  assert.ok(truncated.length <= 1);
});

void test("simulator faults: stalled watch and 429 with Retry-After", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  sim.faults.failRequests({ status: 429, retryAfterSeconds: 2, count: 1, verb: "list" });
  await assert.rejects(client.list(POD_RESOURCE, {}), {
    code: "LOOKOUT_KUBE_API",
    statusCode: 429,
    retryAfterSeconds: 2,
  });
  const { resourceVersion } = await client.list(POD_RESOURCE, {});
  const stalled = (async () => {
    for await (const _ of client.watch(POD_RESOURCE, { resourceVersion, stallTimeoutMs: 200 })) {
      // no events expected
    }
  })();
  await until(() => sim.openWatchCount("pods") > 0);
  sim.faults.stallWatches({ resource: "pods" });
  await assert.rejects(stalled, { code: "LOOKOUT_WATCH_STALLED" });
});
