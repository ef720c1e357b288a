import assert from "node:assert/strict";
import { request } from "node:http";
import type { IncomingMessage } from "node:http";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { SimError, SimErrorCode } from "../../src/sim/index.ts";
import type { SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, watch } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const BLOB = "x".repeat(100_000);
const EVENTS = 300; // 30 MB in all: more than loopback socket buffers hold for a paused client

/** Opens a watch whose response is paused (not read) until the test reads it. */
function pausedWatch(t: TestContext, c: SimulatedCluster, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${c.url}${path}`, { agent: false }, (res) => {
      res.pause();
      resolve(res);
    });
    t.after(() => req.destroy());
    req.on("error", reject);
    req.end();
  });
}

/** Reads a response to its end: its complete lines and whether it ended cleanly. */
function readAll(res: IncomingMessage): Promise<{ events: Json[]; complete: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (d: string) => (text += d));
    res.on("error", () => {});
    res.on("close", () => {
      const lines = text.split("\n").filter((l) => l !== "");
      resolve({ events: lines.map((l): Json => JSON.parse(l)), complete: res.complete });
    });
    res.resume();
  });
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void test("a watcher that does not read is ended past maxWatcherBufferBytes; a reading one is not", async (t) => {
  const c = await cluster(t, { maxWatcherBufferBytes: 512 * 1024 });
  const rv = c.resourceVersion;
  const path = `/api/v1/configmaps?watch=1&resourceVersion=${rv}`;
  const slow = await pausedWatch(t, c, path);
  const reader = await watch(t, c, path);
  const received: Json[] = [];
  for (let i = 0; i < EVENTS; i++) {
    c.create("configmaps", { metadata: { name: `cm-${i}`, namespace: "default" }, data: { BLOB } });
    // oxlint-disable-next-line eslint/no-await-in-loop -- paced on purpose, so the reader keeps up
    await tick(2);
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    received.push(...(await reader.drain(1)));
  }
  received.push(...(await reader.drain(300)));
  assert.equal(received.length, EVENTS, "the reading watcher got every event");
  assert.equal(c.openWatchCount("configmaps"), 1, "the slow watcher was ended");

  // The slow client gets whole lines, then a clean end; watching again from its last RV
  // gets the rest, so nothing is lost.
  const cut = await readAll(slow);
  assert.equal(cut.complete, true);
  assert.ok(cut.events.length < EVENTS, `${cut.events.length} events before the end`);
  const last = cut.events.at(-1)?.object.metadata.resourceVersion ?? rv;
  // The replayed history (far more than the cap) is a backlog, not counted against the cap.
  const again = await watch(t, c, `/api/v1/configmaps?watch=1&resourceVersion=${last}`);
  const rest = await again.drain(300);
  const names = [...cut.events, ...rest].map((e) => e.object.metadata.name);
  assert.deepEqual(
    names,
    Array.from({ length: EVENTS }, (_, i) => `cm-${i}`),
  );
});

void test("maxWatcherBufferBytes must be a positive number", async () => {
  const { startSimulatedCluster } = await import("../../src/sim/index.ts");
  const outcome = await startSimulatedCluster({ maxWatcherBufferBytes: 0 }).then(
    async (c) => {
      await c.close(); // started when it should not have: close it so the suite still ends
      return "started";
    },
    (error: unknown) => error,
  );
  assert.ok(outcome instanceof SimError && outcome.code === SimErrorCode.Invalid, String(outcome));
});
