import assert from "node:assert/strict";
import { after, test } from "node:test";
import { KubeClient, WatchStalledError } from "../../src/kube/index.ts";
import { POD_RESOURCE, assertNoActiveHandles, socketClosed, startServer } from "./http-server.ts";
import { makePod } from "./pod-fixture.ts";

after(assertNoActiveHandles);

// Without list stall detection these requests hang: the test timeout makes that a failure.
const GUARD = { timeout: 10_000 };

function listText(count: number): string {
  return JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: { resourceVersion: "9" },
    items: Array.from({ length: count }, (_, i) => makePod(i)),
  });
}

void test(
  "a list whose body stops halfway rejects with LOOKOUT_WATCH_STALLED and closes the socket",
  GUARD,
  async (t) => {
    let closed: Promise<unknown> | undefined;
    const body = listText(20);
    const server = await startServer(t, (_req, res) => {
      closed = socketClosed(res);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
      res.write(body.slice(0, body.length >> 1));
    });
    const client = new KubeClient({ server: server.url });
    t.after(() => client.close());
    const started = performance.now();
    const err = await client.list(POD_RESOURCE, { stallTimeoutMs: 200 }).then(
      () => assert.fail("list should reject"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WatchStalledError);
    assert.equal(err.code, "LOOKOUT_WATCH_STALLED");
    assert.equal(err.stallTimeoutMs, 200);
    assert.ok(performance.now() - started >= 190, "not before the stall timeout");
    await closed;
  },
);

void test(
  "a list whose headers never come rejects with LOOKOUT_WATCH_STALLED",
  GUARD,
  async (t) => {
    let closed: Promise<unknown> | undefined;
    const server = await startServer(t, (_req, res) => {
      closed = socketClosed(res);
    });
    const client = new KubeClient({ server: server.url });
    t.after(() => client.close());
    await assert.rejects(client.list(POD_RESOURCE, { stallTimeoutMs: 150 }), {
      code: "LOOKOUT_WATCH_STALLED",
      name: "WatchStalledError",
    });
    await closed;
  },
);

void test(
  "a slow but steady list body is not a stall (the clock restarts on every chunk)",
  GUARD,
  async (t) => {
    const body = listText(8);
    const parts = 6;
    const size = Math.ceil(body.length / parts);
    const server = await startServer(t, (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      let k = 0;
      const next = (): void => {
        const part = body.slice(k * size, (k + 1) * size);
        k++;
        if (k >= parts) res.end(part);
        else {
          res.write(part);
          setTimeout(next, 80);
        }
      };
      next();
    });
    const client = new KubeClient({ server: server.url });
    t.after(() => client.close());
    const started = performance.now();
    const page = await client.list(POD_RESOURCE, { stallTimeoutMs: 250 });
    assert.ok(
      performance.now() - started > 250,
      "the whole body took longer than the stall timeout",
    );
    assert.equal(page.items.length, 8);
    assert.equal(page.resourceVersion, "9");
  },
);

void test(
  "a non-2xx body that stops halfway rejects with LOOKOUT_WATCH_STALLED too",
  GUARD,
  async (t) => {
    const server = await startServer(t, (_req, res) => {
      res.writeHead(500, { "Content-Type": "application/json", "Content-Length": 1000 });
      res.write('{"kind":"Status",');
    });
    const client = new KubeClient({ server: server.url });
    t.after(() => client.close());
    await assert.rejects(client.list(POD_RESOURCE, { stallTimeoutMs: 150 }), {
      code: "LOOKOUT_WATCH_STALLED",
    });
  },
);

void test("a bad list stallTimeoutMs is a RangeError at once", async (t) => {
  const client = new KubeClient({ server: "http://127.0.0.1:1" });
  t.after(() => client.close());
  await Promise.all(
    [0, -1, Number.NaN, Infinity].map((stallTimeoutMs) =>
      assert.rejects(client.list(POD_RESOURCE, { stallTimeoutMs }), RangeError),
    ),
  );
});
