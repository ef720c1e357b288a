import assert from "node:assert/strict";
import { request } from "node:http";
import { after, test } from "node:test";
import { assertNoActiveHandles, cluster, pod, watch } from "./support.ts";

after(assertNoActiveHandles);

const STREAM =
  "/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";

void test("streaming list from an RV newer than the server's: 504 ResourceVersionTooLarge after a wait", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a"));
  const current = c.resourceVersion;
  const future = Number(current) + 5;
  const started = Date.now();
  // Read as a watch stream so that a wrongly opened watch fails the test instead of hanging it.
  const w = await watch(t, c, `${STREAM}&resourceVersion=${future}`);
  const waited = Date.now() - started;
  assert.equal(w.status, 504);
  const { rest } = await w.ended;
  const r = { headers: w.headers, json: JSON.parse(rest) };
  assert.equal(r.json.reason, "Timeout");
  assert.equal(
    r.json.message,
    `Timeout: Too large resource version: ${future}, current: ${current}`,
  );
  assert.equal(r.json.details.causes[0].type, "ResourceVersionTooLarge");
  assert.equal(r.headers["retry-after"], String(r.json.details.retryAfterSeconds));
  assert.ok(waited >= 900, `answered after ${waited} ms`);
  assert.equal(c.openWatchCount(), 0);
});

void test("streaming list from an RV that arrives during the wait: the end bookmark is at or above it", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a"));
  const future = Number(c.resourceVersion) + 3;
  const opening = watch(t, c, `${STREAM}&resourceVersion=${future}`);
  await new Promise((r) => setTimeout(r, 200));
  for (const n of ["b", "c", "d"]) c.create("pods", pod(n));
  const w = await opening;
  assert.equal(w.status, 200);
  const events = await w.drain(300);
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name ?? ""}`),
    ["ADDED a", "ADDED b", "ADDED c", "ADDED d", "BOOKMARK "],
  );
  const end = events[4];
  assert.equal(end.object.metadata.annotations["k8s.io/initial-events-end"], "true");
  assert.ok(Number(end.object.metadata.resourceVersion) >= future, JSON.stringify(end));
  assert.equal(end.object.metadata.resourceVersion, c.resourceVersion);
});

void test("a client that leaves during the wait leaves no watch behind", async (t) => {
  const c = await cluster(t);
  const future = Number(c.resourceVersion) + 1;
  const req = request(`${c.url}${STREAM}&resourceVersion=${future}`, { agent: false });
  t.after(() => req.destroy());
  req.on("error", () => {});
  req.end();
  await new Promise((r) => setTimeout(r, 150));
  req.destroy();
  await new Promise((r) => setTimeout(r, 100));
  c.create("pods", pod("a"));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.openWatchCount(), 0);
  assert.equal(c.requests.length, 1);
});
