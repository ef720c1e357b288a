/**
 * LookoutClient contracts against a real cache API server: close() with requests in flight,
 * object names checked before any request, the token checked by the constructor, and a
 * timeout told apart from the caller's abort.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, test, type TestContext } from "node:test";
import { createCacheApi, startApiServer, type ApiServer } from "../../src/api/index.ts";
import {
  LookoutClient,
  type LookoutClientInvalidOptionError,
  type LookoutRequestError,
} from "../../src/client/index.ts";
import { served, startFixture, startInformer, synced } from "../api/harness.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

type Handler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The cache API over 50 simulated pods, its answers given to `front` to pass on (or not). */
async function cacheApi(t: TestContext, front: (api: Handler) => Handler = (api) => api) {
  const f = await startFixture(t, 50);
  const pods = startInformer(f);
  await synced(pods);
  const api = createCacheApi({ resources: [served(pods)] });
  const server = await startApiServer({ handler: front(api) });
  f.closers.push(() => server.close());
  return { server, pods };
}

/** A client of `server`, closed after the test. */
function clientOf(t: TestContext, server: ApiServer, timeoutMs?: number): LookoutClient {
  const client = new LookoutClient({
    baseUrl: server.url,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  t.after(() => client.close());
  return client;
}

/** Asserts that `err` is the client's timeout: its cause is a TimeoutError. */
function isTimeout(err: LookoutRequestError): boolean {
  assert.equal(err.code, "LOOKOUT_CLIENT_REQUEST_FAILED");
  assert.ok(err.cause instanceof DOMException);
  assert.equal(err.cause.name, "TimeoutError");
  return true;
}

/** Polls `done` until it holds (5 s at most). */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

void test("close() closes idle connections now, busy ones when their request ends; the client stays usable", async (t) => {
  let gate: Promise<void> | undefined;
  const { server } = await cacheApi(t, (api) => (req, res) => {
    const held = gate;
    if (held === undefined) return api(req, res);
    const answer = async (): Promise<void> => {
      await held;
      if (!api(req, res)) res.writeHead(404).end();
    };
    void answer();
    return true;
  });
  let opened = 0;
  let closed = 0;
  let received = 0;
  server.server.on("connection", (socket) => {
    opened += 1;
    socket.on("close", () => {
      closed += 1;
    });
  });
  server.server.on("request", () => {
    received += 1;
  });
  const client = clientOf(t, server);

  // Two requests at once: two keep-alive connections, both idle afterwards.
  await Promise.all([client.ready(), client.ready()]);
  assert.equal(opened, 2);
  const release = Promise.withResolvers<void>();
  gate = release.promise;
  // One of them carries a request the server holds.
  let settled = false;
  const busy = client.list("pods").finally(() => {
    settled = true;
  });
  await until(() => received === 3, "the server to receive the list request");

  client.close();
  client.close(); // idempotent
  await until(() => closed === 1, "the idle connection to close");
  assert.equal(settled, false, "the request in flight is still pending");

  gate = undefined;
  release.resolve();
  assert.equal((await busy).length, 50, "the request in flight finished");
  await until(() => closed === 2, "its connection to close once it finished");

  // Still usable: a new connection.
  assert.equal((await client.ready()).ready, true);
  assert.equal(opened, 3);
});

void test("get() rejects a name, namespace or resource that is no path segment, before any request", async (t) => {
  const { server } = await cacheApi(t);
  let received = 0;
  server.server.on("request", () => {
    received += 1;
  });
  const client = clientOf(t, server);
  const cases: [() => Promise<unknown>, string][] = [
    [() => client.get("pods", "ns-1", ""), "name"],
    [() => client.get("pods", "ns-1", "."), "name"],
    [() => client.get("pods", "ns-1", ".."), "name"],
    [() => client.get("pods", "ns-1", "a/b"), "name"],
    [() => client.get("pods", "", "/"), "name"],
    [() => client.get("pods", "..", "x"), "namespace"],
    [() => client.get("pods", "a/b", "x"), "namespace"],
    [() => client.get(".", "", "pods"), "resource"],
    [() => client.get("", "ns-1", "x"), "resource"],
    [() => client.list(".."), "resource"],
    [() => client.list("pods", { namespace: "." }), "namespace"],
    [() => client.listWithCache("pods", { namespace: "ns/1" }), "namespace"],
  ];
  for (const [call, option] of cases) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
    await assert.rejects(call(), (err: LookoutClientInvalidOptionError) => {
      assert.equal(err.code, "LOOKOUT_CLIENT_INVALID_OPTION");
      assert.equal(err.option, option);
      return true;
    });
  }
  assert.equal(received, 0, "no request was sent");
  // Names with dots are names.
  await assert.rejects(client.get("pods", "ns-1", "web.v1"), { statusCode: 404 });
});

void test("get() rejects a List answered for one object as a bad response", async (t) => {
  // A front that misroutes every object path to its List.
  const { server } = await cacheApi(t, (api) => (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.split("/").length === 7) {
      url.pathname = url.pathname.slice(0, url.pathname.lastIndexOf("/"));
      req.url = `${url.pathname}${url.search}`;
    }
    return api(req, res);
  });
  const client = clientOf(t, server);
  const [first] = await client.list("pods", { namespace: "ns-1" });
  assert.ok(first?.metadata?.name !== undefined);
  await assert.rejects(client.get("pods", "ns-1", first.metadata.name), {
    code: "LOOKOUT_CLIENT_BAD_RESPONSE",
  });
});

