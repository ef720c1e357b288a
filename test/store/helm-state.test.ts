import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Sqlite from "better-sqlite3";
import type { HelmFinding } from "../../src/helm/index.ts";
import {
  openStore,
  type HelmStateChange,
  type ReleaseUpsert,
  type StoredRelease,
} from "../../src/store/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { codeOf, findingsOf, recordingLogger, release, tempDir, withCode } from "./support.ts";

after(assertNoActiveHandles);

const byKey = (a: { namespace: string; release: string }, b: typeof a): number =>
  a.namespace === b.namespace
    ? a.release < b.release
      ? -1
      : a.release > b.release
        ? 1
        : 0
    : a.namespace < b.namespace
      ? -1
      : 1;

function good(name: string): ReleaseUpsert {
  const r = release("ns", name, 1, 4);
  return { release: r, findings: findingsOf(r), computedAt: 2 };
}

/** The `helm_findings` rows (one per release) and the findings they hold, read directly. */
function findingRows(path: string): { rows: number; findings: number } {
  const db = new Sqlite(path, { readonly: true });
  try {
    const [rows, findings] = db
      .prepare<[], [number, number]>(
        "SELECT count(*), coalesce(sum(json_array_length(findings)), 0) FROM helm_findings",
      )
      .raw()
      .get()!;
    return { rows, findings };
  } finally {
    db.close();
  }
}

void test("releases and findings round-trip across close and reopen", (t) => {
  const path = join(tempDir(t), "s.db");
  const plain = release("shop", "web", 7, 5);
  const { appVersion: _dropped, ...noAppVersion } = release("shop", "api", 2, 4);
  const bare: StoredRelease = {
    ...release("infra", "cert-manager", 1, 0),
    driver: "configmap",
    objects: [{ apiVersion: "", kind: "", source: "manifest" }],
    errors: [
      { code: "LOOKOUT_HELM_BAD_YAML", message: "bad doc", documentIndex: 2, source: "hook" },
      { code: "LOOKOUT_HELM_TOO_LARGE", message: "big", limit: 10 },
    ],
  };
  const releases = [plain, noAppVersion, bare];
  const store = openStore({ path });
  t.after(() => store.close());
  store.helm.apply({
    upsert: releases.map((r, i) => ({ release: r, findings: findingsOf(r), computedAt: 100 + i })),
  });
  assert.equal(store.helm.releaseCount(), 3);
  store.close();

  const again = openStore({ path });
  t.after(() => again.close());
  assert.deepEqual(again.helm.loadReleases(), [...releases].sort(byKey));
  assert.deepEqual(
    again.helm.loadFindings(),
    releases
      .map((r, i) => ({
        namespace: r.namespace,
        release: r.release,
        revision: r.revision,
        payloadHash: r.payloadHash,
        computedAt: 100 + i,
        findings: findingsOf(r),
      }))
      .sort(byKey),
  );
});

void test("an upsert replaces the release row and all its findings", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const v1 = release("ns", "app", 1, 6);
  const other = release("ns", "other", 3, 3);
  store.helm.apply({
    upsert: [
      { release: v1, findings: findingsOf(v1, ["v1.22.0", "v1.25.0", "v1.29.0"]), computedAt: 1 },
      { release: other, findings: findingsOf(other), computedAt: 1 },
    ],
  });
  const v2 = release("ns", "app", 2, 2, { status: "superseded" });
  store.helm.apply({ upsert: [{ release: v2, findings: findingsOf(v2), computedAt: 2 }] });
  const [app, kept] = store.helm.loadFindings();
  assert.deepEqual(app?.findings, findingsOf(v2));
  assert.equal(app?.revision, 2);
  assert.equal(app?.computedAt, 2);
  assert.deepEqual(kept?.findings, findingsOf(other));
  assert.deepEqual(store.helm.loadReleases()[0], v2);
  store.close();
  assert.deepEqual(findingRows(path), {
    rows: 2,
    findings: findingsOf(v2).length + findingsOf(other).length,
  });
});

void test("deleting a release deletes its findings (cascade); a missing one is no error", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const a = release("ns", "a", 1, 6);
  const b = release("ns", "b", 1, 6);
  store.helm.apply({
    upsert: [a, b].map((r) => ({ release: r, findings: findingsOf(r), computedAt: 1 })),
  });
  store.helm.apply({
    delete: [
      { namespace: "ns", release: "a" },
      { namespace: "ns", release: "never" },
    ],
  });
  assert.equal(store.helm.releaseCount(), 1);
  assert.deepEqual(
    store.helm.loadFindings().map((g) => g.release),
    ["b"],
  );
  store.close();
  assert.deepEqual(findingRows(path), { rows: 1, findings: findingsOf(b).length });
});

void test("replaceFindings swaps one release's findings and computedAt, keeps its row", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const r = release("ns", "a", 4, 6);
  store.helm.apply({ upsert: [{ release: r, findings: findingsOf(r), computedAt: 1 }] });
  const fewer = findingsOf(r, ["v1.30.0"]);
  store.helm.apply({
    replaceFindings: [{ namespace: "ns", release: "a", findings: fewer, computedAt: 9 }],
  });
  assert.deepEqual(store.helm.loadFindings(), [
    {
      namespace: "ns",
      release: "a",
      revision: 4,
      payloadHash: r.payloadHash,
      computedAt: 9,
      findings: fewer,
    },
  ]);
  assert.deepEqual(store.helm.loadReleases(), [r]);
  store.helm.apply({
    replaceFindings: [{ namespace: "ns", release: "a", findings: [], computedAt: 10 }],
  });
  assert.deepEqual(
    store.helm.loadFindings().map((g) => [g.computedAt, g.findings.length]),
    [[10, 0]],
  );
});

