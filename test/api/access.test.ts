/**
 * Errors, the bearer token, readiness and the Secrets policy of the cache API.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createCacheApi, startApiServer, withBearerToken } from "../../src/api/index.ts";
import { Informer } from "../../src/informer/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  PODS,
  SECRETS,
  getJson,
  itemsOf,
  send,
  served,
  startApi,
  startFixture,
  startInformer,
  statusOf,
  synced,
} from "./harness.ts";

after(assertNoActiveHandles);

void test("writes are refused with 405, bad selectors with 400, each with a Status body", async (t) => {
  const f = await startFixture(t, 10);
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    for (const path of ["/api/v1/resources/pods", "/api/v1/namespaces/ns-1/pods/x", "/readyz"]) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
      const a = await send(`${api.url}${path}`, { method });
      assert.equal(a.status, 405, `${method} ${path}`);
      assert.equal(a.headers["allow"], "GET, HEAD");
      assert.deepEqual(statusOf(a), { kind: "Status", code: 405, reason: "MethodNotAllowed" });
    }
  }
  for (const q of [
    "labelSelector=app%20in%20(",
    "labelSelector=a%3D%3Db%3Dc",
    "fieldSelector=spec.nope%3Dx",
    "fieldSelector=metadata.name",
    // The API server does not trim: the field label is `status.phase `, which pods lack.
    "fieldSelector=status.phase%20%3D%20Running",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
    const a = await send(`${api.url}/api/v1/resources/pods?${q}`);
    assert.equal(a.status, 400, q);
    assert.deepEqual(statusOf(a), { kind: "Status", code: 400, reason: "BadRequest" }, q);
  }
  const badPath = await send(`${api.url}/api/v1/namespaces/%E0%A4%A/pods`);
  assert.equal(badPath.status, 400);
});

void test("with a token file: 401 without or with a wrong token, 200 with it; probes stay open", async (t) => {
  const f = await startFixture(t, 5);
  const pods = startInformer(f);
  await synced(pods);
  const dir = await mkdtemp(join(tmpdir(), "kl-api-token-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "token");
  await writeFile(file, "s3cret-token\n");
  const api = await startApi(f, { resources: [served(pods)] }, file);
  const url = `${api.url}/api/v1/resources/pods`;
  for (const headers of [
    {},
    { Authorization: "Bearer wrong" },
    { Authorization: "Bearer s3cret-token-and-more" },
    { Authorization: "Basic s3cret-token" },
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
    const a = await send(url, { headers });
    assert.equal(a.status, 401, JSON.stringify(headers));
    assert.deepEqual(statusOf(a), { kind: "Status", code: 401, reason: "Unauthorized" });
    assert.equal(a.headers["www-authenticate"], 'Bearer realm="kube-lookout"');
  }
  const ok = await getJson(url, { Authorization: "Bearer s3cret-token" });
  assert.equal(itemsOf(ok).length, 5);
  assert.equal((await send(`${api.url}/healthz`)).status, 200);
  assert.equal((await send(`${api.url}/readyz`)).status, 200);

  assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/, "bound to loopback by default");

  // Mounted beside a host's own path (/metrics): the token guards only the API's paths.
  const cache = createCacheApi({ resources: [served(pods)] });
  const host = await startApiServer({
    tokenFile: file,
    handler: (req, res) => {
      if (cache(req, res)) return true;
      if (req.url !== "/metrics") return false;
      res.end("# metrics\n");
      return true;
    },
  });
  t.after(() => host.close());
  const metrics = await send(`${host.url}/metrics`);
  assert.deepEqual([metrics.status, metrics.text], [200, "# metrics\n"]);
  assert.equal((await send(`${host.url}/api/v1/resources/pods`)).status, 401);
  assert.equal((await send(`${host.url}/elsewhere`)).status, 404);

  await writeFile(join(dir, "empty"), " \n");
  await assert.rejects(
    startApiServer({ handler: createCacheApi({ resources: [] }), tokenFile: join(dir, "empty") }),
    { code: "LOOKOUT_API_TOKEN_FILE" },
  );
  await assert.rejects(
    startApiServer({ handler: createCacheApi({ resources: [] }), tokenFile: join(dir, "missing") }),
    { code: "LOOKOUT_API_TOKEN_FILE" },
  );
  // A token no Authorization header can carry would refuse every request: refused at start.
  await writeFile(join(dir, "two-lines"), "first-part\nsecond-part\n");
  await assert.rejects(
    startApiServer({
      handler: createCacheApi({ resources: [] }),
      tokenFile: join(dir, "two-lines"),
    }),
    { code: "LOOKOUT_API_TOKEN_FILE" },
  );
  assert.throws(() => withBearerToken("a b", () => false), TypeError);
});

void test("/readyz is 503 with reasons until every cache has synced and the Helm source is ready", async (t) => {
  const f = await startFixture(t, 5);
  const pods = new Informer({ client: f.kube, resource: PODS });
  f.closers.push(() => pods.close());
  let helmReady = false;
  const api = await startApi(f, {
    resources: [served(pods)],
    helm: { findings: () => [], releases: () => [], status: () => ({ ready: helmReady }) },
  });
  let a = await send(`${api.url}/readyz`);
  assert.equal(a.status, 503);
  assert.deepEqual(JSON.parse(a.text), {
    ready: false,
    reasons: ["cache of pods has not synced", "the first Helm scan has not finished"],
  });
  // Before the first sync a list or get is 503, as the API server answers while its watch
  // cache initializes: an empty list or a 404 would read as the cluster's state.
  for (const path of [
    "/api/v1/resources/pods",
    "/api/v1/namespaces/ns-1/pods",
    "/api/v1/namespaces/ns-1/pods/pod-1",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
    const before = await send(`${api.url}${path}`);
    assert.equal(before.status, 503, path);
    assert.deepEqual(statusOf(before), { kind: "Status", code: 503, reason: "ServiceUnavailable" });
    assert.equal(before.headers["retry-after"], "1");
    assert.equal(
      before.headers["x-kube-lookout-synced-at"],
      undefined,
      "no sync time before the sync",
    );
  }
  void pods.start();
  await synced(pods);
  a = await send(`${api.url}/readyz`);
  assert.equal(a.status, 503);
  assert.deepEqual(JSON.parse(a.text), {
    ready: false,
    reasons: ["the first Helm scan has not finished"],
  });
  helmReady = true;
  a = await send(`${api.url}/readyz`);
  assert.deepEqual([a.status, JSON.parse(a.text)], [200, { ready: true, reasons: [] }]);
  const synced2 = await send(`${api.url}/api/v1/resources/pods`);
  assert.equal(synced2.status, 200);
  assert.equal(itemsOf(JSON.parse(synced2.text)).length, 5);
  assert.ok(Date.parse(String(synced2.headers["x-kube-lookout-synced-at"])) > 0);

  const custom = await startApi(f, {
    resources: [served(pods)],
    readiness: () => ({ ready: false, reasons: ["leader election pending"] }),
  });
  a = await send(`${custom.url}/readyz`);
  assert.deepEqual(
    [a.status, JSON.parse(a.text)],
    [503, { ready: false, reasons: ["leader election pending"] }],
  );
});

void test("Secret values never leave: data, stringData and last-applied are HMACs, keys stay", async (t) => {
  const f = await startFixture(t);
  const values: string[] = [];
  for (let i = 0; i < 12; i++) {
    const plain = `pa55-${i}-${"Zq".repeat(i + 3)}`;
    const other = `string-data-${i}-value`;
    values.push(plain, other);
    f.cluster.create(SECRETS, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: `s-${i}`,
        namespace: `ns-${i % 3}`,
        labels: { app: i % 2 === 0 ? "even" : "odd" },
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
            stringData: { password: plain },
          }),
        },
      },
      type: "Opaque",
      data: { password: Buffer.from(plain).toString("base64") },
      stringData: { other },
    });
  }
  const secrets = startInformer(f, SECRETS);
  await synced(secrets);
  const api = await startApi(f, {
    resources: [served(secrets, SECRETS)],
    secretHashKey: Buffer.alloc(32, 7),
  });
  const texts: string[] = [];
  for (const path of [
    "/api/v1/resources/secrets",
    "/api/v1/resources/secrets?labelSelector=app%3Deven",
    "/api/v1/resources/secrets?fieldSelector=type%3DOpaque",
    "/api/v1/namespaces/ns-1/secrets",
    "/api/v1/namespaces/ns-1/secrets/s-1",
  ]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one request at a time
    const a = await send(`${api.url}${path}`);
    assert.equal(a.status, 200, path);
    texts.push(a.text);
  }
  for (const text of texts) {
    for (const v of values) {
      for (const form of [v, Buffer.from(v).toString("base64"), Buffer.from(v).toString("hex")]) {
        assert.ok(!text.includes(form), `a Secret value (${form}) was served`);
      }
    }
  }
  const all = itemsOf(JSON.parse(texts[0]!));
  assert.equal(all.length, 12);
  for (const s of all) {
    const data: unknown = Reflect.get(s, "data");
    assert.ok(typeof data === "object" && data !== null);
    assert.match(String(Reflect.get(data, "password")), /^hmac-sha256:[0-9a-f]{64}$/);
  }
  assert.equal(itemsOf(JSON.parse(texts[1]!)).length, 6);
});

void test("options are validated at once, naming the bad one", () => {
  const store = { store: { size: 0 }, lastSyncResourceVersion: "", hasSynced: () => true };
  for (const [options, option] of [
    [{ resources: "pods" }, "resources"],
    [
      { resources: [{ resource: PODS, kind: "", namespaced: true, informer: store }] },
      "resources[0].kind",
    ],
    [
      {
        resources: [
          {
            resource: { ...PODS, resource: "Pods" },
            kind: "Pod",
            namespaced: true,
            informer: store,
          },
        ],
      },
      "resources[0].resource.resource",
    ],
    [
      { resources: [{ resource: PODS, kind: "Pod", namespaced: "yes", informer: store }] },
      "resources[0].namespaced",
    ],
    [
      { resources: [{ resource: PODS, kind: "Pod", namespaced: true, informer: {} }] },
      "resources[0].informer",
    ],
    [{ resources: [], readiness: true }, "readiness"],
    [{ resources: [], helm: {} }, "helm"],
  ] as const) {
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion, typescript/no-explicit-any -- deliberately bad options
    assert.throws(() => createCacheApi(options as any), {
      code: "LOOKOUT_API_INVALID_OPTION",
      option,
    });
  }
  const twice = { resource: PODS, kind: "Pod", namespaced: true, informer: store };
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion, typescript/no-explicit-any -- a partial store is enough here
  assert.throws(() => createCacheApi({ resources: [twice, twice] as any }), {
    code: "LOOKOUT_API_INVALID_OPTION",
  });
  assert.throws(() => createCacheApi({ resources: [], secretHashKey: Buffer.alloc(4) }), {
    code: "LOOKOUT_EVENTS_INVALID_OPTION",
  });
});

void test("close() removes the API's handler from the informer; the API still answers, idempotently", async (t) => {
  const f = await startFixture(t, 20);
  const reported = new Set<string>();
  const pods = new Informer({
    client: f.kube,
    resource: PODS,
    metrics: { handlerQueueDepth: (i) => void reported.add(i.handler) },
  });
  f.closers.push(() => pods.close());
  void pods.start();
  await synced(pods);
  const api = createCacheApi({ resources: [served(pods)] });
  const server = await startApiServer({ handler: api });
  f.closers.push(() => server.close());
  const change = async (i: number): Promise<void> => {
    reported.clear();
    f.cluster.create(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p-${i}`, namespace: "ns-0" },
    });
    const deadline = Date.now() + 10_000;
    while (pods.store.getByKey("ns-0", `p-${i}`) === undefined) {
      assert.ok(Date.now() < deadline, "the informer sees the create");
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling the cache
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await change(1);
  assert.ok(reported.has("cache-api:pods"), `handlers reported: ${[...reported].join(", ")}`);
  api.close();
  api.close();
  await change(2);
  assert.ok(!reported.has("cache-api:pods"), `handlers reported: ${[...reported].join(", ")}`);
  const list = await getJson(`${server.url}/api/v1/namespaces/ns-0/pods`);
  assert.ok(itemsOf(list).some((p) => p.metadata.name === "p-2"));
});
