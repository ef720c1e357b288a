import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertNoActiveHandles, cluster, http, pod } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

function names(list: Json): string[] {
  return list.items.map((i: Json) => `${i.metadata.namespace}/${i.metadata.name}`);
}

void test("list: all namespaces, one namespace, sorted by key, collection RV", async (t) => {
  const c = await cluster(t);
  for (const [ns, n] of [
    ["b", "2"],
    ["a", "9"],
    ["b", "1"],
    ["a", "10"],
  ] as const)
    c.create("pods", pod(n, ns));
  const all = await http(c, "GET", "/api/v1/pods");
  assert.equal(all.json.kind, "PodList");
  assert.equal(all.json.apiVersion, "v1");
  assert.equal(all.json.metadata.resourceVersion, c.resourceVersion);
  assert.deepEqual(names(all.json), ["a/10", "a/9", "b/1", "b/2"]);
  const b = await http(c, "GET", "/api/v1/namespaces/b/pods");
  assert.deepEqual(names(b.json), ["b/1", "b/2"]);
  assert.equal(b.json.metadata.continue, undefined);
  const ns = await http(c, "GET", "/api/v1/namespaces");
  assert.deepEqual(
    ns.json.items.map((i: Json) => i.metadata.name),
    ["default", "kube-node-lease", "kube-public", "kube-system"],
  );
});

void test("paging: every page is served at the first page's RV, whatever changes in between", async (t) => {
  const c = await cluster(t);
  for (let i = 0; i < 10; i++)
    c.create("configmaps", {
      metadata: { name: `cm-${i}`, namespace: "default" },
      data: { v: "0" },
    });
  const p1 = await http(c, "GET", "/api/v1/namespaces/default/configmaps?limit=4");
  const rv = p1.json.metadata.resourceVersion;
  assert.equal(p1.json.items.length, 4);
  assert.equal(p1.json.metadata.remainingItemCount, 6);
  const token = JSON.parse(Buffer.from(p1.json.metadata.continue, "base64url").toString());
  assert.deepEqual(token, { v: "meta.k8s.io/v1", rv: Number(rv), start: "default/cm-3\u0000" });

  // Change, delete and add objects after the first page.
  c.patch("configmaps", "default", "cm-5", { data: { v: "changed" } });
  c.delete("configmaps", "default", "cm-6");
  c.create("configmaps", { metadata: { name: "cm-7a", namespace: "default" } });

  const p2 = await http(
    c,
    "GET",
    `/api/v1/namespaces/default/configmaps?limit=4&continue=${p1.json.metadata.continue}`,
  );
  assert.equal(p2.status, 200);
  assert.equal(p2.json.metadata.resourceVersion, rv);
  assert.deepEqual(
    p2.json.items.map((i: Json) => i.metadata.name),
    ["cm-4", "cm-5", "cm-6", "cm-7"],
  );
  assert.equal(p2.json.items[1].data.v, "0");
  assert.equal(p2.json.metadata.remainingItemCount, 2);
  const p3 = await http(
    c,
    "GET",
    `/api/v1/namespaces/default/configmaps?limit=4&continue=${p2.json.metadata.continue}`,
  );
  assert.deepEqual(
    p3.json.items.map((i: Json) => i.metadata.name),
    ["cm-8", "cm-9"],
  );
  assert.equal(p3.json.metadata.continue, undefined);
  assert.equal(p3.json.metadata.remainingItemCount, undefined);

  // A fresh list sees the new state.
  const fresh = await http(c, "GET", "/api/v1/namespaces/default/configmaps");
  assert.equal(fresh.json.items.length, 10);
  assert.notEqual(fresh.json.metadata.resourceVersion, rv);
});

void test("paging with selectors: no remainingItemCount; limit with RV=0 is ignored", async (t) => {
  const c = await cluster(t);
  for (let i = 0; i < 6; i++)
    c.create("pods", pod(`p${i}`, "default", { even: String(i % 2 === 0) }));
  const p1 = await http(c, "GET", "/api/v1/pods?limit=2&labelSelector=even%3Dtrue");
  assert.deepEqual(
    p1.json.items.map((i: Json) => i.metadata.name),
    ["p0", "p2"],
  );
  assert.equal(p1.json.metadata.remainingItemCount, undefined);
  assert.ok(p1.json.metadata.continue);
  const p2 = await http(
    c,
    "GET",
    `/api/v1/pods?limit=2&labelSelector=even%3Dtrue&continue=${p1.json.metadata.continue}`,
  );
  assert.deepEqual(
    p2.json.items.map((i: Json) => i.metadata.name),
    ["p4"],
  );
  const Json = await http(c, "GET", "/api/v1/pods?limit=2&resourceVersion=0");
  assert.equal(Json.json.items.length, 6);
  assert.equal(Json.json.metadata.continue, undefined);
});

