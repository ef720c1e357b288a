/**
 * Leader election against the simulator's Lease API: one leader at a time, takeover after the
 * lease expires when the leader vanishes, fast takeover when it releases, stepping down when it
 * cannot renew, also when its API server holds requests without answering (through a real HTTP
 * proxy in front of the simulator), and a prompt close then.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.ts";
import { LEASES, LeaderElector, type LeaderElectorOptions } from "../../src/leader/index.ts";
import type { Logger } from "../../src/logging/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { forwardRequest } from "../support/http-forward.ts";

after(assertNoActiveHandles);

const FAST = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 } as const;
/** For the hanging-server tests: room between the renew deadline and the lease's expiry. */
const HANG = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 } as const;
/** Long enough that only close() (not a deadline) can end a held request within a test. */
const SLOW = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 } as const;

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await sleep(20);
  }
}

/** Milliseconds `promise` took to settle, or undefined when it did not within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<number | undefined> {
  const started = Date.now();
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => Date.now() - started),
      sleep(ms, undefined, { signal: timer.signal }).then(() => undefined),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * A real HTTP proxy to `target`. While `hold` is true, new requests get no answer at all (an
 * overloaded API server, a load balancer without a backend, a black-holed connection); requests
 * already forwarded complete.
 */
async function startHoldingProxy(target: string) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const held = new Set<http.ServerResponse>();
  const state = { hold: false, heldTotal: 0 };
  const server = http.createServer((req, res) => {
    if (state.hold) {
      state.heldTotal++;
      held.add(res);
      res.on("close", () => held.delete(res));
      req.resume();
      return;
    }
    forwardRequest(upstream, agent, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no proxy port");
  let closing: Promise<void> | undefined;
  return {
    state,
    url: `http://127.0.0.1:${address.port}`,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return closing;
    },
  };
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
  /** A proxy that can hold requests, in front of the simulator, and a client talking to it. */
  const holdingProxy = async () => {
    const proxy = await startHoldingProxy(sim.url);
    t.after(() => proxy.close());
    const proxied = new KubeClient({ server: proxy.url });
    t.after(() => proxied.close());
    return { proxy, proxied };
  };
  return { sim, client, events, candidate, holdingProxy };
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

void test("a leader whose API server stops answering steps down by the renew deadline; never two leaders", async (t) => {
  const { candidate, events, holdingProxy } = await setup(t);
  const { proxy, proxied } = await holdingProxy();
  let leaderSignal: AbortSignal | undefined;
  const a = candidate("a", {
    client: proxied,
    ...HANG,
    onStartedLeading: (signal) => {
      leaderSignal = signal;
    },
  });
  a.start();
  await until("a leads", () => a.isLeader);
  const b = candidate("b", HANG); // talks to the simulator directly
  b.start();
  await sleep(300);
  assert.equal(b.isLeader, false, "b waits while a renews");
  proxy.state.hold = true;
  const held = Date.now();
  let steppedDownAfter: number | undefined;
  await until(
    "b takes over",
    () => {
      assert.ok(!(a.isLeader && b.isLeader), `never two leaders (${Date.now() - held} ms)`);
      if (!a.isLeader) steppedDownAfter ??= Date.now() - held;
      return b.isLeader;
    },
    4000,
  );
  assert.ok(proxy.state.heldTotal > 0, "a's requests were held");
  assert.ok(steppedDownAfter !== undefined, "a stepped down");
  assert.ok(
    steppedDownAfter <= HANG.renewDeadlineMs + 300,
    `a stepped down ${steppedDownAfter} ms after its server stopped answering`,
  );
  assert.ok(events.includes("a stops"), "onStoppedLeading ran");
  assert.equal(leaderSignal?.aborted, true, "the leader's signal aborted");
});

void test("close() of a candidate whose request is held returns at once and leaves no handle", async (t) => {
  const { sim, client, candidate, holdingProxy } = await setup(t);
  const { proxy, proxied } = await holdingProxy();
  proxy.state.hold = true;
  const a = candidate("a", { client: proxied, ...SLOW });
  a.start();
  await until("a request held", () => proxy.state.heldTotal > 0);
  const took = await within(a.close(), 1000);
  assert.ok(took !== undefined, "close() returned within 1 s");
  assert.ok(took < 500, `close() took ${took} ms`);
  assert.equal(a.isLeader, false);
  proxied.close();
  client.close();
  await proxy.close();
  await sim.close();
  await assertNoActiveHandles();
});

void test("close() of a leader whose API server stopped answering: the release is bounded", async (t) => {
  const { candidate, holdingProxy } = await setup(t);
  const { proxy, proxied } = await holdingProxy();
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message) => warnings.push(message),
    error() {},
  };
  // The renew deadline is far: only the release's own bound can end it.
  const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 200 };
  const a = candidate("a", { client: proxied, ...timings, logger });
  a.start();
  await until("a leads", () => a.isLeader);
  proxy.state.hold = true;
  const took = await within(a.close(), 2000);
  assert.ok(took !== undefined, "close() returned within 2 s");
  assert.ok(took < timings.retryPeriodMs + 400, `close() took ${took} ms`);
  assert.ok(proxy.state.heldTotal > 0, "the release was held");
  assert.ok(warnings.includes("leader election: could not release the lease"), "logged");
  assert.equal(a.isLeader, false);
});

void test("decided resolves once the first attempt has finished, leading or not; a held attempt by its deadline; close() too", async (t) => {
  const { candidate, holdingProxy } = await setup(t);
  const a = candidate("a");
  let leadingWhenDecided: boolean | undefined;
  void a.decided.then(() => (leadingWhenDecided = a.isLeader));
  a.start();
  await a.decided;
  assert.equal(leadingWhenDecided, true, "the free lease is taken by the first attempt");
  const b = candidate("b");
  b.start();
  await b.decided;
  assert.equal(b.isLeader, false, "the lease is held: b follows");

  // A candidate whose request gets no answer: decided (not leading) by its renew deadline.
  const { proxy, proxied } = await holdingProxy();
  proxy.state.hold = true;
  const c = candidate("c", { client: proxied, ...HANG });
  c.start();
  const took = await within(c.decided, HANG.renewDeadlineMs + 1000);
  assert.ok(took !== undefined, "decided by the renew deadline");
  assert.ok(took >= HANG.renewDeadlineMs - 100, `decided after ${took} ms`);
  assert.equal(c.isLeader, false);

  // close() while the first attempt is held, and close() before start(), resolve it too.
  const d = candidate("d", { client: proxied, ...SLOW });
  d.start();
  await until("d's request held", () => proxy.state.heldTotal > 1);
  await d.close();
  assert.ok((await within(d.decided, 100)) !== undefined, "decided on close()");
  const e = candidate("e");
  await e.close();
  assert.ok((await within(e.decided, 100)) !== undefined, "decided on close() before start()");
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