void test("apply is atomic: a bad row in the middle of a batch writes nothing", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const base = release("ns", "base", 1, 3);
  store.helm.apply({ upsert: [{ release: base, findings: findingsOf(base), computedAt: 1 }] });
  const before = { releases: store.helm.loadReleases(), findings: store.helm.loadFindings() };
  const badRevision = release("ns", "bad", 1, 2, { revision: 1.5 });
  const wrongFinding: HelmFinding[] = findingsOf(release("ns", "mid", 1, 4));
  wrongFinding[1] = { ...wrongFinding[1]!, revision: 9 };
  const cases: { change: HelmStateChange; code: string }[] = [
    {
      change: {
        upsert: [good("x"), { release: badRevision, findings: [], computedAt: 2 }, good("y")],
        delete: [{ namespace: "ns", release: "base" }],
      },
      code: "LOOKOUT_STORE_WRITE_FAILED",
    },
    {
      change: {
        upsert: [
          good("x"),
          { release: release("ns", "mid", 1, 4), findings: wrongFinding, computedAt: 2 },
        ],
      },
      code: "LOOKOUT_STORE_BAD_INPUT",
    },
    {
      change: {
        upsert: [good("x")],
        replaceFindings: [{ namespace: "ns", release: "ghost", findings: [], computedAt: 3 }],
      },
      code: "LOOKOUT_STORE_BAD_INPUT",
    },
    {
      change: {
        replaceFindings: [
          { namespace: "ns", release: "base", findings: [], computedAt: 3 },
          {
            namespace: "ns",
            release: "base",
            findings: findingsOf(release("ns", "base", 2, 3)),
            computedAt: 3,
          },
        ],
      },
      code: "LOOKOUT_STORE_BAD_INPUT",
    },
  ];
  for (const { change, code } of cases) {
    assert.throws(() => store.helm.apply(change), withCode(code));
    assert.deepEqual(store.helm.loadReleases(), before.releases);
    assert.deepEqual(store.helm.loadFindings(), before.findings);
  }
  try {
    store.helm.apply(cases[1]!.change);
  } catch (err) {
    assert.equal(codeOf(err), "LOOKOUT_STORE_BAD_INPUT");
    assert.ok(err instanceof Error && "field" in err);
    assert.equal(err.field, "upsert[1].findings[1].revision");
  }
});

void test("exact duplicate findings are stored once, in first-seen order", (t) => {
  const store = openStore({ path: join(tempDir(t), "s.db") });
  t.after(() => store.close());
  const r = release("ns", "dup", 1, 3);
  const once = findingsOf(r);
  store.helm.apply({
    upsert: [{ release: r, findings: [...once, once[0]!, ...once], computedAt: 1 }],
  });
  assert.deepEqual(store.helm.loadFindings()[0]?.findings, once);
});

void test("a release row whose JSON does not decode is skipped with a warning", (t) => {
  const path = join(tempDir(t), "s.db");
  const a = release("ns", "a", 1);
  const b = release("ns", "b", 1);
  const first = openStore({ path });
  first.helm.apply({
    upsert: [a, b].map((r) => ({ release: r, findings: [], computedAt: 1 })),
  });
  first.close();
  const raw = new Sqlite(path);
  raw.prepare("UPDATE helm_releases SET objects = '[[1]]' WHERE release = 'a'").run();
  raw.close();
  const { logger, lines } = recordingLogger();
  const store = openStore({ path, logger });
  t.after(() => store.close());
  assert.deepEqual(store.helm.loadReleases(), [b]);
  assert.deepEqual(
    lines.filter((l) => l.level === "warn").map((l) => [l.fields.release, l.fields.column]),
    [["a", "objects"]],
  );
});

void test("2,000 releases x 40 objects in one apply, read back whole", (t) => {
  const path = join(tempDir(t), "s.db");
  const store = openStore({ path });
  t.after(() => store.close());
  const upserts = [];
  for (let i = 0; i < 2000; i++) {
    const r = release(`ns-${i % 40}`, `release-${i}`, 1 + (i % 9), 40);
    // Three findings per release: the first Ingress at three targets.
    const findings = findingsOf(r, ["v1.22.0", "v1.25.0", "v1.29.0"]).filter(
      (f) => f.name === r.objects[0]?.name,
    );
    upserts.push({ release: r, findings, computedAt: 5 });
  }
  const started = performance.now();
  store.helm.apply({ upsert: upserts });
  const applyMs = performance.now() - started;
  t.diagnostic(`apply of 2000 releases, 80000 objects, 6000 findings: ${applyMs.toFixed(0)} ms`);
  store.close();
  const again = openStore({ path });
  t.after(() => again.close());
  const loaded = again.helm.loadReleases();
  assert.equal(loaded.length, 2000);
  assert.deepEqual(loaded, upserts.map((u) => u.release).sort(byKey));
  const findings = again.helm.loadFindings();
  assert.equal(
    findings.reduce((n, g) => n + g.findings.length, 0),
    6000,
  );
});
