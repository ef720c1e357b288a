/**
 * An embedded kube-lookout's close(): /readyz turns 503 ("shutting down") at once while the
 * outbox flush runs, the flush gives up at `flushTimeoutMs` when NATS cannot take the backlog,
 * and nothing is left running afterwards.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/index.ts";
import { createLookout } from "../src/lookout.ts";
import { startSimulatedCluster } from "../src/sim/index.ts";
import { openStore } from "../src/store/index.ts";
import { CONFIGMAPS, STREAM } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { startNatsServer } from "./support/nats-server.ts";

after(assertNoActiveHandles);

void test("close(): not ready at once, the flush ends at its deadline, the backlog stays for the next start", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-shutdown-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const lookout = createLookout({
    client,
    store,
    cluster: "test",
    resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
    helm: false,
    flushTimeoutMs: 1500,
    events: {
      nats: { servers: [nats.url], retryInitialMs: 100, retryMaxMs: 500 },
      prefix: "kl",
      stream: {
        name: STREAM,
        maxAgeMs: 3_600_000,
        maxBytes: 1024 ** 3,
        duplicateWindowMs: 600_000,
      },
      batchDelayMs: 10,
    },
  });
  t.after(() => lookout.close());
  await lookout.start();
  await lookout.ready;
  const url = lookout.url!;
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  await nats.stop();
  for (let i = 0; i < 50; i++) {
    sim.create(CONFIGMAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `c${i}`, namespace: "a" },
    });
  }
  for (let i = 0; i < 200 && store.outbox.stats().rows < 50; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the outbox
    await sleep(20);
  }
  assert.equal(store.outbox.stats().rows, 50, "the backlog is in the outbox");

  const t0 = Date.now();
  const closing = lookout.close();
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /shutting down/);
  await closing;
  const took = Date.now() - t0;
  assert.ok(took >= 1500 && took < 1500 + 2000, `close took ${took} ms (flush deadline 1.5 s)`);
  assert.equal(store.outbox.stats().rows, 50, "what NATS could not take stays for the next start");
});
