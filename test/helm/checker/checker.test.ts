/**
 * The Helm checker end to end against the simulated API server: discovery from metadata,
 * newest deployed revision only, incremental re-checks, bad payloads, persistence.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HelmChecker, ScanPool, type HelmFinding } from "../../../src/helm/index.ts";
import { KubeClient } from "../../../src/kube/index.ts";
import { startSimulatedCluster, type SimulatedCluster } from "../../../src/sim/index.ts";
import { openStore } from "../../../src/store/index.ts";
import { assertNoActiveHandles } from "../../support/handles.ts";

after(assertNoActiveHandles);

const INGRESS_BETA = `---
# Source: web/templates/ingress.yaml
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
spec: {}
`;
const INGRESS_V1 = `---
# Source: web/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
`;
const PSP = `---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: restricted
`;
const FLOWSCHEMA = `---
apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
kind: FlowSchema
metadata:
  name: fs
`;
const HOOK_CRONJOB = `apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: cleanup
`;

async function until(what: string, ready: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling, by design
    await sleep(10);
  }
}

function brief(f: HelmFinding): string {
  return `${f.namespace}/${f.release}@${f.revision} ${f.kind}/${f.name} ${f.apiVersion} ${f.target} ${f.status} ${f.source}`;
}

async function setup(t: { after(fn: () => unknown): void }, gitVersion = "v1.21.5+k3s1") {
  const sim = await startSimulatedCluster({ gitVersion });
  t.after(() => sim.close());
  const client = new KubeClient({ server: sim.url });
  t.after(() => client.close());
  return { sim, client };
}

function checker(
  client: KubeClient,
  extra: Partial<ConstructorParameters<typeof HelmChecker>[0]> = {},
) {
  return new HelmChecker({
    client,
    maxThreads: 2,
    incrementalDelayMs: 20,
    fullScanIntervalMs: 0,
    ...extra,
  });
}

function installBasics(sim: SimulatedCluster): void {
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS_BETA + PSP });
  sim.helm.upgrade("shop", "web", { manifest: INGRESS_BETA + PSP + FLOWSCHEMA });
  sim.helm.install({
    namespace: "ops",
    name: "jobs",
    manifest: INGRESS_V1,
    hooks: [{ name: "cleanup", path: "jobs/templates/hook.yaml", manifest: HOOK_CRONJOB }],
    driver: "configmap",
  });
  sim.helm.install({ namespace: "ops", name: "clean", manifest: INGRESS_V1 });
}

void test("findings of the newest deployed revision at the cluster's version and the next two minors", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  const status = c.status();
  assert.equal(status.clusterVersion, "v1.21.5");
  assert.deepEqual(status.targets, ["v1.21.0", "v1.22.0", "v1.23.0"]);
  assert.equal(status.releases, 3);
  const got = c.findings().map(brief).sort();
  assert.deepEqual(got, [
    "ops/jobs@1 CronJob/cleanup batch/v1beta1 v1.21.0 deprecated hook",
    "ops/jobs@1 CronJob/cleanup batch/v1beta1 v1.22.0 deprecated hook",
    "ops/jobs@1 CronJob/cleanup batch/v1beta1 v1.23.0 deprecated hook",
    "shop/web@2 FlowSchema/fs flowcontrol.apiserver.k8s.io/v1beta1 v1.23.0 deprecated manifest",
    "shop/web@2 Ingress/web networking.k8s.io/v1beta1 v1.21.0 deprecated manifest",
    "shop/web@2 Ingress/web networking.k8s.io/v1beta1 v1.22.0 removed manifest",
    "shop/web@2 Ingress/web networking.k8s.io/v1beta1 v1.23.0 removed manifest",
    "shop/web@2 PodSecurityPolicy/restricted policy/v1beta1 v1.21.0 deprecated manifest",
    "shop/web@2 PodSecurityPolicy/restricted policy/v1beta1 v1.22.0 deprecated manifest",
    "shop/web@2 PodSecurityPolicy/restricted policy/v1beta1 v1.23.0 deprecated manifest",
  ]);
  // Only revisions in a checked status are listed and watched: superseded ones never are.
  const selectors = new Set(
    sim.requests
      .filter((r) => /\/(secrets|configmaps)$/.test(r.path))
      .map((r) => new URLSearchParams(r.query).get("labelSelector")),
  );
  assert.deepEqual([...selectors], ["owner=helm,status=deployed"]);
  const ingress = c.findings().find((f) => f.kind === "Ingress" && f.target === "v1.21.0")!;
  assert.equal(ingress.replacementApi, "networking.k8s.io/v1");
  assert.equal(ingress.minorsUntilRemoval, 1);
  assert.deepEqual(c.errors(), []);
});

void test("an upgrade is re-checked incrementally (one release), an uninstall drops its findings", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  const c = checker(client);
  t.after(() => c.close());
  const changes: string[] = [];
  c.onFindingsChanged((ch) =>
    changes.push(`${ch.release}@${String(ch.revision)}:${ch.findings.length}`),
  );
  await c.start();
  await c.ready;
  assert.equal(changes.length, 3);
  const gets = (): number =>
    sim.requests.filter((r) => !r.watch && /\/secrets\/sh\.helm\.release/.test(r.path)).length;
  const before = gets();
  sim.helm.upgrade("shop", "web", { manifest: INGRESS_V1 });
  await until("the upgrade to be checked", () => c.status().lastScan?.mode === "incremental");
  await until("web@3", () => c.releases().some((r) => r.release === "web" && r.revision === 3));
  assert.deepEqual(
    c.findings().filter((f) => f.release === "web"),
    [],
    "the fixed release has no findings",
  );
  assert.equal(c.status().lastScan?.decoded, 1);
  assert.equal(gets() - before, 1, "one GET: only the new revision's payload");
  assert.ok(changes.includes("web@3:0"));

  sim.helm.uninstall("ops", "jobs");
  await until("jobs to go", () => !c.releases().some((r) => r.release === "jobs"));
  assert.deepEqual(c.findings(), []);
  assert.ok(changes.includes("jobs@undefined:0"));

  // A failed upgrade is not checked by default: the deployed revision stays the checked one.
  sim.helm.upgrade("ops", "clean", { manifest: PSP, status: "failed" });
  const summary = await c.reconcile();
  assert.equal(summary.mode, "full");
  assert.equal(summary.decoded, 0);
  assert.equal(c.releases().find((r) => r.release === "clean")?.revision, 1);
});

void test("bad payloads are reported per release and do not stop the scan", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS_BETA });
  sim.helm.putRaw("bad", "b64", 1, "not*base64", { driver: "secret" });
  sim.helm.putRaw(
    "bad",
    "gzip",
    1,
    Buffer.from(Buffer.from([0x1f, 0x8b, 0x08, 1, 2, 3]).toString("base64")).toString("base64"),
    { driver: "secret" },
  );
  sim.helm.putRaw("bad", "json", 1, Buffer.from("{nope").toString("base64"), {
    driver: "configmap",
  });
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  const codes = c
    .errors()
    .map((e) => `${e.namespace}/${e.release}:${e.code}`)
    .sort();
  assert.deepEqual(codes, [
    "bad/b64:LOOKOUT_HELM_BAD_BASE64",
    "bad/gzip:LOOKOUT_HELM_BAD_GZIP",
    "bad/json:LOOKOUT_HELM_BAD_JSON",
  ]);
  assert.equal(c.findings().filter((f) => f.release === "web").length, 3);
});

void test("a restart serves the stored findings before its first scan and re-decodes nothing unchanged", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  const dir = await mkdtemp(join(tmpdir(), "kl-helm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "state.db");
  {
    const store = openStore({ path });
    const c = checker(client, { store: store.helm });
    await c.start();
    await c.ready;
    assert.equal(c.findings().length, 10);
    await c.close();
    store.close();
  }
  const store = openStore({ path });
  t.after(() => store.close());
  const c = checker(client, { store: store.helm });
  t.after(() => c.close());
  sim.faults.stallLists({ count: 10 });
  await c.start();
  const served = c.findings().map(brief).sort();
  assert.equal(served.length, 10, "stored findings are served at once");
  assert.equal(c.status().restored, true);
  assert.equal(c.status().ready, false);
  await c.close();

  const again = checker(client, { store: store.helm });
  t.after(() => again.close());
  await again.start();
  await again.ready;
  assert.equal(again.status().lastScan?.decoded, 0, "nothing re-decoded");
  assert.equal(again.status().restored, false);
  assert.deepEqual(again.findings().map(brief).sort(), served);
});

void test("namespaced mode: a forbidden namespace is reported, the others are checked", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  sim.faults.forbid({ namespace: "ops", resource: "secrets" });
  sim.faults.forbid({ namespace: "ops", resource: "configmaps" });
  const c = checker(client, {
    namespaces: ["shop", "ops"],
    informerOptions: { backoff: { initialMs: 50, maxMs: 100 } },
  });
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.deepEqual(
    c
      .status()
      .forbidden.map((f) => `${f.resource}/${f.namespace}`)
      .sort(),
    ["configmaps/ops", "secrets/ops"],
  );
  assert.deepEqual([...new Set(c.findings().map((f) => f.release))], ["web"]);
  sim.faults.allow();
  // No reconcile: the releases of a scope readable again are checked as changes.
  await until("ops to be readable", () => c.status().forbidden.length === 0);
  await until("ops to be checked", () => c.releases().length === 3);
  assert.deepEqual(
    c
      .releases()
      .map((r) => `${r.namespace}/${r.release}`)
      .sort(),
    ["ops/clean", "ops/jobs", "shop/web"],
  );
  assert.deepEqual([...new Set(c.findings().map((f) => f.release))].sort(), ["jobs", "web"]);
  assert.equal(c.status().lastScan?.mode, "incremental");
});

void test("an explicit target beyond the table's coverage is reported; covered ones are checked", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  const c = checker(client, { targets: { versions: ["v1.25.0", "v1.99.0"] } });
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.deepEqual(c.status().targets, ["v1.25.0"]);
  assert.deepEqual(c.status().uncoveredTargets, ["v1.99.0"]);
  assert.ok(c.findings().every((f) => f.target === "v1.25.0"));
  assert.ok(c.findings().some((f) => f.kind === "PodSecurityPolicy" && f.status === "removed"));
});

void test("close is idempotent, and reconcile after close rejects", async (t) => {
  const { client } = await setup(t);
  const c = checker(client);
  await Promise.all([c.close(), c.close()]);
  await assert.rejects(c.reconcile(), { code: "LOOKOUT_HELM_CHECKER_CLOSED" });
  await assert.rejects(c.start(), { code: "LOOKOUT_HELM_CHECKER_CLOSED" });
  const drivers: unknown = "nope";
  assert.throws(() => new HelmChecker({ client, ...({ drivers } as object) }), {
    code: "LOOKOUT_HELM_INVALID_OPTION",
  });
  // Timer delays past 2^31-1 ms would fire after 1 ms.
  for (const key of ["incrementalDelayMs", "stallTimeoutMs"] as const) {
    assert.throws(() => new HelmChecker({ client, [key]: 2 ** 31 }), {
      code: "LOOKOUT_HELM_INVALID_OPTION",
      option: key,
    });
  }
});

const GADGET = `apiVersion: gadgets.example.com/v1alpha1
kind: Gadget
metadata:
  name: g1
`;
const GADGET_ROW = `- apiVersion: gadgets.example.com/v1alpha1
  kind: ""
  deprecatedIn: v1.20.0
  removedIn: v1.22.0
  replacementApi: null
  replacementAvailableIn: null
  component: k8s
  note: gadgets are gone
`;

/** An empty extra-rows file in a temp dir (removed after the test). */
async function emptyRowsFile(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kl-rows-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "rows.yaml");
  await writeFile(file, "[]\n");
  return file;
}

