import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import type { HelmFinding } from "../../src/helm/index.ts";
import { openStore, type StoredRelease } from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { findingsOf, recordingLogger, release, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

/** A finding of `r` for its first object, with `fields` changed. */
function findingOf(r: StoredRelease, fields: Partial<HelmFinding>): HelmFinding {
  const [first] = findingsOf(r, ["v1.22.0"]);
  assert.ok(first !== undefined, "the release has an Ingress");
  return { ...first, ...fields };
}

/** The raw `findings` column of one release. */
function rawFindings(path: string, name: string): string {
  const db = new Sqlite(path, { readonly: true });
  try {
    return db
      .prepare<[string], string>("SELECT findings FROM helm_findings WHERE release = ?")
      .pluck()
      .get(name)!;
  } finally {
    db.close();
  }
}

void test("findings round-trip with every nullable field null and non-null", (t) => {
  const path = join(tempDir(t), "s.db");
  const r = release("ns", "all", 3, 2);
  const findings: HelmFinding[] = [];
  for (let mask = 0; mask < 16; mask++) {
    findings.push(
      findingOf(r, {
        // Distinct keys, so none is a duplicate of another.
        target: `v1.${20 + mask}.0`,
        name: mask % 2 === 0 ? "" : `obj-${mask}`,
        objectNamespace: mask % 3 === 0 ? "" : "other-ns",
        source: mask % 2 === 0 ? "hook" : "manifest",
        component: mask < 8 ? "k8s" : "istio",
        status: mask % 4 < 2 ? "deprecated" : "removed",
        deprecatedIn: (mask & 1) === 0 ? null : "v1.16.0",
        removedIn: (mask & 2) === 0 ? null : "v1.22.0",
        replacementApi: (mask & 4) === 0 ? null : "networking.k8s.io/v1",
        minorsUntilRemoval: (mask & 8) === 0 ? null : mask - 12,
      }),
    );
  }
  const store = openStore({ path });
  t.after(() => store.close());
  store.helm.apply({ upsert: [{ release: r, findings, computedAt: 42 }] });
  store.close();
  const again = openStore({ path });
  t.after(() => again.close());
  const [loaded] = again.helm.loadFindings();
  assert.deepEqual(loaded?.findings, findings);
  // Same property order as the findings the checker computes (JSON output stays the same).
  assert.equal(JSON.stringify(loaded?.findings), JSON.stringify(findings));
  assert.equal(loaded?.computedAt, 42);
  again.close();
  // The compact form: trailing nulls dropped, inner nulls kept.
  const rows: unknown = JSON.parse(rawFindings(path, "all"));
  assert.ok(Array.isArray(rows));
  assert.deepEqual(
    rows.map((row: unknown) => (Array.isArray(row) ? row.length : -1)),
    [8, 9, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12],
  );
  assert.deepEqual(rows[4], [
    "extensions/v1beta1",
    "Ingress",
    "",
    "other-ns",
    "hook",
    "k8s",
    "v1.24.0",
    "deprecated",
    null,
    null,
    "networking.k8s.io/v1",
  ]);
});

void test("a release whose findings do not decode is left out of loadFindings with a warning", (t) => {
  const path = join(tempDir(t), "s.db");
  const a = release("ns", "a", 1, 4);
  const b = release("ns", "b", 1, 4);
  const first = openStore({ path });
  first.helm.apply({
    upsert: [a, b].map((r) => ({ release: r, findings: findingsOf(r), computedAt: 1 })),
  });
  first.close();
  const good = rawFindings(path, "a");
  const bad = [
    "not json",
    "{}",
    "[[1]]",
    '[["apps/v1","Deployment","x","","manifest","k8s","v1.25.0","gone"]]',
    '[["apps/v1","Deployment","x","","manifest","k8s","v1.25.0","removed",null,null,null,1.5]]',
    '[["apps/v1","Deployment","x","","manifest","k8s","v1.25.0","removed",1]]',
    good.replace("]]", ',"extra",1,2,3,4,5]]'),
  ];
  for (const text of bad) {
    const raw = new Sqlite(path);
    raw.prepare("UPDATE helm_findings SET findings = ? WHERE release = 'a'").run(text);
    raw.close();
    const { logger, lines } = recordingLogger();
    const store = openStore({ path, logger });
    try {
      assert.deepEqual(
        store.helm.loadFindings().map((g) => [g.release, g.findings]),
        [["b", findingsOf(b)]],
        text,
      );
      assert.deepEqual(
        lines.filter((l) => l.level === "warn").map((l) => [l.fields.release, l.fields.column]),
        [["a", "findings"]],
        text,
      );
      // The release row itself still loads: the checker keeps its scan and recomputes.
      assert.deepEqual(store.helm.loadReleases(), [a, b]);
    } finally {
      store.close();
    }
  }
  // The good text decodes again: the loop's assertions could fail.
  const raw = new Sqlite(path);
  raw.prepare("UPDATE helm_findings SET findings = ? WHERE release = 'a'").run(good);
  raw.close();
  const store = openStore({ path });
  t.after(() => store.close());
  assert.deepEqual(
    store.helm.loadFindings().map((g) => g.findings),
    [findingsOf(a), findingsOf(b)],
  );
});

void test("a finding field of the wrong type is LOOKOUT_STORE_BAD_INPUT, nothing written", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const r = release("ns", "a", 1, 4);
  store.helm.apply({ upsert: [{ release: r, findings: findingsOf(r), computedAt: 1 }] });
  const before = store.helm.loadFindings();
  const bad: [string, Record<string, unknown>][] = [
    ["status", { status: "gone" }],
    ["source", { source: "chart" }],
    ["minorsUntilRemoval", { minorsUntilRemoval: 1.5 }],
    ["minorsUntilRemoval", { minorsUntilRemoval: "2" }],
    ["name", { name: null }],
    ["kind", { kind: 7 }],
    ["deprecatedIn", { deprecatedIn: undefined }],
    ["replacementApi", { replacementApi: 1 }],
  ];
  // Ill-typed input, as a JavaScript caller could pass it (method parameters are bivariant).
  const helm: { apply(change: unknown): void } = store.helm;
  for (const [field, fields] of bad) {
    const findings: unknown[] = [...findingsOf(r)];
    findings[1] = { ...findingsOf(r)[0], ...fields };
    const changes = [
      { upsert: [{ release: r, findings, computedAt: 2 }] },
      { replaceFindings: [{ namespace: "ns", release: "a", findings, computedAt: 2 }] },
    ];
    for (const change of changes) {
      const apply = (): void => helm.apply(change);
      assert.throws(apply, withCode("LOOKOUT_STORE_BAD_INPUT"), field);
      try {
        apply();
      } catch (err) {
        assert.ok(err instanceof Error && "field" in err);
        assert.match(String(err.field), new RegExp(`\\.findings\\[1\\]\\.${field}$`));
      }
      assert.deepEqual(store.helm.loadFindings(), before);
    }
  }
});

