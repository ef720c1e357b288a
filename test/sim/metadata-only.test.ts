/**
 * Metadata-only lists and watches (PartialObjectMetadata) over raw HTTP: shapes, paging,
 * selectors, v1beta1, fallbacks in the Accept header and 406 without one.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster, http, watch } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const META = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const META_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const BIG = "x".repeat(10_000);

function secret(name: string, namespace: string, owner: string | undefined): Json {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      labels: owner === undefined ? { app: "web" } : { owner, app: "web" },
      annotations: { note: name },
    },
    type: "helm.sh/release.v1",
    data: { release: Buffer.from(BIG).toString("base64") },
  };
}

/** a..e in default (b and d unlabelled by helm), f in other. */
function seed(c: SimulatedCluster): void {
  for (const [n, owner] of [
    ["a", "helm"],
    ["b", undefined],
    ["c", "helm"],
    ["d", undefined],
    ["e", "helm"],
  ] as const) {
    c.create("secrets", secret(n, "default", owner));
  }
  c.create("secrets", secret("f", "other", "helm"));
}

function assertPartial(o: Json, c: SimulatedCluster, apiVersion = "meta.k8s.io/v1"): void {
  assert.deepEqual(Object.keys(o).sort(), ["apiVersion", "kind", "metadata"]);
  assert.equal(o.kind, "PartialObjectMetadata");
  assert.equal(o.apiVersion, apiVersion);
  const full = c.get("secrets", o.metadata.namespace, o.metadata.name);
  assert.ok(full !== undefined);
  assert.deepEqual(o.metadata, full.metadata, "the whole ObjectMeta, unchanged");
}

void test("list: PartialObjectMetadataList of PartialObjectMetadata items, no data", async (t) => {
  const c = await cluster(t);
  seed(c);
  const r = await http(c, "GET", "/api/v1/secrets", undefined, { accept: META_LIST });
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.json.kind, "PartialObjectMetadataList");
  assert.equal(r.json.apiVersion, "meta.k8s.io/v1");
  assert.equal(r.json.metadata.resourceVersion, c.resourceVersion);
  assert.equal(r.json.items.length, 6);
  for (const o of r.json.items) assertPartial(o, c);
  assert.ok(!r.text.includes('"data"'));
  assert.ok(r.text.length < 6 * 1000, `body is small: ${r.text.length} chars`);
  // Same objects, same order as the full list.
  const full = await http(c, "GET", "/api/v1/secrets");
  assert.equal(full.json.kind, "SecretList");
  assert.deepEqual(
    r.json.items.map((o: Json) => o.metadata.uid),
    full.json.items.map((o: Json) => o.metadata.uid),
  );
});

void test("list: paging, continue tokens, selectors and RV rules are those of full lists", async (t) => {
  const c = await cluster(t);
  seed(c);
  const queries = [
    "/api/v1/secrets?limit=2",
    "/api/v1/namespaces/default/secrets?limit=2&labelSelector=owner%3Dhelm",
    "/api/v1/secrets?limit=4&fieldSelector=metadata.namespace%3Ddefault",
  ];
  for (const first of queries) {
    const pages = async (accept: string | undefined): Promise<Json[]> => {
      const out: Json[] = [];
      let path = first;
      for (;;) {
        const headers: Record<string, string> = accept === undefined ? {} : { accept };
        // oxlint-disable-next-line eslint/no-await-in-loop -- pages are sequential
        const r = await http(c, "GET", path, undefined, headers);
        assert.equal(r.status, 200, r.text);
        out.push(r.json);
        if (r.json.metadata.continue === undefined) return out;
        path = `${first}&continue=${encodeURIComponent(r.json.metadata.continue)}`;
      }
    };
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const meta = await pages(META_LIST);
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const full = await pages(undefined);
    assert.ok(meta.length > 1, `${first}: several pages`);
    assert.deepEqual(
      meta.map((p) => [p.metadata, p.items.map((o: Json) => o.metadata.name)]),
      full.map((p) => [p.metadata, p.items.map((o: Json) => o.metadata.name)]),
      first,
    );
    for (const p of meta) {
      assert.equal(p.kind, "PartialObjectMetadataList");
      for (const o of p.items) assertPartial(o, c);
    }
  }
  const sel = await http(
    c,
    "GET",
    "/api/v1/secrets?labelSelector=owner%3Dhelm,app%3Dweb",
    undefined,
    { accept: META_LIST },
  );
  assert.deepEqual(
    sel.json.items.map((o: Json) => o.metadata.name),
    ["a", "c", "e", "f"],
  );
});

void test("get: PartialObjectMetadata of one object", async (t) => {
  const c = await cluster(t);
  seed(c);
  const r = await http(c, "GET", "/api/v1/namespaces/default/secrets/a", undefined, {
    accept: META,
  });
  assert.equal(r.status, 200);
  assertPartial(r.json, c);
});