void test("a full scan that fails is reported, and its re-evaluation is tried again by the version job", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "gadgets", manifest: GADGET + "---\n" + INGRESS_V1 });
  const rows = await emptyRowsFile(t);
  const pool = new ScanPool({ maxThreads: 1 });
  t.after(() => pool.close());
  const c = checker(client, { pool, extraRowsFile: rows, versionIntervalMs: 1000 });
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.equal(c.status().lastError, undefined);
  // A new row means decoding every release again; with its pool gone every such scan fails.
  await pool.close();
  await writeFile(rows, GADGET_ROW);
  await until("the failed scan to be reported", () => c.status().lastError?.where === "full-scan");
  assert.equal(c.status().lastError?.code, "LOOKOUT_HELM_POOL_CLOSED");
  const first = c.status().lastError?.at ?? 0;
  await until("the version job to try again", () => (c.status().lastError?.at ?? 0) > first, 5000);
  assert.equal(c.status().lastError?.where, "full-scan");
});

void test("extra rows are hot-reloaded: a new row re-checks every release and finds the CRD", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "gadgets", manifest: GADGET + "---\n" + INGRESS_V1 });
  const file = await emptyRowsFile(t);
  const c = checker(client, { extraRowsFile: file });
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.deepEqual(c.findings(), []);
  await writeFile(file, GADGET_ROW);
  await until("the gadget finding", () => c.findings().length > 0);
  assert.deepEqual(c.findings().map(brief).sort(), [
    "shop/gadgets@1 Gadget/g1 gadgets.example.com/v1alpha1 v1.21.0 deprecated manifest",
    "shop/gadgets@1 Gadget/g1 gadgets.example.com/v1alpha1 v1.22.0 removed manifest",
    "shop/gadgets@1 Gadget/g1 gadgets.example.com/v1alpha1 v1.23.0 removed manifest",
  ]);
  await writeFile(file, "- not: a row\n");
  await sleep(300);
  assert.equal(c.findings().length, 3, "a bad edit keeps the last good rows");
});

