/**
 * Readiness with leader election: an instance is not ready before its first attempt at the
 * Lease has decided whether it leads (a replica that wins it is "the leader" and is ready only
 * after its first Helm scan), and a follower becomes ready without leading. The Lease requests
 * go through a real HTTP proxy in front of the simulator that answers them late.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/index.ts";
import { createLookout, type Lookout } from "../src/lookout.ts";
import { CONFIGMAPS } from "./events/pipeline-support.ts";
import { assertNoActiveHandles } from "./support/handles.ts";
import { lookoutSetup, until } from "./support/lookout-setup.ts";
import { forwardRequest } from "./support/http-forward.ts";

after(assertNoActiveHandles);

/** Slow enough for the cache to sync first; a candidate's attempt may take `renewDeadlineMs`. */
const ELECTION = {
  namespace: "kube-system",
  name: "kl",
  leaseDurationMs: 6000,
  renewDeadlineMs: 4000,
  retryPeriodMs: 200,
};

/**
 * A real HTTP proxy to `target` that answers requests for Leases `delayMs` late (the others at
 * once); `leaseRequests` counts those seen.
 */
async function slowLeaseProxy(t: TestContext, target: string, delayMs: number) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const state = { leaseRequests: 0, delayMs };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const forward = (): void => {
      forwardRequest(upstream, agent, req, res);
    };
    if (!(req.url ?? "").includes("/leases")) {
      forward();
      return;
    }
    state.leaseRequests++;
    req.pause();
    const timer = setTimeout(() => {
      timers.delete(timer);
      forward();
    }, state.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  );
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no proxy port");
  const client = new KubeClient({ server: `http://127.0.0.1:${address.port}` });
  t.after(() => client.close());
  return { state, client };
}

/** `/readyz` of `lookout`: its status and reasons. */
async function readyz(lookout: Lookout): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`${lookout.url}/readyz`);
  const body: unknown = await res.json();
  const reasons: unknown = Reflect.get(Object(body), "reasons");
  return { status: res.status, reasons: Array.isArray(reasons) ? reasons.map(String) : [] };
}

void test("not ready before the first Lease attempt decided; the winner is ready after its first Helm scan, a follower without one", async (t) => {
  const { sim, store } = await lookoutSetup(t);
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
  });
  const { state, client } = await slowLeaseProxy(t, sim.url, 1500);
  const instance = (identity: string): Lookout => {
    const lookout = createLookout({
      client,
      store: store(identity),
      cluster: "t",
      resources: [{ resource: CONFIGMAPS, kind: "ConfigMap" }],
      helm: { maxThreads: 1 },
      leaderElection: { ...ELECTION, identity },
      flushTimeoutMs: 0,
    });
    t.after(() => lookout.close());
    return lookout;
  };

  const a = instance("a");
  let aReady = false;
  void a.ready.then(
    () => (aReady = true),
    () => undefined, // closed first
  );
  await a.start();
  await until("a Lease request sent", () => state.leaseRequests > 0);
  for (let i = 0; i < 50; i++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    const res = await fetch(`${a.url}/api/v1/namespaces/a/configmaps`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    await res.body?.cancel();
    if (res.status === 200) break;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache API
    await sleep(20);
  }
  await sleep(200);
  // The cache has synced, the Lease has not answered yet: whether `a` leads is not known.
  assert.equal(a.leading, false);
  assert.equal(aReady, false, "ready before the first Lease attempt decided");
  const pending = await readyz(a);
  assert.equal(pending.status, 503);
  assert.match(pending.reasons.join("; "), /leader election/);

  await a.ready;
  assert.equal(a.leading, true, "the first attempt took the free Lease");
  assert.equal(a.helm?.status().ready, true, "the leader is ready after its first Helm scan");
  assert.equal((await readyz(a)).status, 200);

  // A second replica finds the Lease held: it follows, and is ready without a scan.
  state.delayMs = 0;
  const b = instance("b");
  await b.start();
  await b.ready;
  assert.equal(b.leading, false);
  assert.equal(b.helm, undefined);
  assert.equal((await readyz(b)).status, 200);
});