void test("continue tokens expire after continueTtlMs and on expireContinueTokens()", async (t) => {
  let now = 1_000_000;
  const c = await cluster(t, { continueTtlMs: 60_000, clock: () => now });
  for (let i = 0; i < 5; i++) c.create("pods", pod(`p${i}`));
  const p1 = await http(c, "GET", "/api/v1/pods?limit=2");
  const ok = await http(c, "GET", `/api/v1/pods?limit=2&continue=${p1.json.metadata.continue}`);
  assert.equal(ok.status, 200);
  now += 60_001;
  const old = await http(c, "GET", `/api/v1/pods?limit=2&continue=${ok.json.metadata.continue}`);
  assert.equal(old.status, 410);
  assert.equal(old.json.reason, "Expired");
  assert.match(
    old.json.message,
    /^The provided continue parameter is too old to display a consistent list result/,
  );
  // The 410 carries a token that continues inconsistently at the current state.
  const inconsistent = await http(
    c,
    "GET",
    `/api/v1/pods?limit=10&continue=${old.json.metadata.continue}`,
  );
  assert.equal(inconsistent.status, 200);
  assert.deepEqual(
    inconsistent.json.items.map((i: Json) => i.metadata.name),
    ["p4"],
  );

  const q1 = await http(c, "GET", "/api/v1/pods?limit=2");
  c.faults.expireContinueTokens();
  const q2 = await http(c, "GET", `/api/v1/pods?limit=2&continue=${q1.json.metadata.continue}`);
  assert.equal(q2.status, 410);
  assert.equal(q2.json.code, 410);
});

void test("RV / limit / continue / resourceVersionMatch validation", async (t) => {
  const c = await cluster(t, { historySize: 100 });
  for (let i = 0; i < 3; i++) c.create("pods", pod(`p${i}`));
  const rvAfter3 = c.resourceVersion;
  const p1 = await http(c, "GET", "/api/v1/pods?limit=1");
  const token = p1.json.metadata.continue;

  const withRv = await http(
    c,
    "GET",
    `/api/v1/pods?limit=1&continue=${token}&resourceVersion=${rvAfter3}`,
  );
  assert.equal(withRv.status, 400);
  assert.equal(withRv.json.reason, "BadRequest");
  assert.equal(
    withRv.json.message,
    "specifying resource version is not allowed when using continue",
  );
  assert.equal(
    (await http(c, "GET", `/api/v1/pods?limit=1&continue=${token}&resourceVersion=0`)).status,
    200,
  );
  assert.equal((await http(c, "GET", "/api/v1/pods?limit=1&continue=garbage")).status, 400);

  const cases: [string, string][] = [
    [
      "resourceVersionMatch=Exact",
      "resourceVersionMatch is forbidden unless resourceVersion is provided",
    ],
    [
      `resourceVersionMatch=Exact&resourceVersion=1&continue=${token}`,
      "resourceVersionMatch is forbidden when continue is provided",
    ],
    ["resourceVersionMatch=Newest&resourceVersion=1", 'Unsupported value: "Newest"'],
    [
      "resourceVersionMatch=Exact&resourceVersion=0",
      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ],
    ["sendInitialEvents=true", "sendInitialEvents is forbidden for list"],
  ];
  for (const [q, message] of cases) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", `/api/v1/pods?${q}`);
    assert.equal(r.status, 422, q);
    assert.equal(r.json.reason, "Invalid", q);
    assert.equal(r.json.details.kind, "ListOptions", q);
    assert.equal(r.json.details.group, "meta.k8s.io", q);
    assert.ok(r.json.message.includes(message), `${q}: ${r.json.message}`);
    const causeType = message.startsWith("Unsupported")
      ? "FieldValueNotSupported"
      : "FieldValueForbidden";
    assert.equal(r.json.details.causes[0].type, causeType, q);
    assert.match(r.json.message, /^ListOptions\.meta\.k8s\.io "" is invalid: /);
  }

  // Exact at an older RV: the state as it was (rebuilt from history).
  c.delete("pods", "default", "p0");
  c.create("pods", pod("p9"));
  const exact = await http(
    c,
    "GET",
    `/api/v1/pods?resourceVersion=${rvAfter3}&resourceVersionMatch=Exact`,
  );
  assert.equal(exact.json.metadata.resourceVersion, rvAfter3);
  assert.deepEqual(
    exact.json.items.map((i: Json) => i.metadata.name),
    ["p0", "p1", "p2"],
  );
  const limitN = await http(c, "GET", `/api/v1/pods?resourceVersion=${rvAfter3}&limit=2`);
  assert.deepEqual(
    limitN.json.items.map((i: Json) => i.metadata.name),
    ["p0", "p1"],
  );
  const page2 = await http(
    c,
    "GET",
    `/api/v1/pods?limit=2&continue=${limitN.json.metadata.continue}`,
  );
  assert.deepEqual(
    page2.json.items.map((i: Json) => i.metadata.name),
    ["p2"],
  );
  const notOlder = await http(c, "GET", `/api/v1/pods?resourceVersion=${rvAfter3}`);
  assert.equal(notOlder.json.metadata.resourceVersion, c.resourceVersion);
  assert.deepEqual(
    notOlder.json.items.map((i: Json) => i.metadata.name),
    ["p1", "p2", "p9"],
  );
  c.faults.compact();
  const tooOld = await http(
    c,
    "GET",
    `/api/v1/pods?resourceVersion=${rvAfter3}&resourceVersionMatch=Exact`,
  );
  assert.equal(tooOld.status, 410);
  assert.equal(tooOld.json.reason, "Expired");
});