void test("reconcile calls made while one is queued or running join it", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  // Payload reads go by LIST (bulkThreshold 0); the first LIST stalls 300 ms, keeping the scan
  // running; no incremental check runs in the meantime.
  const c = checker(client, { bulkThreshold: 0, stallTimeoutMs: 300, incrementalDelayMs: 60_000 });
  t.after(() => c.close());
  await c.start();
  await c.ready;
  sim.helm.upgrade("shop", "web", { manifest: INGRESS_V1 });
  await sleep(200); // the watch event reaches discovery
  sim.faults.stallLists({ resource: "secrets", count: 1 });
  const a = c.reconcile();
  const b = c.reconcile();
  await sleep(100); // the scan is running, its LIST stalled
  const late = c.reconcile();
  const [sa, sb, sl] = await Promise.all([a, b, late]);
  assert.equal(sa, sb, "one scan, one summary");
  assert.equal(sl, sa, "a call while it runs joins it too");
  assert.equal(sa.mode, "full");
  assert.equal(sa.decoded, 1, "the upgraded release only");
  assert.ok(sa.durationMs >= 250, `the scan waited for the stalled LIST (${sa.durationMs} ms)`);
  const next = await c.reconcile();
  assert.notEqual(next, sa, "a call after it finished starts a new one");
  assert.equal(next.decoded, 0);
});

