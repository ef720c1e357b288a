import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient, type WatchEvent } from "../../src/kube/index.ts";
import {
  POD_RESOURCE,
  assertNoActiveHandles,
  codeOf,
  socketClosed,
  startServer,
  statusBody,
} from "./http-server.ts";
import { makePod, podWatchLine } from "./pod-fixture.ts";

after(assertNoActiveHandles);

function kinds(events: WatchEvent[]): string[] {
  return events.map((e) =>
    e.type === "BOOKMARK" || e.type === "ERROR" ? e.type : `${e.type} ${e.object.name}`,
  );
}

function podName(i: number): string | undefined {
  return makePod(i).metadata.name;
}

async function collect(iterable: AsyncIterable<WatchEvent>): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for await (const ev of iterable) out.push(ev);
  return out;
}

/** Waits until `get()` returns a value (a server handler has run). */
async function until<T>(get: () => T | undefined): Promise<T> {
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling, by design
    await sleep(5);
  }
}

void test("watch yields events in order, sends the query, ends when the server ends", async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write(podWatchLine(1, "ADDED") + podWatchLine(2, "MODIFIED").slice(0, 100));
    res.write(podWatchLine(2, "MODIFIED").slice(100) + podWatchLine(3, "DELETED"));
    res.write(
      '{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}\n',
    );
    res.end(
      `{"type":"ERROR","object":${statusBody(410, "Expired", "too old resource version: 1 (5)")}}\n`,
    );
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const events = await collect(
    client.watch(POD_RESOURCE, {
      namespace: "ns",
      resourceVersion: "10",
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
      sendInitialEvents: true,
      resourceVersionMatch: "NotOlderThan",
      labelSelector: "a=b",
    }),
  );
  assert.deepEqual(kinds(events), [
    `ADDED ${podName(1)}`,
    `MODIFIED ${podName(2)}`,
    `DELETED ${podName(3)}`,
    "BOOKMARK",
    "ERROR",
  ]);
  assert.deepEqual(events[3], { type: "BOOKMARK", resourceVersion: "12", initialEventsEnd: true });
  const error = events[4]!;
  assert.ok(
    error.type === "ERROR" && error.status.code === 410 && error.status.reason === "Expired",
  );
  const modified = events[1]!;
  assert.ok(modified.type === "MODIFIED" && !modified.object.json.includes("managedFields"));
  assert.equal(
    server.requests[0]!.url,
    "/api/v1/namespaces/ns/pods?watch=1&labelSelector=a%3Db&resourceVersion=10&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&sendInitialEvents=true&timeoutSeconds=300",
  );
});

void test("malformed lines are skipped and counted, never thrown", async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.write(podWatchLine(1, "ADDED"));
    res.write('{"type":"ADDED","object":{"metadata":{"name":"x"}\n');
    res.write("garbage\n");
    res.end(podWatchLine(2, "ADDED"));
  });
  const malformed: Array<{ code: unknown; sample: string }> = [];
  const client = new KubeClient({
    server: server.url,
    hooks: {
      onMalformedLine: (error, sample) => malformed.push({ code: codeOf(error), sample }),
    },
  });
  t.after(() => client.close());
  const events = await collect(client.watch(POD_RESOURCE, {}));
  assert.equal(events.length, 2);
  assert.deepEqual(
    malformed.map((m) => m.code),
    ["LOOKOUT_KUBE_BAD_RESPONSE", "LOOKOUT_KUBE_BAD_RESPONSE"],
  );
  assert.equal(malformed[1]!.sample, "garbage");
});

void test("hooks that throw are logged and do not break the stream", async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.write(podWatchLine(1, "ADDED"));
    res.end(`${podWatchLine(2, "ADDED")}garbage\n`);
  });
  const errors: unknown[] = [];
  const client = new KubeClient({
    server: server.url,
    logger: {
      debug() {},
      info() {},
      warn() {},
      error: (_message, fields) => void errors.push(fields?.["hook"]),
    },
    hooks: {
      onBytes: () => {
        throw new Error("hook bug");
      },
      onMalformedLine: () => {
        throw new Error("hook bug");
      },
      onRequest: () => {
        throw new Error("hook bug");
      },
    },
  });
  t.after(() => client.close());
  assert.equal((await collect(client.watch(POD_RESOURCE, {}))).length, 2);
  assert.ok(errors.includes("onBytes") && errors.includes("onMalformedLine"));
  assert.ok(errors.includes("onRequest"));
});

