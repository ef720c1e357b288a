import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertNoActiveHandles, cluster, http, pod, watch } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const summary = (e: Json) => `${e.type} ${e.object.metadata.name ?? ""}`.trim();

void test("watch from unset / 0: synthetic ADDED for current objects, then changes", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a"));
  c.create("pods", pod("b", "other"));
  for (const rv of ["", "&resourceVersion=0"]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const w = await watch(t, c, `/api/v1/pods?watch=1${rv}`);
    assert.equal(w.status, 200);
    assert.equal(w.headers["content-type"], "application/json");
    assert.equal(w.headers["transfer-encoding"], "chunked");
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    assert.deepEqual((await w.drain()).map(summary), ["ADDED a", "ADDED b"]);
    w.close();
  }
  const w = await watch(t, c, "/api/v1/namespaces/default/pods?watch=true");
  assert.deepEqual((await w.drain()).map(summary), ["ADDED a"]);
  const m = c.patch("pods", "default", "a", { metadata: { labels: { x: "1" } } });
  c.create("pods", pod("c", "other")); // other namespace: not seen
  const d = c.delete("pods", "default", "a");
  const events = await w.drain();
  assert.deepEqual(events.map(summary), ["MODIFIED a", "DELETED a"]);
  assert.equal(events[0].object.metadata.resourceVersion, m.metadata.resourceVersion);
  assert.equal(events[1].object.metadata.resourceVersion, d!.metadata.resourceVersion);
  assert.ok(events[1].object.metadata.deletionTimestamp);
  assert.equal(events[1].object.metadata.labels.x, "1");
});

void test("watch from RV N: only changes after N, from history; too old: 200 + ERROR 410 then close", async (t) => {
  const c = await cluster(t, { historySize: 5 });
  c.create("pods", pod("a"));
  const rv = c.resourceVersion;
  c.create("pods", pod("b"));
  c.patch("pods", "default", "a", { metadata: { labels: { x: "1" } } });
  const w = await watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${rv}`);
  assert.deepEqual((await w.drain()).map(summary), ["ADDED b", "MODIFIED a"]);
  c.delete("pods", "default", "b");
  assert.deepEqual((await w.drain()).map(summary), ["DELETED b"]);

  for (let i = 0; i < 10; i++)
    c.create("configmaps", { metadata: { name: `cm${i}`, namespace: "default" } });
  const old = await watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${rv}`);
  assert.equal(old.status, 200);
  const err = await old.next();
  assert.equal(err.type, "ERROR");
  assert.equal(err.object.kind, "Status");
  assert.equal(err.object.code, 410);
  assert.equal(err.object.reason, "Expired");
  assert.match(err.object.message, new RegExp(`^too old resource version: ${rv} \\(\\d+\\)$`));
  assert.equal(await old.next(), undefined);
  assert.equal((await old.ended).complete, true);

  // compact(): even the current RV minus one is now too old.
  const cur = c.resourceVersion;
  c.faults.compact();
  const atCur = await watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${cur}`);
  c.create("pods", pod("z"));
  assert.deepEqual((await atCur.drain()).map(summary), ["ADDED z"]);
  const before = await watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${Number(cur) - 1}`);
  assert.equal((await before.next()).type, "ERROR");
});

void test("bookmarks every bookmarkIntervalMs carry only kind, apiVersion and the RV", async (t) => {
  const c = await cluster(t, { bookmarkIntervalMs: 100 });
  const w = await watch(
    t,
    c,
    `/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true&resourceVersion=${c.resourceVersion}`,
  );
  const b = await w.next(1000);
  assert.deepEqual(b, {
    type: "BOOKMARK",
    object: {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { resourceVersion: c.resourceVersion },
    },
  });
  c.create("apps/v1/deployments", { metadata: { name: "d", namespace: "default" }, spec: {} });
  const added = await w.next(1000);
  assert.equal(added.type, "ADDED");
  const b2 = await w.next(1000);
  assert.equal(b2.type, "BOOKMARK");
  assert.equal(b2.object.metadata.resourceVersion, added.object.metadata.resourceVersion);
  // Without allowWatchBookmarks: none.
  const quiet = await watch(
    t,
    c,
    `/apis/apps/v1/deployments?watch=1&resourceVersion=${c.resourceVersion}`,
  );
  assert.deepEqual(await quiet.drain(350), []);
});