void test("a release of a readable driver is removed even when the other driver is forbidden", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "ops", name: "cm", manifest: INGRESS_BETA, driver: "configmap" });
  sim.faults.forbid({ resource: "secrets" });
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.deepEqual(
    c.status().forbidden.map((f) => `${f.resource}/${f.namespace}`),
    ["secrets/"],
  );
  assert.equal(c.findings().length, 3);
  sim.helm.uninstall("ops", "cm");
  await until("the uninstalled release to go", () => c.findings().length === 0);
  await c.reconcile();
  assert.deepEqual(c.releases(), []);
});

void test("a failed read of a new revision keeps the last findings beside one error, and is read again on its own", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS_BETA });
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  assert.equal(c.findings().length, 3);
  const gets = (): number =>
    sim.requests.filter((r) => r.method === "GET" && /\/secrets\/sh\.helm/.test(r.path)).length;
  const before = gets();
  // Two failed reads in a row: the first at the incremental check, the second at its retry.
  sim.faults.failRequests({ status: 500, count: 2, verb: "get", resource: "secrets" });
  const started = performance.now();
  sim.helm.upgrade("shop", "web", { manifest: INGRESS_V1 });
  await until("the read error", () => c.errors().length > 0);
  assert.deepEqual(
    c.errors().map((e) => [e.release, e.revision, e.code]),
    [["web", 2, "LOOKOUT_KUBE_API"]],
  );
  assert.equal(c.findings().length, 3, "revision 1's findings stay");
  assert.equal(c.releases()[0]?.revision, 1);
  await until("the retry", () => gets() >= before + 2);
  assert.equal(c.findings().length, 3, "still revision 1's findings after a second failure");
  assert.equal(c.errors().length, 1, "one current read error, not one per attempt");
  // The third read (after backoffs of 1 s and 2 s) succeeds, with no change and no reconcile.
  // (Under load the upgrade's two watch events may make two checks whose failures overlap: then
  // only one backoff is certain.)
  await until("the release read again", () => c.releases()[0]?.revision === 2, 10_000);
  assert.ok(performance.now() - started >= 900, "the retries waited for their backoff");
  assert.equal(gets(), before + 3);
  assert.deepEqual(c.findings(), []);
  assert.deepEqual(c.errors(), []);
  assert.equal(c.status().lastScan?.mode, "incremental");
});

void test("a failed read of an unchanged payload clears its error once read again", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS_BETA });
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  sim.faults.failRequests({ status: 500, count: 1, verb: "get", resource: "secrets" });
  // A label change: a new resourceVersion, the same payload.
  sim.patch("secrets", "shop", "sh.helm.release.v1.web.v1", {
    metadata: { labels: { team: "shop" } },
  });
  await until("the read error", () => c.errors().length > 0);
  assert.equal(c.errors()[0]?.code, "LOOKOUT_KUBE_API");
  await until("the error to clear on the retry", () => c.errors().length === 0);
  assert.equal(c.findings().length, 3);
  assert.equal(c.status().lastScan?.decoded, 0, "the same payload is not decoded again");
});