void test("exact duplicates in a long list are stored once, in first-seen order", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const r = release("ns", "long", 1, 30);
  const once = findingsOf(r, ["v1.22.0", "v1.25.0"]); // 30 findings: past the pairwise limit
  assert.equal(once.length, 30);
  const twice = [once[0]!, ...once.slice(0, 20), once[0]!, ...once, ...once.toReversed()];
  // Same key, another status: not an exact duplicate, so kept.
  const other: HelmFinding = { ...once[3]!, status: "deprecated" };
  store.helm.apply({ upsert: [{ release: r, findings: [...twice, other], computedAt: 1 }] });
  assert.deepEqual(store.helm.loadFindings()[0]?.findings, [...once, other]);
  store.helm.apply({
    replaceFindings: [{ namespace: "ns", release: "long", findings: twice, computedAt: 2 }],
  });
  assert.deepEqual(store.helm.loadFindings()[0]?.findings, once);
});

void test("a release without a findings row (hand-edited file) is left out with a warning", (t) => {
  const path = join(tempDir(t), "s.db");
  const a = release("ns", "a", 1, 4);
  const b = release("ns", "b", 1, 4);
  const first = openStore({ path });
  first.helm.apply({
    upsert: [a, b].map((r) => ({ release: r, findings: findingsOf(r), computedAt: 1 })),
  });
  first.close();
  const raw = new Sqlite(path);
  raw.prepare("DELETE FROM helm_findings WHERE release = 'a'").run();
  raw.close();
  const { logger, lines } = recordingLogger();
  const store = openStore({ path, logger });
  t.after(() => store.close());
  assert.deepEqual(
    store.helm.loadFindings().map((g) => g.release),
    ["b"],
  );
  assert.deepEqual(
    lines.filter((l) => l.level === "warn").map((l) => [l.fields.release, l.fields.column]),
    [["a", "findings"]],
  );
  // replaceFindings writes the row again.
  store.helm.apply({
    replaceFindings: [{ namespace: "ns", release: "a", findings: findingsOf(a), computedAt: 2 }],
  });
  assert.deepEqual(
    store.helm.loadFindings().map((g) => [g.release, g.computedAt, g.findings]),
    [
      ["a", 2, findingsOf(a)],
      ["b", 1, findingsOf(b)],
    ],
  );
});