void test("timeoutSeconds ends the stream cleanly (with a last bookmark when allowed)", async (t) => {
  const c = await cluster(t);
  const started = Date.now();
  const w = await watch(
    t,
    c,
    `/api/v1/pods?watch=1&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=${c.resourceVersion}`,
  );
  const events = await w.drain(1500);
  const end = await w.ended;
  assert.equal(end.complete, true);
  assert.equal(end.rest, "");
  assert.ok(Date.now() - started >= 950);
  assert.deepEqual(
    events.map((e) => e.type),
    ["BOOKMARK"],
  );
  assert.equal(c.openWatchCount("pods"), 0);
});

void test("streaming list: sendInitialEvents ADDEDs, the initial-events-end bookmark, then a normal watch", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a"));
  c.create("pods", pod("b"));
  const rv = c.resourceVersion;
  const w = await watch(
    t,
    c,
    "/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
  );
  const first = await w.drain();
  assert.deepEqual(
    first.map((e) => e.type),
    ["ADDED", "ADDED", "BOOKMARK"],
  );
  assert.deepEqual(first[2].object, {
    kind: "Pod",
    apiVersion: "v1",
    metadata: { resourceVersion: rv, annotations: { "k8s.io/initial-events-end": "true" } },
  });
  c.create("pods", pod("c"));
  assert.deepEqual((await w.drain()).map(summary), ["ADDED c"]);
  // Without allowWatchBookmarks there is no end bookmark.
  const nb = await watch(
    t,
    c,
    `/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=${rv}`,
  );
  assert.deepEqual(
    (await nb.drain()).map((e) => e.type),
    ["ADDED", "ADDED", "ADDED"],
  );
  // With the WatchList gate on (default), a legacy watch from "" with bookmarks allowed is
  // defaulted to a streaming list, so it also gets the end bookmark.
  const legacy = await watch(t, c, "/api/v1/pods?watch=1&allowWatchBookmarks=true");
  const legacyEvents = await legacy.drain();
  assert.deepEqual(
    legacyEvents.map((e) => e.type),
    ["ADDED", "ADDED", "ADDED", "BOOKMARK"],
  );
  assert.equal(legacyEvents[3].object.metadata.annotations["k8s.io/initial-events-end"], "true");
  // sendInitialEvents=false: no initial events.
  const none = await watch(
    t,
    c,
    `/api/v1/pods?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=${c.resourceVersion}`,
  );
  assert.deepEqual(await none.drain(), []);

  for (const q of [
    "sendInitialEvents=true",
    "sendInitialEvents=true&resourceVersionMatch=Exact",
    "resourceVersionMatch=NotOlderThan",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", `/api/v1/pods?watch=1&${q}`);
    assert.equal(r.status, 422, q);
    assert.equal(r.json.reason, "Invalid");
    assert.equal(r.json.details.kind, "ListOptions");
  }
});

void test("watchList: false rejects sendInitialEvents with 422", async (t) => {
  const c = await cluster(t, { watchList: false });
  const r = await http(
    c,
    "GET",
    "/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
  );
  assert.equal(r.status, 422);
  assert.match(r.json.message, /WatchList feature gate/);
});

void test("selectors on watch: objects entering a selection are ADDED, leaving it DELETED", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a", "default", { app: "web" }));
  c.create("pods", pod("b", "default", { app: "db" }));
  const w = await watch(t, c, "/api/v1/pods?watch=1&labelSelector=app%3Dweb");
  const f = await watch(
    t,
    c,
    `/api/v1/pods?watch=1&fieldSelector=status.phase%3DRunning&resourceVersion=${c.resourceVersion}`,
  );
  assert.deepEqual((await w.drain()).map(summary), ["ADDED a"]);
  c.patch("pods", "default", "b", { metadata: { labels: { app: "web" } } }); // enters
  const left = c.patch("pods", "default", "a", { metadata: { labels: { app: "api" } } }); // leaves
  c.patch("pods", "default", "a", { metadata: { labels: { v: "2" } } }); // outside: nothing
  c.patch("pods", "default", "b", { status: { phase: "Running" } }); // stays: MODIFIED; enters f
  c.delete("pods", "default", "b");
  const events = await w.drain();
  assert.deepEqual(events.map(summary), ["ADDED b", "DELETED a", "MODIFIED b", "DELETED b"]);
  // As the API server's cacher: the DELETED of an object that left carries its previous content
  // (the one the selector matched) at the change's resourceVersion.
  assert.equal(events[1].object.metadata.labels.app, "web");
  assert.equal(events[1].object.metadata.resourceVersion, left.metadata.resourceVersion);
  assert.deepEqual((await f.drain()).map(summary), ["ADDED b", "DELETED b"]);
  const bad = await http(c, "GET", "/api/v1/pods?watch=1&fieldSelector=nope%3D1");
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, "field label not supported: nope");
});