void test("a close mid-line drops the partial line, counts it and ends normally", async (t) => {
  let mode = 0;
  const server = await startServer(t, (_req, res) => {
    res.write(podWatchLine(1, "ADDED") + podWatchLine(2, "ADDED").slice(0, 50));
    // First a clean end with a partial line, then a hard close of the socket mid-line.
    if (mode++ === 0) res.end();
    else setTimeout(() => res.socket?.destroy(), 20);
  });
  const truncated: number[] = [];
  const client = new KubeClient({
    server: server.url,
    hooks: { onTruncatedLine: (n) => truncated.push(n) },
  });
  t.after(() => client.close());
  assert.equal((await collect(client.watch(POD_RESOURCE, {}))).length, 1);
  assert.equal((await collect(client.watch(POD_RESOURCE, {}))).length, 1);
  assert.deepEqual(truncated, [50, 50]);
});

void test("no byte for stallTimeoutMs rejects with LOOKOUT_WATCH_STALLED and closes the socket", async (t) => {
  let closed: Promise<unknown> | undefined;
  const server = await startServer(t, (_req, res) => {
    closed = socketClosed(res);
    res.write(podWatchLine(1, "ADDED"));
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const events: WatchEvent[] = [];
  await assert.rejects(
    async () => {
      for await (const ev of client.watch(POD_RESOURCE, { stallTimeoutMs: 150 })) events.push(ev);
    },
    { code: "LOOKOUT_WATCH_STALLED", name: "WatchStalledError" },
  );
  assert.equal(events.length, 1);
  await closed;
});

void test("a slow consumer does not trip the stall timer", async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.write(podWatchLine(1, "ADDED") + podWatchLine(2, "ADDED"));
    setTimeout(() => res.end(podWatchLine(3, "ADDED")), 100);
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  let n = 0;
  for await (const _ of client.watch(POD_RESOURCE, { stallTimeoutMs: 80 })) {
    n++;
    await sleep(150);
  }
  assert.equal(n, 3);
});

void test("aborting mid-stream rejects with the reason and the server sees the close", async (t) => {
  let closed: Promise<unknown> | undefined;
  const server = await startServer(t, (_req, res) => {
    closed = socketClosed(res);
    res.write(podWatchLine(1, "ADDED"));
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const controller = new AbortController();
  const reason = new Error("enough");
  const events: WatchEvent[] = [];
  await assert.rejects(
    async () => {
      for await (const ev of client.watch(POD_RESOURCE, {}, controller.signal)) {
        events.push(ev);
        setTimeout(() => controller.abort(reason), 20);
      }
    },
    (err) => err === reason,
  );
  assert.equal(events.length, 1);
  await closed;
});

void test("breaking out of the loop closes the connection", async (t) => {
  let res: ServerResponse | undefined;
  const server = await startServer(t, (_req, r) => {
    res = r;
    r.write(podWatchLine(1, "ADDED") + podWatchLine(2, "ADDED"));
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  for await (const ev of client.watch(POD_RESOURCE, {})) {
    assert.equal(ev.type, "ADDED");
    break;
  }
  await socketClosed(await until(() => res));
});

void test("closing the client ends an open watch with LOOKOUT_KUBE_CLOSED", async (t) => {
  const server = await startServer(t, (_req, res) => res.write(podWatchLine(1, "ADDED")));
  const client = new KubeClient({ server: server.url });
  await assert.rejects(
    async () => {
      for await (const _ of client.watch(POD_RESOURCE, {})) client.close();
    },
    { code: "LOOKOUT_KUBE_CLOSED" },
  );
  assert.equal(server.requests.length, 1);
});

void test("a non-2xx watch rejects with KubeApiError and retryAfterSeconds", async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(429, { "Retry-After": "3", "Content-Type": "application/json" });
    res.end(statusBody(429, "TooManyRequests", "too many requests"));
  });
  const statuses: number[] = [];
  const client = new KubeClient({
    server: server.url,
    hooks: { onRequest: ({ statusCode }) => statuses.push(statusCode) },
  });
  t.after(() => client.close());
  await assert.rejects(collect(client.watch(POD_RESOURCE, {})), {
    code: "LOOKOUT_KUBE_API",
    statusCode: 429,
    reason: "TooManyRequests",
    retryAfterSeconds: 3,
  });
  assert.deepEqual(statuses, [429]);
});

void test("backpressure: a paused consumer stops the server's writes", async (t) => {
  let written = 0;
  const line = Buffer.from(podWatchLine(1, "MODIFIED"));
  const server = await startServer(t, (_req, res) => {
    const pump = (): void => {
      while (written < 200 * 1024 * 1024) {
        written += line.length;
        if (!res.write(line)) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const client = new KubeClient({ server: server.url });
  t.after(() => client.close());
  const iterator = client.watch(POD_RESOURCE, {})[Symbol.asyncIterator]();
  t.after(async () => void (await iterator.return?.()));
  await iterator.next();
  // The consumer now holds still: writes must stop at socket + stream buffers, far below 200 MiB.
  await sleep(500);
  const atRest = written;
  await sleep(300);
  assert.equal(written, atRest, "the server kept writing while nobody read");
  assert.ok(atRest < 32 * 1024 * 1024, `server wrote ${atRest} bytes to a paused consumer`);
});