void test("an RV newer than the server's: 504 Timeout with cause ResourceVersionTooLarge after a wait", async (t) => {
  const c = await cluster(t);
  const future = Number(c.resourceVersion) + 100;
  const started = Date.now();
  for (const path of [
    `/api/v1/pods?resourceVersion=${future}`,
    `/api/v1/namespaces/default/pods/x?resourceVersion=${future}`,
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(c, "GET", path);
    assert.equal(r.status, 504, path);
    assert.equal(r.json.reason, "Timeout");
    assert.equal(
      r.json.message,
      `Timeout: Too large resource version: ${future}, current: ${c.resourceVersion}`,
    );
    assert.equal(r.json.details.causes[0].type, "ResourceVersionTooLarge");
    assert.equal(typeof r.json.details.retryAfterSeconds, "number");
  }
  assert.ok(Date.now() - started >= 1900);
  // An RV that arrives during the wait is served.
  const next = Number(c.resourceVersion) + 1;
  const pending = http(c, "GET", `/api/v1/pods?resourceVersion=${next}`);
  setTimeout(() => c.create("pods", pod("late")), 100);
  const served = await pending;
  assert.equal(served.status, 200);
  assert.equal(served.json.items.length, 1);
});

void test("label and field selectors on list; unsupported field label is 400", async (t) => {
  const c = await cluster(t);
  c.create("pods", {
    ...pod("a", "default", { app: "web", tier: "1" }),
    spec: { nodeName: "n1" },
    status: { phase: "Running" },
  });
  c.create("pods", {
    ...pod("b", "default", { app: "db" }),
    spec: { nodeName: "n2" },
    status: { phase: "Pending" },
  });
  c.create("pods", {
    ...pod("c", "other"),
    spec: { nodeName: "n1" },
    status: { phase: "Running" },
  });
  const q = async (qs: string) =>
    (await http(c, "GET", `/api/v1/pods?${qs}`)).json.items.map((i: Json) => i.metadata.name);
  assert.deepEqual(await q("labelSelector=app%3Dweb"), ["a"]);
  assert.deepEqual(await q("labelSelector=app!%3Dweb"), ["b", "c"]);
  assert.deepEqual(await q("labelSelector=app%20in%20(web,db)"), ["a", "b"]);
  assert.deepEqual(await q("labelSelector=!app"), ["c"]);
  assert.deepEqual(await q("labelSelector=tier%3E0"), ["a"]);
  assert.deepEqual(await q("fieldSelector=spec.nodeName%3Dn1"), ["a", "c"]);
  assert.deepEqual(await q("fieldSelector=status.phase!%3DRunning"), ["b"]);
  assert.deepEqual(await q("fieldSelector=metadata.namespace%3Dother"), ["c"]);
  assert.deepEqual(
    await q("fieldSelector=spec.nodeName%3Dn1,metadata.name%3Da&labelSelector=app"),
    ["a"],
  );
  const bad = await http(c, "GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx");
  assert.equal(bad.status, 400);
  assert.equal(bad.json.reason, "BadRequest");
  assert.equal(bad.json.message, "field label not supported: spec.bogus");
  const badLabel = await http(c, "GET", "/api/v1/pods?labelSelector=a%20in%20b");
  assert.equal(badLabel.status, 400);
  const cmField = await http(c, "GET", "/api/v1/configmaps?fieldSelector=spec.nodeName%3Dn1");
  assert.equal(cmField.status, 400);
});

void test("a large paged list is fast: 50,000 pods at limit=500", async (t) => {
  const c = await cluster(t);
  c.load.seed("pods", 50_000);
  let token = "";
  let count = 0;
  let pages = 0;
  let rv = "";
  const started = performance.now();
  do {
    // oxlint-disable-next-line eslint/no-await-in-loop -- sequential on purpose
    const r = await http(
      c,
      "GET",
      `/api/v1/pods?limit=500${token === "" ? "" : `&continue=${token}`}`,
    );
    assert.equal(r.status, 200);
    // Read the metadata without parsing the whole page: the client's cost is not measured here.
    const head = r.text.slice(0, r.text.indexOf(',"items":[')) + "}";
    const meta = JSON.parse(head).metadata;
    rv ||= meta.resourceVersion;
    assert.equal(meta.resourceVersion, rv);
    count += r.text.split('{"apiVersion":"v1","kind":"Pod"').length - 1;
    pages++;
    token = meta.continue ?? "";
  } while (token !== "");
  const ms = performance.now() - started;
  assert.equal(count, 50_000);
  assert.equal(pages, 100);
  assert.equal(c.requests.filter((r) => r.path === "/api/v1/pods").length, 100);
  // Generous bound for the whole round trip on a 2-core machine (client in the same process).
  assert.ok(ms < 10_000, `paged list took ${ms} ms`);
  t.diagnostic(`50k pods in ${pages} pages: ${ms.toFixed(0)} ms round trip`);
});