void test("Accept negotiation: v1beta1, fallbacks in order, 406 without an acceptable one", async (t) => {
  const c = await cluster(t);
  seed(c);
  const list = (accept: string) =>
    http(c, "GET", "/api/v1/namespaces/default/secrets", undefined, { accept });

  const beta = await list("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1");
  assert.equal(beta.json.kind, "PartialObjectMetadataList");
  assert.equal(beta.json.apiVersion, "meta.k8s.io/v1beta1");
  for (const o of beta.json.items) assertPartial(o, c, "meta.k8s.io/v1beta1");

  // The first servable entry wins: protobuf is not served, so the JSON metadata one is taken.
  const pb = await list(
    `application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,${META_LIST},application/json`,
  );
  assert.equal(pb.json.kind, "PartialObjectMetadataList");

  // An unsupported transformation with a plain JSON fallback: whole objects.
  for (const accept of [
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v2,application/json",
    "application/json;as=Unknown;g=meta.k8s.io;v=v1, application/json",
    `${META},application/json`, // PartialObjectMetadata is not a list's kind
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await list(accept);
    assert.equal(r.status, 200, accept);
    assert.equal(r.json.kind, "SecretList", accept);
    assert.ok(r.json.items[0].data.release.length > 10_000, accept);
  }

  // No acceptable fallback: 406 with a Status, for lists, gets and watches.
  for (const [path, accept] of [
    [
      "/api/v1/namespaces/default/secrets",
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v2",
    ],
    ["/api/v1/namespaces/default/secrets", META],
    [
      "/api/v1/namespaces/default/secrets",
      "application/json;as=PartialObjectMetadataList;g=other.io;v=v1",
    ],
    ["/api/v1/namespaces/default/secrets/a", META_LIST],
    ["/api/v1/namespaces/default/secrets?watch=1", META_LIST],
    [
      "/api/v1/namespaces/default/secrets?watch=1",
      "application/json;as=Unknown;g=meta.k8s.io;v=v1",
    ],
  ] as const) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", path, undefined, { accept });
    assert.equal(r.status, 406, `${path} ${accept}`);
    assert.equal(r.json.kind, "Status");
    assert.equal(r.json.code, 406);
    assert.equal(r.json.reason, "NotAcceptable");
  }
});

const summary = (e: Json) => `${e.type} ${e.object.metadata.name ?? ""}`.trim();

void test("watch: every event carries PartialObjectMetadata, DELETED the last metadata", async (t) => {
  const c = await cluster(t);
  seed(c);
  const w = await watch(
    t,
    c,
    "/api/v1/namespaces/default/secrets?watch=1&labelSelector=owner%3Dhelm",
    { accept: `${META},application/json` },
  );
  assert.equal(w.status, 200);
  const initial = await w.drain();
  assert.deepEqual(initial.map(summary), ["ADDED a", "ADDED c", "ADDED e"]);
  for (const e of initial) assertPartial(e.object, c);

  const m = c.patch("secrets", "default", "a", { metadata: { annotations: { note: "changed" } } });
  c.patch("secrets", "default", "b", { metadata: { labels: { owner: "helm" } } }); // enters
  const before = c.get("secrets", "default", "c")!;
  const left = c.patch("secrets", "default", "c", { metadata: { labels: { owner: null } } }); // leaves
  c.create("secrets", secret("g", "other", "helm")); // other namespace
  const last = c.get("secrets", "default", "e")!;
  const d = c.delete("secrets", "default", "e")!;
  const events = await w.drain();
  assert.deepEqual(events.map(summary), ["MODIFIED a", "ADDED b", "DELETED c", "DELETED e"]);
  for (const e of events) {
    assert.deepEqual(Object.keys(e.object).sort(), ["apiVersion", "kind", "metadata"]);
    assert.equal(e.object.kind, "PartialObjectMetadata");
    assert.equal(e.object.apiVersion, "meta.k8s.io/v1");
  }
  assert.deepEqual(events[0].object.metadata, m.metadata);
  // As the API server's cacher: the object that left is its previous content (still selected),
  // at the change's resourceVersion.
  assert.deepEqual(events[2].object.metadata, {
    ...before.metadata,
    resourceVersion: left.metadata.resourceVersion,
  });
  const gone = events[3].object.metadata;
  assert.equal(gone.resourceVersion, d.metadata.resourceVersion);
  assert.ok(gone.deletionTimestamp);
  assert.equal(gone.uid, last.metadata.uid);
  assert.deepEqual(gone.labels, last.metadata.labels);
});

void test("watch: streaming list with the initial-events-end bookmark, history replay, bookmarks", async (t) => {
  const c = await cluster(t, { bookmarkIntervalMs: 100 });
  seed(c);
  const rv = c.resourceVersion;
  const w = await watch(
    t,
    c,
    "/api/v1/namespaces/default/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
    { accept: META },
  );
  const first = await w.drain(60);
  assert.deepEqual(first.slice(0, 6).map(summary), [
    "ADDED a",
    "ADDED b",
    "ADDED c",
    "ADDED d",
    "ADDED e",
    "BOOKMARK",
  ]);
  assert.deepEqual(first[5].object, {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: rv, annotations: { "k8s.io/initial-events-end": "true" } },
  });
  const periodic = await w.next(2000);
  assert.equal(periodic.type, "BOOKMARK");
  assert.equal(periodic.object.kind, "PartialObjectMetadata");
  w.close();

  c.patch("secrets", "default", "d", { metadata: { labels: { x: "1" } } });
  const replay = await watch(t, c, `/api/v1/secrets?watch=1&resourceVersion=${rv}`, {
    accept: META,
  });
  const events = await replay.drain();
  assert.deepEqual(events.map(summary), ["MODIFIED d"]);
  assertPartial(events[0].object, c);
});
