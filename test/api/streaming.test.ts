/**
 * A large list is streamed: sent in chunks as the socket takes them, not built and buffered
 * whole. A reader that stops reading stops the writer (backpressure).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import type { Socket } from "node:net";
import { after, test } from "node:test";
import { createCacheApi, startApiServer } from "../../src/api/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { itemsOf, send, served, startApi, startFixture, startInformer, synced } from "./harness.ts";

after(assertNoActiveHandles);

const PODS = 8000;

void test(`a list of ${PODS} pods arrives in chunks, and a paused reader holds the writer back`, async (t) => {
  const f = await startFixture(t, PODS);
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  const sockets: Socket[] = [];
  api.server.on("connection", (s: Socket) => sockets.push(s));

  const whole = await send(`${api.url}/api/v1/resources/pods`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers["transfer-encoding"], "chunked", "no Content-Length: streamed");
  assert.ok(whole.chunks > 10, `arrived in ${whole.chunks} chunks`);
  const body: unknown = JSON.parse(whole.text);
  assert.ok(typeof body === "object" && body !== null);
  assert.equal(itemsOf({ ...body }).length, PODS);
  const size = Buffer.byteLength(whole.text);
  assert.ok(size > 5_000_000, `body of ${size} bytes`);

  // A reader that reads nothing for a while: the server must not have written the whole body
  // into the socket's buffer; what it wrote is bounded by kernel buffers plus one chunk.
  sockets.length = 0;
  const received = await new Promise<{ paused: number; total: number }>((resolve, reject) => {
    const req = request(`${api.url}/api/v1/resources/pods`, { agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      res.pause();
      setTimeout(() => {
        const paused = sockets.reduce((n, s) => n + s.bytesWritten, 0);
        let total = 0;
        res.on("data", (c: Buffer) => (total += c.length));
        res.on("end", () => resolve({ paused, total }));
        res.on("error", reject);
        res.resume();
      }, 500);
    });
    req.end();
  });
  assert.ok(received.total >= size, `the paused response completes (${received.total} bytes)`);
  assert.ok(
    received.paused < size * 0.8,
    `written while the reader paused: ${received.paused} of ${size} bytes`,
  );
  t.diagnostic(
    `body ${size} bytes in ${whole.chunks} chunks; ${received.paused} bytes written while paused`,
  );
});

void test("a reader that goes away mid-list stops the stream and leaves the server serving", async (t) => {
  const f = await startFixture(t, 2000);
  const pods = startInformer(f);
  await synced(pods);
  const api = await startApi(f, { resources: [served(pods)] });
  await new Promise<void>((resolve, reject) => {
    const req = request(`${api.url}/api/v1/resources/pods`, { agent: false });
    req.on("error", (err: NodeJS.ErrnoException) =>
      err.code === "ECONNRESET" ? resolve() : reject(err),
    );
    req.on("response", (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.end();
  });
  const later = await send(`${api.url}/api/v1/namespaces/ns-1/pods`);
  assert.equal(later.status, 200);
  const body: unknown = JSON.parse(later.text);
  assert.ok(typeof body === "object" && body !== null);
  assert.equal(itemsOf({ ...body }).length, 200);
});

void test("a reader that stops reading is cut off after idleTimeoutMs, and the server goes on answering", async (t) => {
  const f = await startFixture(t, PODS);
  const pods = startInformer(f);
  await synced(pods);
  const server = await startApiServer({
    handler: createCacheApi({ resources: [served(pods)] }),
    idleTimeoutMs: 300,
  });
  f.closers.push(() => server.close());
  const closed = new Promise<number>((resolve) => {
    server.server.once("connection", (s: Socket) => {
      const opened = Date.now();
      s.once("close", () => resolve(Date.now() - opened));
    });
  });
  const req = request(`${server.url}/api/v1/resources/pods`, { agent: false });
  req.on("error", () => undefined); // the server cuts it off
  req.on("response", (res) => {
    res.pause(); // and never reads
    res.on("error", () => undefined);
  });
  req.end();
  const afterMs = await closed;
  assert.ok(afterMs < 10_000, `closed after ${afterMs} ms`);
  req.destroy();
  const ok = await send(`${server.url}/api/v1/resources/pods?fieldSelector=metadata.name%3Dnone`);
  assert.equal(ok.status, 200);
  await assert.rejects(
    startApiServer({ handler: createCacheApi({ resources: [] }), idleTimeoutMs: 2 ** 31 }),
    { code: "LOOKOUT_API_INVALID_OPTION" },
  );
});
