import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertNoActiveHandles, cluster, http, pod, watch } from "./support.ts";

after(assertNoActiveHandles);

const MERGE = { "content-type": "application/merge-patch+json" };

void test("an update or patch that changes nothing keeps the RV and sends no event", async (t) => {
  const c = await cluster(t);
  const a = (
    await http(c, "POST", "/api/v1/namespaces/default/pods", pod("a", "default", { x: "1" }))
  ).json;
  const rv = c.resourceVersion;
  const w = await watch(t, c, `/api/v1/pods?watch=1&resourceVersion=${rv}`);

  // PUT of the object as read, with and without its RV, and with keys in another order.
  const same = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", a);
  assert.equal(same.status, 200);
  assert.deepEqual(same.json, a);
  const { resourceVersion: _rv, ...noRv } = a.metadata;
  const unconditional = await http(c, "PUT", "/api/v1/namespaces/default/pods/a", {
    ...a,
    metadata: noRv,
  });
  assert.deepEqual(unconditional.json, a);
  const reordered = Object.fromEntries(Object.entries(a).reverse());
  assert.deepEqual((await http(c, "PUT", "/api/v1/namespaces/default/pods/a", reordered)).json, a);

  // Merge patches that set what is already there.
  for (const patch of [
    {},
    { metadata: { labels: { x: "1" } } },
    { status: { phase: "Pending" } },
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "PATCH", "/api/v1/namespaces/default/pods/a", patch, MERGE);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, a, JSON.stringify(patch));
  }
  // The in-process API too.
  assert.deepEqual(c.update("pods", a), a);
  assert.deepEqual(c.patch("pods", "default", "a", { metadata: { labels: { x: "1" } } }), a);
  assert.equal(c.resourceVersion, rv);
  assert.deepEqual(await w.drain(200), []);

  // A real change still bumps the RV and is sent.
  const changed = await http(
    c,
    "PATCH",
    "/api/v1/namespaces/default/pods/a",
    { metadata: { labels: { x: "2" } } },
    MERGE,
  );
  assert.equal(changed.json.metadata.resourceVersion, String(Number(rv) + 1));
  const events = await w.drain(200);
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.labels.x}`),
    ["MODIFIED 2"],
  );
});

void test("load.churn updates always change the object, so every update is an event", async (t) => {
  const c = await cluster(t);
  c.create("configmaps", { metadata: { name: "only", namespace: "default" } });
  const w = await watch(t, c, `/api/v1/configmaps?watch=1&resourceVersion=${c.resourceVersion}`);
  const rv = Number(c.resourceVersion);
  const r = await c.load.churn({
    resource: "configmaps",
    count: 300,
    ratePerSec: 100_000,
    mix: { create: 0, update: 1, delete: 0 },
    seed: 7,
  });
  assert.equal(r.updated, 300);
  assert.equal(Number(c.resourceVersion), rv + 300);
  assert.equal((await w.drain()).length, 300);
});