void test("the constructor rejects a token that is not one run of visible ASCII", () => {
  const bad = [
    "",
    " ",
    "a b",
    "abc\n",
    "\tabc",
    "abc\r\n",
    "a\u0000b",
    "a\u007fb",
    "tök",
    "ab\u2028",
  ];
  for (const token of bad) {
    assert.throws(
      () => new LookoutClient({ baseUrl: "http://127.0.0.1:1", token }),
      (err: LookoutClientInvalidOptionError) => {
        assert.equal(err.code, "LOOKOUT_CLIENT_INVALID_OPTION", JSON.stringify(token));
        assert.equal(err.option, "token");
        return true;
      },
    );
  }
  for (const token of ["x", "eyJhbGciOi.J9-_~+/=", "!#$%&'()*,:;<>?@[]^`{|}"]) {
    new LookoutClient({ baseUrl: "http://127.0.0.1:1", token }).close();
  }
});

void test("a timeout rejects with a TimeoutError cause; a caller's abort with its own reason", async (t) => {
  // Holds /api requests (after the headers and part of the body for ?labelSelector=body);
  // the held responses end when the server closes.
  const { server } = await cacheApi(t, (api) => (req, res) => {
    if (req.url === "/readyz") return api(req, res);
    if (req.url?.includes("labelSelector=body") === true) {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"kind":"PodList","items":[');
    }
    return true;
  });
  const timed = clientOf(t, server, 100);
  await assert.rejects(timed.list("pods"), isTimeout);
  await assert.rejects(timed.list("pods", { labelSelector: "body" }), isTimeout);
  // The caller's own deadline is the caller's reason, too.
  const untimed = clientOf(t, server, 0);
  const callers = AbortSignal.timeout(50);
  await assert.rejects(untimed.list("pods", { signal: callers }), (err: LookoutRequestError) => {
    assert.equal(err.cause, callers.reason);
    return true;
  });

  for (const labelSelector of ["head", "body"]) {
    const reason = new Error("the caller gave up");
    const controller = new AbortController();
    const pending = timed.list("pods", { labelSelector, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
    await assert.rejects(pending, (err: LookoutRequestError) => {
      assert.equal(err.code, "LOOKOUT_CLIENT_REQUEST_FAILED");
      assert.equal(err.cause, reason);
      return true;
    });
  }
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(timed.ready(controller.signal), (err: LookoutRequestError) => {
    assert.ok(err.cause instanceof DOMException);
    assert.equal(err.cause.name, "AbortError");
    return true;
  });
  // The client still answers after all that.
  assert.equal((await timed.ready()).ready, true);
});
