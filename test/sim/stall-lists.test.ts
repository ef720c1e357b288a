import assert from "node:assert/strict";
import { request } from "node:http";
import type { IncomingMessage } from "node:http";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { SimError, SimErrorCode, startSimulatedCluster } from "../../src/sim/index.ts";
import type { SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http, pod } from "./support.ts";

after(assertNoActiveHandles);

/** A raw GET whose body bytes and end are observed as they arrive. */
interface RawResponse {
  readonly res: IncomingMessage;
  /** Bytes received so far. */
  received(): number;
  /** Resolves with `res.complete` once the response closes. */
  readonly closed: Promise<boolean>;
}

function rawGet(t: TestContext, c: SimulatedCluster, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${c.url}${path}`, { agent: false }, (res) => {
      let bytes = 0;
      res.on("data", (d: Buffer) => (bytes += d.length));
      res.on("error", () => {});
      const closed = new Promise<boolean>((r) => res.on("close", () => r(res.complete)));
      resolve({ res, received: () => bytes, closed });
    });
    t.after(() => req.destroy());
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void test("stallLists: headers and part of the body, then nothing while the socket stays open", async (t) => {
  const c = await cluster(t);
  c.load.seed("pods", 50);
  const full = Buffer.byteLength((await http(c, "GET", "/api/v1/pods?resourceVersion=0")).text);
  c.faults.stallLists({ resource: "pods" });

  // Another resource is not affected.
  const other = await http(c, "GET", "/api/v1/namespaces");
  assert.equal(other.status, 200);
  assert.equal(other.json.items.length, 4);

  const r = await rawGet(t, c, "/api/v1/pods?resourceVersion=0");
  assert.equal(r.res.statusCode, 200);
  assert.equal(r.res.headers["content-type"], "application/json");
  assert.equal(Number(r.res.headers["content-length"]), full);
  let ended = false;
  void r.closed.then(() => (ended = true));
  await sleep(300);
  const got = r.received();
  assert.ok(got > 0 && got < full, `received ${got} of ${full} bytes`);
  await sleep(300);
  assert.equal(r.received(), got, "nothing more is written");
  assert.equal(ended, false, "the socket stays open");

  // The rule was used up: the next list answers in full.
  const next = await http(c, "GET", "/api/v1/pods?resourceVersion=0");
  assert.equal(next.status, 200);
  assert.equal(next.json.items.length, 50);
});

void test("stallLists: count applies to the next N lists only; any resource when unset", async (t) => {
  const c = await cluster(t);
  c.faults.stallLists({ count: 2 });
  const a = await rawGet(t, c, "/api/v1/namespaces");
  const b = await rawGet(t, c, "/api/v1/configmaps");
  await sleep(200);
  for (const r of [a, b]) {
    const length = Number(r.res.headers["content-length"]);
    assert.ok(r.received() > 0 && r.received() < length, `${r.received()} of ${length}`);
  }
  const third = await http(c, "GET", "/api/v1/configmaps");
  assert.equal(third.status, 200);
  assert.deepEqual(third.json.items, []);
  assert.throws(
    () => c.faults.stallLists({ count: 0 }),
    (e: unknown) => e instanceof SimError && e.code === SimErrorCode.Invalid,
  );
  // Watches and gets are not stalled.
  c.faults.stallLists({ resource: "pods" });
  const get = await http(c, "GET", "/api/v1/namespaces/default/pods/x");
  assert.equal(get.status, 404);
  c.create("pods", pod("x"));
  assert.equal((await http(c, "GET", "/api/v1/namespaces/default/pods/x")).status, 200);
});

void test("stallLists: close() ends a stalled list and leaves no handle behind", async (t) => {
  const c = await startSimulatedCluster();
  t.after(() => c.close()); // idempotent: the test closes it itself below
  c.faults.stallLists({ resource: "namespaces" });
  const r = await rawGet(t, c, "/api/v1/namespaces");
  await sleep(100);
  assert.ok(r.received() > 0);
  await c.close();
  assert.equal(await r.closed, false, "the body never completed");
  await assertNoActiveHandles();
});
