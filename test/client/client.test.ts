/**
 * LookoutClient against a running cache API over a simulated cluster: typed results equal to
 * the API's raw answers, selectors, gets, Helm results, readiness and typed errors.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import type { KubernetesObject, V1Pod, V1Secret } from "@kubernetes/client-node";
import { createCacheApi, startApiServer } from "../../src/api/index.ts";
import { LookoutClient, type LookoutApiError } from "../../src/client/index.ts";
import { HelmChecker } from "../../src/helm/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient, type ResourceId } from "../../src/kube/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const PODS: ResourceId = { group: "", version: "v1", resource: "pods" };
const SECRETS: ResourceId = { group: "", version: "v1", resource: "secrets" };
const TOKEN = "client-test-token";
const PSP = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n";

/** The whole stack, cleaned up in reverse order. */
async function sidecar(t: TestContext, options: { startInformers?: boolean } = {}) {
  const sim = await startSimulatedCluster({ host: "127.0.0.1", port: 0, gitVersion: "v1.24.3" });
  t.after(() => sim.close());
  const kube = new KubeClient({ server: sim.url });
  t.after(() => kube.close());
  sim.load.seed(PODS, 400);
  sim.create(SECRETS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "ns-1" },
    data: { password: Buffer.from("hunter2-very-secret").toString("base64") },
  });
  sim.helm.install({ namespace: "shop", name: "web", manifest: PSP });
  const pods = new Informer({ client: kube, resource: PODS });
  const secrets = new Informer({ client: kube, resource: SECRETS });
  t.after(() => Promise.all([pods.close(), secrets.close()]));
  const checker = new HelmChecker({ client: kube, maxThreads: 1, fullScanIntervalMs: 0 });
  t.after(() => checker.close());
  if (options.startInformers !== false) {
    await Promise.all([pods.start(), secrets.start(), checker.start()]);
    await checker.ready;
  }
  const dir = await mkdtemp(join(tmpdir(), "kl-client-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "token"), TOKEN);
  const server = await startApiServer({
    handler: createCacheApi({
      resources: [
        { resource: PODS, kind: "Pod", namespaced: true, informer: pods },
        { resource: SECRETS, kind: "Secret", namespaced: true, informer: secrets },
      ],
      helm: checker,
    }),
    tokenFile: join(dir, "token"),
  });
  t.after(() => server.close());
  const client = new LookoutClient({ baseUrl: server.url, token: TOKEN });
  t.after(() => client.close());
  return { sim, pods, secrets, checker, server, client };
}

/** The raw JSON items of a list, fetched without the client. */
async function rawItems(url: string): Promise<unknown[]> {
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${TOKEN}`, Connection: "close" },
  });
  assert.equal(res.status, 200);
  const body: unknown = await res.json();
  assert.ok(typeof body === "object" && body !== null);
  const items: unknown = Reflect.get(body, "items");
  assert.ok(Array.isArray(items));
  return items;
}

void test("list and get return the API's objects, typed, for several selectors and namespaces", async (t) => {
  const { server, client, pods } = await sidecar(t);
  const cases = [
    {},
    { labelSelector: "app=checkout" },
    { labelSelector: "tier=web", namespace: "ns-4" },
    { fieldSelector: "metadata.namespace=ns-2,spec.nodeName!=node-2" },
    { namespace: "ns-9" },
  ];
  let seen = 0;
  for (const c of cases) {
    // Typed by the route name, without a type argument.
    // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
    const typed: V1Pod[] = await client.list("pods", c);
    const q = new URLSearchParams();
    if (c.labelSelector !== undefined) q.set("labelSelector", c.labelSelector);
    if (c.fieldSelector !== undefined) q.set("fieldSelector", c.fieldSelector);
    const path =
      c.namespace === undefined
        ? "/api/v1/resources/pods"
        : `/api/v1/namespaces/${c.namespace}/pods`;
    // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
    const raw = await rawItems(`${server.url}${path}?${q.toString()}`);
    assert.deepEqual(typed, raw, JSON.stringify(c));
    seen += typed.length;
    for (const p of typed) {
      assert.equal(typeof p.metadata?.name, "string");
      if (c.namespace !== undefined) assert.equal(p.metadata?.namespace, c.namespace);
    }
  }
  assert.ok(seen > 400, `${seen} pods compared`);
  const explicit = await client.list<V1Pod>("pods", { labelSelector: "app=ledger" });
  assert.ok(explicit.length > 0 && explicit.every((p) => p.metadata?.labels?.["app"] === "ledger"));

  const { list, cache } = await client.listWithCache("pods", { namespace: "ns-1" });
  assert.equal(list.kind, "PodList");
  assert.equal(list.metadata?.resourceVersion, pods.lastSyncResourceVersion);
  assert.equal(cache.resourceVersion, pods.lastSyncResourceVersion);
  assert.ok(cache.syncedAt instanceof Date && cache.syncedAt.getTime() <= Date.now());
  assert.equal(cache.verifiedAt, undefined);

  const first = list.items[0]!;
  const one: V1Pod = await client.get("pods", "ns-1", first.metadata!.name!);
  assert.deepEqual(one, first);
  const secret: V1Secret = await client.get("secrets", "ns-1", "db");
  assert.match(String(secret.data?.["password"]), /^hmac-sha256:/);
  // Unknown route names are typed KubernetesObject (and this sidecar does not serve them).
  const other: KubernetesObject[] = await client.list("widgets.example.com").catch(() => []);
  assert.deepEqual(other, []);
});

void test("non-2xx answers reject with LookoutApiError carrying the Status", async (t) => {
  const { server, client } = await sidecar(t);
  const wrongToken = new LookoutClient({ baseUrl: server.url, token: "wrong" });
  t.after(() => wrongToken.close());
  const noToken = new LookoutClient({ baseUrl: server.url });
  t.after(() => noToken.close());
  const cases: [() => Promise<unknown>, number, string][] = [
    [() => client.get("pods", "ns-1", "absent"), 404, "NotFound"],
    [() => client.list("widgets"), 404, "NotFound"],
    [() => client.list("pods", { labelSelector: "app in (" }), 400, "BadRequest"],
    [() => client.list("pods", { fieldSelector: "spec.nope=1" }), 400, "BadRequest"],
    [
      () => new LookoutClient({ baseUrl: server.url, token: "wrong" }).list("pods"),
      401,
      "Unauthorized",
    ],
    [() => new LookoutClient({ baseUrl: server.url }).helmFindings(), 401, "Unauthorized"],
  ];
  for (const [call, statusCode, reason] of cases) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
    await assert.rejects(call(), (err: LookoutApiError) => {
      assert.equal(err.code, "LOOKOUT_CLIENT_API_ERROR");
      assert.equal(err.statusCode, statusCode);
      assert.equal(err.reason, reason);
      assert.equal(err.status.kind, "Status");
      assert.equal(err.status.code, statusCode);
      return true;
    });
  }
  const closed = await startApiServer({ handler: () => false });
  const url = closed.url;
  await closed.close();
  await assert.rejects(new LookoutClient({ baseUrl: url }).ready(), {
    code: "LOOKOUT_CLIENT_REQUEST_FAILED",
  });
  assert.throws(() => new LookoutClient({ baseUrl: "ftp://x" }), {
    code: "LOOKOUT_CLIENT_INVALID_OPTION",
  });
  assert.throws(() => new LookoutClient({ baseUrl: "not a url" }), {
    code: "LOOKOUT_CLIENT_INVALID_OPTION",
  });
  assert.throws(() => new LookoutClient({ baseUrl: url, token: "" }), {
    code: "LOOKOUT_CLIENT_INVALID_OPTION",
  });
});

void test("Helm findings and releases equal the checker's; ready() reports readiness", async (t) => {
  const { client, checker } = await sidecar(t);
  const findings = await client.helmFindings();
  assert.ok(findings.length > 0, "the PodSecurityPolicy is a finding");
  assert.deepEqual(findings, JSON.parse(JSON.stringify(checker.findings())));
  const releases = await client.helmReleases();
  assert.deepEqual(
    releases.map((r) => `${r.namespace}/${r.release}@${r.revision}`),
    ["shop/web@1"],
  );
  assert.deepEqual(await client.ready(), { ready: true, reasons: [] });
});

void test("ready() is false with reasons before the caches sync", async (t) => {
  const { client } = await sidecar(t, { startInformers: false });
  const r = await client.ready();
  assert.equal(r.ready, false);
  assert.deepEqual(r.reasons, [
    "cache of pods has not synced",
    "cache of secrets has not synced",
    "the first Helm scan has not finished",
  ]);
});