void test("watching one object by name: .../pods/NAME?watch=1", async (t) => {
  const c = await cluster(t);
  c.create("pods", pod("a"));
  c.create("pods", pod("b"));
  const w = await watch(t, c, "/api/v1/namespaces/default/pods/a?watch=1");
  c.patch("pods", "default", "b", { metadata: { labels: { x: "1" } } });
  c.patch("pods", "default", "a", { metadata: { labels: { x: "1" } } });
  assert.deepEqual((await w.drain()).map(summary), ["ADDED a", "MODIFIED a"]);
  const conflict = await http(
    c,
    "GET",
    "/api/v1/namespaces/default/pods/a?watch=1&fieldSelector=metadata.name%3Db",
  );
  assert.equal(conflict.status, 400);
});

void test("batch: events reach every watcher after fn returns, in order, none lost", async (t) => {
  const c = await cluster(t, { historySize: 20_000 });
  c.load.seed("pods", 100);
  const start = c.resourceVersion;
  const ws = await Promise.all(
    [1, 2, 3].map(() => watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${start}`)),
  );
  const keys = c.list("pods").map((p) => [p.metadata.namespace!, p.metadata.name!] as const);
  const result = c.batch(() => {
    for (let i = 0; i < 5000; i++) {
      const [ns, name] = keys[i % keys.length]!;
      c.patch("pods", ns, name, { metadata: { labels: { round: String(i) } } });
    }
    return "done";
  });
  assert.equal(result, "done");
  for (const w of ws) {
    const got: Json[] = [];
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    while (got.length < 5000) got.push(await w.next(5000));
    assert.deepEqual(
      got.slice(0, 3).map((e) => e.object.metadata.labels.round),
      ["0", "1", "2"],
    );
    assert.equal(got[4999].object.metadata.labels.round, "4999");
    const rvs = got.map((e) => Number(e.object.metadata.resourceVersion));
    assert.ok(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]!));
  }
  assert.equal(c.openWatchCount("pods"), 3);
  assert.equal(c.openWatchCount(), 3);
  assert.equal(c.openWatchCount("configmaps"), 0);
});

// What is observable over HTTP: a reader that pauses while the server has to queue gets every
// event, in order (the server's queue survives 'drain' cycles; nothing is dropped or reordered).
void test(
  "a slow reader gets every event in order (queued while the socket pushes back)",
  { timeout: 20_000 },
  async (t) => {
    const c = await cluster(t, { historySize: 50_000 });
    c.load.seed("pods", 50);
    const keys = c.list("pods").map((p) => [p.metadata.namespace!, p.metadata.name!] as const);
    const { request } = await import("node:http");
    const total = 20_000;
    const received = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${c.url}/api/v1/pods?watch=1&resourceVersion=${c.resourceVersion}`,
        { agent: false },
        (res) => {
          res.pause();
          let count = 0;
          let buf = "";
          c.batch(() => {
            for (let i = 0; i < total; i++) {
              const [ns, name] = keys[i % keys.length]!;
              c.patch("pods", ns, name, { metadata: { labels: { i: String(i) } } });
            }
          });
          // Start reading only after the server had to buffer.
          setTimeout(() => res.resume(), 300);
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            buf += d;
            let at: number;
            while ((at = buf.indexOf("\n")) !== -1) {
              const line = JSON.parse(buf.slice(0, at));
              buf = buf.slice(at + 1);
              if (line.object.metadata.labels.i !== String(count))
                reject(new Error(`event ${count} out of order`));
              count++;
              if (count === total) {
                req.destroy();
                resolve(count);
              }
            }
          });
        },
      );
      t.after(() => req.destroy());
      req.on("error", (e) => (e.message.includes("socket hang up") ? undefined : reject(e)));
      req.end();
    });
    assert.equal(received, total);
  },
);
