/**
 * Leader election against the simulator's Lease API: one leader at a time, takeover after the
 * lease expires when the leader vanishes, fast takeover when it releases, stepping down when it
 * cannot renew.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.ts";
import { LEASES, LeaderElector, type LeaderElectorOptions } from "../../src/leader/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const FAST = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 } as const;

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(20);
  }
}

async function setup(t: { after(fn: () => unknown): void }) {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  const events: string[] = [];
  const candidate = (identity: string, extra: Partial<LeaderElectorOptions> = {}) => {
    const e = new LeaderElector({
      client,
      namespace: "kube-system",
      name: "kube-lookout",
      identity,
      ...FAST,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
      ...extra,
    });
    t.after(() => e.close());
    return e;
  };
  return { sim, client, events, candidate };
}

void test("two candidates: exactly one leads, and the lease names it", async (t) => {
  const { sim, candidate } = await setup(t);
  const a = candidate("a");
  const b = candidate("b");
  a.start();
  b.start();
  await until("a leader", () => a.isLeader || b.isLeader);
  for (let i = 0; i < 10; i++) {
    assert.equal(Number(a.isLeader) + Number(b.isLeader), 1, "one leader at a time");
    // oxlint-disable-next-line eslint/no-await-in-loop -- sampling over several periods
    await sleep(100);
  }
  const leader = a.isLeader ? "a" : "b";
  const lease = sim.get(LEASES, "kube-system", "kube-lookout");
  assert.equal(Reflect.get(Object(lease?.["spec"]), "holderIdentity"), leader);
  assert.equal(a.leader, leader);
  assert.equal(b.leader, leader);
});

void test("a leader that vanishes without releasing is replaced once the lease expires", async (t) => {
  const { candidate, events } = await setup(t);
  const a = candidate("a");
  a.start();
  await until("a leads", () => a.isLeader);
  const b = candidate("b");
  b.start();
  await sleep(300);
  assert.equal(b.isLeader, false, "b waits while a renews");
  // a stops renewing without releasing, as a crash would.
  const started = Date.now();
  await a.close({ release: false });
  await until("b takes over", () => b.isLeader, 5000);
  const waited = Date.now() - started;
  assert.ok(
    waited >= FAST.leaseDurationMs - 150,
    `b waited for the lease to expire (${waited} ms)`,
  );
  assert.ok(events.includes("b leads"));
});

void test("a leader that closes releases the lease: the other takes over at once", async (t) => {
  const { sim, candidate } = await setup(t);
  const a = candidate("a");
  a.start();
  await until("a leads", () => a.isLeader);
  const b = candidate("b");
  b.start();
  await sleep(200);
  const started = Date.now();
  await a.close();
  assert.equal(a.isLeader, false);
  await until("b takes over", () => b.isLeader, 5000);
  assert.ok(Date.now() - started < FAST.leaseDurationMs, "no wait for expiry");
  const spec = Object(sim.get(LEASES, "kube-system", "kube-lookout")?.["spec"]);
  assert.equal(Reflect.get(spec, "holderIdentity"), "b");
  assert.equal(Reflect.get(spec, "leaseTransitions"), 1, "a → (released) → b is one transition");
});

void test("a leader that cannot renew steps down by the renew deadline; its signal aborts", async (t) => {
  const { sim, candidate } = await setup(t);
  let leaderSignal: AbortSignal | undefined;
  const a = candidate("a", {
    onStartedLeading: (signal) => {
      leaderSignal = signal;
    },
  });
  a.start();
  await until("a leads", () => a.isLeader);
  sim.faults.failRequests({ status: 500, count: 1000 });
  const started = Date.now();
  await until("a steps down", () => !a.isLeader, 3000);
  const took = Date.now() - started;
  assert.ok(took >= FAST.renewDeadlineMs - 150, `stepped down after ${took} ms`);
  assert.equal(leaderSignal?.aborted, true);
});

void test("options are validated: the renew deadline below the lease, the retry below the deadline", () => {
  const client = {
    get: () => Promise.reject(new Error("x")),
    create: () => Promise.reject(new Error("x")),
    update: () => Promise.reject(new Error("x")),
  };
  const base = { client, namespace: "n", name: "l", identity: "i" };
  assert.throws(() => new LeaderElector({ ...base, identity: "" }), {
    code: "LOOKOUT_LEADER_INVALID_OPTION",
  });
  assert.throws(
    () => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }),
    { code: "LOOKOUT_LEADER_INVALID_OPTION" },
  );
  assert.throws(
    () =>
      new LeaderElector({
        ...base,
        renewDeadlineMs: 1000,
        retryPeriodMs: 1000,
        leaseDurationMs: 2000,
      }),
    { code: "LOOKOUT_LEADER_INVALID_OPTION" },
  );
  // Past a Node timer's 2^31-1 ms the waits would fire after 1 ms.
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 2 ** 31 }), {
    code: "LOOKOUT_LEADER_INVALID_OPTION",
    option: "leaseDurationMs",
  });
});