void test("a storage object without a payload is bad input: one error, not read again until it changes", async (t) => {
  const { sim, client } = await setup(t);
  sim.create("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    type: "helm.sh/release.v1",
    metadata: {
      name: "sh.helm.release.v1.empty.v1",
      namespace: "shop",
      labels: { owner: "helm", name: "empty", status: "deployed", version: "1" },
    },
    data: {},
  });
  const c = checker(client);
  t.after(() => c.close());
  await c.start();
  await c.ready;
  const reads = (): number =>
    sim.requests.filter(
      (r) => r.method === "GET" && r.path.endsWith("/sh.helm.release.v1.empty.v1"),
    ).length;
  assert.deepEqual(
    c.errors().map((e) => [e.release, e.revision, e.code]),
    [["empty", 1, "LOOKOUT_HELM_BAD_PAYLOAD"]],
  );
  const before = reads();
  await sleep(1500);
  assert.equal(reads(), before, "not retried: reading it again gives the same");
  assert.equal(c.errors().length, 1);
});

void test("reconcile before the first scan waits for it; a signal bounds the wait", async (t) => {
  const { sim, client } = await setup(t);
  installBasics(sim);
  sim.faults.stallLists({ count: 10 });
  const c = checker(client, { stallTimeoutMs: 60_000 });
  t.after(() => c.close());
  await c.start();
  await assert.rejects(c.reconcile(AbortSignal.timeout(50)), { name: "TimeoutError" });
  assert.equal(c.status().ready, false);
});

void test("extra rows edited while stopped: the restart decodes again and finds the new row's APIs", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "gadgets", manifest: GADGET + "---\n" + INGRESS_V1 });
  const dir = await mkdtemp(join(tmpdir(), "kl-rows-restart-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rows = join(dir, "rows.yaml");
  const path = join(dir, "state.db");
  await writeFile(rows, "[]\n");
  const run = async (): Promise<{ decoded: number; findings: number }> => {
    const store = openStore({ path });
    const c = checker(client, { store: store.helm, extraRowsFile: rows });
    try {
      await c.start();
      await c.ready;
      return { decoded: c.status().lastScan?.decoded ?? -1, findings: c.findings().length };
    } finally {
      await c.close();
      store.close();
    }
  };
  assert.deepEqual(await run(), { decoded: 1, findings: 0 });
  assert.deepEqual(await run(), { decoded: 0, findings: 0 }, "same rows: nothing decoded");
  await writeFile(rows, GADGET_ROW);
  assert.deepEqual(await run(), { decoded: 1, findings: 3 }, "new rows: decoded again");
  assert.deepEqual(await run(), { decoded: 0, findings: 3 });
});

void test("a cold start with two deployed revisions commits what it prefetched, then keeps the newest", async (t) => {
  const { sim, client } = await setup(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS_BETA });
  sim.helm.upgrade("shop", "web", { manifest: INGRESS_V1 + PSP });
  // Helm's known failure mode: the old revision is still labelled deployed.
  sim.patch("secrets", "shop", "sh.helm.release.v1.web.v1", {
    metadata: { labels: { status: "deployed" } },
  });
  const dir = await mkdtemp(join(tmpdir(), "kl-helm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "state.db");
  const store = openStore({ path });
  const c = checker(client, { store: store.helm });
  const seen: number[] = [];
  c.onFindingsChanged((change) => {
    if (change.release === "web") seen.push(change.revision ?? 0);
  });
  await c.start();
  await c.ready;
  // The prefetch listed both deployed revisions and committed them; the scan picked revision 2.
  // (the simulator lists in name order: v1 is committed first).
  assert.deepEqual(seen, [1, 2], "revision 1 was served until revision 2 replaced it");
  assert.deepEqual(
    [...new Set(c.findings().map((f) => `${f.revision} ${f.kind}`))],
    ["2 PodSecurityPolicy"],
  );
  assert.equal(
    c.status().lastScan?.decoded,
    1,
    "one release decoded (by the prefetch or the scan)",
  );
  await c.close();
  store.close();
  // What the store kept is revision 2 alone.
  const reopened = openStore({ path });
  t.after(() => reopened.close());
  assert.deepEqual(
    reopened.helm.loadReleases().map((r) => `${r.release}@${r.revision}`),
    ["web@2"],
  );
});
