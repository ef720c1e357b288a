import assert from "node:assert/strict";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import {
  KubeClient,
  isExpired,
  isTooLargeResourceVersion,
  retryAfterMs,
  KubeApiError,
} from "../../src/kube/index.ts";
import {
  POD_RESOURCE,
  assertNoActiveHandles,
  socketClosed,
  startServer,
  statusBody,
} from "./http-server.ts";
import { makePod } from "./pod-fixture.ts";

after(assertNoActiveHandles);

function listBody(count: number, meta: object): string {
  return JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: meta,
    items: Array.from({ length: count }, (_, i) => makePod(i)),
  });
}

void test("list reads paging fields and items, sends the query and Accept", async (t) => {
  const server = await startServer(t, (req, res) => {
    const last = req.url?.includes("continue=") === true;
    res.setHeader("Content-Type", "application/json");
    res.end(
      last
        ? listBody(2, { resourceVersion: "77", continue: "" })
        : listBody(3, { resourceVersion: "77", continue: "tok en", remainingItemCount: 2 }),
    );
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const first = await client.list(POD_RESOURCE, {
    namespace: "team 1",
    limit: 3,
    labelSelector: "app=web,tier!=x",
  });
  assert.equal(first.resourceVersion, "77");
  assert.equal(first.continue, "tok en");
  assert.equal(first.remainingItemCount, 2);
  assert.deepEqual(
    first.items.map((o) => o.name),
    [0, 1, 2].map((i) => makePod(i).metadata.name),
  );
  assert.equal(first.items[1]!.namespace, "team-1");
  assert.equal(first.items[1]!.uid, makePod(1).metadata.uid);
  assert.equal(first.items[1]!.labels?.["tier"], "backend");
  const expected = makePod(2);
  delete expected.metadata.managedFields;
  assert.deepEqual(first.items[2]!.object, expected);
  const second = await client.list(POD_RESOURCE, { limit: 3, continue: first.continue });
  assert.equal(second.continue, undefined);
  assert.equal(second.remainingItemCount, undefined);
  assert.equal(second.items.length, 2);
  const [a, b] = server.requests;
  assert.equal(
    a!.url,
    "/api/v1/namespaces/team%201/pods?labelSelector=app%3Dweb%2Ctier%21%3Dx&limit=3",
  );
  assert.equal(a!.headers.accept, "application/json");
  assert.equal(a!.headers["accept-encoding"], undefined, "gzip is off by default");
  assert.equal(b!.url, "/api/v1/pods?limit=3&continue=tok+en");
});

void test("list keeps managedFields when asked, reads gzip bodies when enabled", async (t) => {
  const server = await startServer(t, (req, res) => {
    const body = listBody(2, { resourceVersion: "5" });
    if (req.headers["accept-encoding"] === "gzip") {
      res.setHeader("Content-Encoding", "gzip");
      res.end(gzipSync(body));
    } else res.end(body);
  });
  const client = new KubeClient({ server: server.url, gzip: true });
  t.after(() => client.close());
  const page = await client.list(
    { group: "apps", version: "v1", resource: "deployments" },
    { stripManagedFields: false },
  );
  assert.equal(server.requests[0]!.headers["accept-encoding"], "gzip");
  assert.equal(server.requests[0]!.url, "/apis/apps/v1/deployments");
  assert.deepEqual(page.items[0]!.object, makePod(0));
});

void test("non-2xx answers reject with KubeApiError fields", async (t) => {
  const answers: Array<[number, Record<string, string>, string]> = [
    [410, {}, statusBody(410, "Expired", "The provided continue parameter is too old")],
    [429, { "Retry-After": "7" }, statusBody(429, "TooManyRequests", "slow down")],
    [
      504,
      {},
      statusBody(504, "Timeout", "Timeout: Too large resource version: 9, current: 5", {
        causes: [{ type: "ResourceVersionTooLarge" }],
        retryAfterSeconds: 1,
      }),
    ],
    [502, {}, "<html>bad gateway</html>"],
  ];
  let n = 0;
  const server = await startServer(t, (_req, res) => {
    const [code, headers, body] = answers[n++]!;
    res.writeHead(code, { "Content-Type": "application/json", ...headers });
    res.end(body);
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const fail = async (): Promise<KubeApiError> => {
    const err = await client.list(POD_RESOURCE, {}).then(
      () => assert.fail("list should reject"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.code, "LOOKOUT_KUBE_API");
    assert.equal(err.name, "KubeApiError");
    return err;
  };
  const expired = await fail();
  assert.equal(expired.statusCode, 410);
  assert.equal(expired.reason, "Expired");
  assert.equal(expired.status?.message, "The provided continue parameter is too old");
  assert.ok(isExpired(expired));
  assert.ok(isExpired(expired.status));
  const tooMany = await fail();
  assert.equal(tooMany.statusCode, 429);
  assert.equal(tooMany.retryAfterSeconds, 7);
  assert.equal(retryAfterMs(tooMany), 7000);
  assert.ok(!isExpired(tooMany));
  const tooLarge = await fail();
  assert.equal(tooLarge.retryAfterSeconds, 1);
  assert.ok(isTooLargeResourceVersion(tooLarge));
  assert.ok(!isTooLargeResourceVersion(tooMany));
  const gateway = await fail();
  assert.equal(gateway.statusCode, 502);
  assert.equal(gateway.status, undefined);
  assert.equal(gateway.reason, undefined);
});

void test("a broken 2xx body rejects with LOOKOUT_KUBE_BAD_RESPONSE", async (t) => {
  const server = await startServer(t, (_req, res) =>
    res.end('{"kind":"PodList","items":[{"metadata":{}}'),
  );
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  await assert.rejects(client.list(POD_RESOURCE, {}), { code: "LOOKOUT_KUBE_BAD_RESPONSE" });
});

void test("aborting a list mid-body rejects with the abort reason and closes the socket", async (t) => {
  let serverSawClose: Promise<unknown> | undefined;
  const server = await startServer(t, (_req, res) => {
    serverSawClose = socketClosed(res);
    res.write('{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[');
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const controller = new AbortController();
  const listing = client.list(POD_RESOURCE, {}, controller.signal);
  await new Promise<void>((resolve) => {
    const poll = (): void => void (serverSawClose === undefined ? setTimeout(poll, 5) : resolve());
    poll();
  });
  const reason = new Error("stop now");
  controller.abort(reason);
  await assert.rejects(listing, (err) => err === reason);
  await serverSawClose;
  await assert.rejects(
    client.list(POD_RESOURCE, {}, controller.signal),
    (err) => err === reason,
    "already aborted",
  );
});

void test("hooks count requests and bytes; close() is idempotent and later calls reject", async (t) => {
  const body = listBody(1, { resourceVersion: "3" });
  const server = await startServer(t, (_req, res) => res.end(body));
  const seen: Array<{ verb: string; statusCode: number }> = [];
  let bytes = 0;
  const client = new KubeClient({
    server: server.url,
    hooks: {
      onRequest: ({ verb, statusCode }) => seen.push({ verb, statusCode }),
      onBytes: (n) => (bytes += n),
    },
  });
  await client.list(POD_RESOURCE, {});
  assert.deepEqual(seen, [{ verb: "list", statusCode: 200 }]);
  assert.equal(bytes, Buffer.byteLength(body));
  client.close();
  client.close();
  await assert.rejects(client.list(POD_RESOURCE, {}), { code: "LOOKOUT_KUBE_CLOSED" });
});

void test("bad options are rejected at the edge", async (t) => {
  assert.throws(() => new KubeClient({ server: "ftp://x" }), { code: "LOOKOUT_KUBE_CONFIG" });
  assert.throws(() => new KubeClient({ server: "not a url" }), { code: "LOOKOUT_KUBE_CONFIG" });
  const client = new KubeClient({ server: "http://127.0.0.1:1" });
  t.after(() => client.close());
  await assert.rejects(client.list(POD_RESOURCE, { limit: 0 }), RangeError);
});
