/**
 * NatsLink against servers that accept the TCP connection and then never speak NATS (a port
 * forwarded to nothing, a proxy without a backend, a TLS terminator that never answers): close()
 * returns at once instead of waiting for the connect timeout, and no attempt leaves its socket
 * open, neither on close nor when it times out. Raw `net` listeners; no nats-server needed.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { NatsLink } from "../../src/events/nats-link.ts";
import { freePort } from "../support/free-port.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { until } from "../support/lookout-setup.ts";

after(assertNoActiveHandles);

/** A listener that accepts connections and never answers; `open` are the accepted ones. */
interface MuteServer {
  readonly url: string;
  readonly open: Set<Socket>;
  /** Connections accepted so far. */
  accepted: number;
}

/**
 * A TCP listener on 127.0.0.1 that accepts and reads but never writes; with `info`, it sends
 * that line first (a NATS INFO) and then stays silent (a TLS handshake never answered).
 */
async function muteServer(t: TestContext, info?: string, host = "127.0.0.1"): Promise<MuteServer> {
  const open = new Set<Socket>();
  const state = { accepted: 0 };
  const server: Server = createServer((socket) => {
    state.accepted++;
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    socket.resume(); // read (and so see the client's close), never answer
    if (info !== undefined) socket.write(`${info}\r\n`);
  });
  await listenUntilTheEnd(t, server, open, host);
  return Object.assign(state, { url: natsUrl(server), open });
}

/** Listens on a free port of `host`; at the test's end destroys the `open` sockets and closes. */
async function listenUntilTheEnd(
  t: TestContext,
  server: Server,
  open: ReadonlySet<Socket>,
  host = "127.0.0.1",
): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  );
}

/** `nats://127.0.0.1:<port>` of a listening server. */
function natsUrl(server: Server): string {
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no port");
  return `nats://127.0.0.1:${address.port}`;
}

/** Fails unless `promise` settles within `ms`; resolves with the time it took. */
async function within(promise: Promise<unknown>, ms: number, what: string): Promise<number> {
  const started = performance.now();
  const guard = new AbortController();
  try {
    await Promise.race([
      promise,
      sleep(ms, undefined, { signal: guard.signal }).then(() => assert.fail(`${what} > ${ms} ms`)),
    ]);
  } finally {
    guard.abort();
  }
  return performance.now() - started;
}

void test("close() while the server accepts but never sends INFO returns at once and closes the socket", async (t) => {
  const first = await muteServer(t);
  const second = await muteServer(t);
  // Two servers: after the first attempt is cut, nats.js would dial the next one.
  const link = new NatsLink({ servers: [first.url, second.url], connectTimeoutMs: 30_000 });
  t.after(() => link.close());
  link.start();
  await until("a connection accepted", () => first.accepted + second.accepted > 0);
  await within(link.close(), 1000, "close() with a connect attempt in flight");
  assert.equal(link.state, "closed");
  await until("the attempts' sockets closed", () => first.open.size + second.open.size === 0, 2000);
});

void test("close() while the first of several servers by host name never answers: the next servers' sockets are closed, the process does not crash", async (t) => {
  // nats.js then dials the next servers after a DNS lookup; a socket it opens after close()
  // once came back to life without an error listener, and its refused connect was an
  // unhandled 'error' event (the process exited). Several rounds: it did not fail every time.
  for (let round = 0; round < 10; round++) {
    // On every address `localhost` may resolve to ("::" takes IPv4 too, where there is IPv6).
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    const mute = await muteServer(t, undefined, "::");
    const port = new URL(mute.url).port;
    // Ports free a moment ago: nothing listens, connects are refused.
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    const refused = await Promise.all([freePort(), freePort()]);
    const link = new NatsLink({
      servers: [`nats://localhost:${port}`, ...refused.map((p) => `nats://localhost:${p}`)],
      connectTimeoutMs: 30_000,
      retryInitialMs: 10,
    });
    t.after(() => link.close());
    link.start();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await until("a connection accepted", () => mute.accepted > 0);
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await within(link.close(), 1000, "close() with a connect attempt in flight");
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await sleep(100); // the next servers' connects fail meanwhile
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await until("the attempt's socket closed", () => mute.open.size === 0, 2000);
  }
});

void test("close() while the TLS handshake is never answered returns at once and closes the socket", async (t) => {
  const server = await muteServer(
    t,
    'INFO {"server_id":"mute","version":"2.10.0","proto":1,"max_payload":1048576,"tls_required":true}',
  );
  const link = new NatsLink({ servers: [server.url], tls: {}, connectTimeoutMs: 30_000 });
  t.after(() => link.close());
  link.start();
  await until("a connection accepted", () => server.accepted > 0);
  await sleep(100); // the INFO is read and the handshake started
  await within(link.close(), 1000, "close() during the TLS handshake");
  await until("the attempt's socket closed", () => server.open.size === 0, 2000);
});

void test("attempts that time out against a silent server leave no socket open", async (t) => {
  const server = await muteServer(t);
  const link = new NatsLink({
    servers: [server.url],
    connectTimeoutMs: 100,
    retryInitialMs: 20,
    retryMaxMs: 20,
  });
  t.after(() => link.close());
  link.start();
  await until("several attempts", () => server.accepted >= 4, 5000);
  // Each timed-out attempt closed its socket: at most the one in flight is open.
  await until("the timed-out attempts' sockets closed", () => server.open.size <= 1, 2000);
  assert.equal(link.state, "connecting");
  await within(link.close(), 1000, "close()");
  await until("every socket closed", () => server.open.size === 0, 2000);
});

/**
 * The least of a NATS server: INFO on accept, PONG to every PING (enough for connect and flush);
 * `open` are its connections.
 */
async function pongServer(t: TestContext): Promise<{ url: string; open: Set<Socket> }> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    socket.write(
      'INFO {"server_id":"pong","version":"2.10.0","proto":1,"max_payload":1048576}\r\n',
    );
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      for (let i = text.indexOf("PING\r\n"); i !== -1; i = text.indexOf("PING\r\n")) {
        text = text.slice(i + 6);
        socket.write("PONG\r\n");
      }
    });
  });
  await listenUntilTheEnd(t, server, open);
  return { url: natsUrl(server), open };
}

void test("a server that answers next to one that never does: the connection stays up, the silent one's socket is closed", async (t) => {
  // nats.js tries the servers in a random order: rounds until the silent one came first (its
  // attempt timed out before the other answered) at least once.
  let silentFirst = 0;
  for (let round = 0; round < 30 && silentFirst === 0; round++) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    const silent = await muteServer(t);
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    const answering = await pongServer(t);
    const link = new NatsLink({ servers: [silent.url, answering.url], connectTimeoutMs: 200 });
    t.after(() => link.close());
    link.start();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    const nc = await link.waitForConnection(AbortSignal.timeout(5000));
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await nc.flush();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await until("the silent server's socket closed", () => silent.open.size === 0, 2000);
    assert.equal(answering.open.size, 1, "the connection's socket is open");
    if (silent.accepted > 0) silentFirst++;
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await nc.flush();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one round at a time
    await link.close();
  }
  assert.ok(silentFirst > 0, "the silent server was never tried first");
});
