import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Logger } from "../../src/logging/index.ts";
import { NatsLink, type NatsLinkOptions, type NatsLinkState } from "../../src/events/nats-link.ts";
import { rejection } from "../support/assertions.ts";
import { natsServerBinary, startNatsServer } from "../support/nats-server.ts";
import { makeTestPki, natsTlsArgs } from "../support/tls-certs.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

function waitForState(link: NatsLink, state: NatsLinkState, timeoutMs = 10_000): Promise<void> {
  if (link.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`state ${link.state}, still not ${state} after ${timeoutMs} ms`));
    }, timeoutMs);
    const off = link.onStateChange((s) => {
      if (s !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

function countingLogger(): Logger & { errors: number } {
  const logger = {
    errors: 0,
    debug() {},
    info() {},
    warn() {},
    error() {
      logger.errors++;
    },
  };
  return logger;
}

function codeOf(err: unknown): unknown {
  return err instanceof Error && "code" in err ? err.code : undefined;
}

void describe("NatsLink", () => {
  void test("the constructor validates options without I/O", () => {
    const bad: unknown[] = [
      { servers: [] },
      { servers: ["http://x y"] },
      { servers: ["nats://127.0.0.1:4222"], name: "" },
      { servers: ["nats://127.0.0.1:4222"], user: "u" },
      { servers: ["nats://127.0.0.1:4222"], token: "t", user: "u", pass: "p" },
      { servers: ["nats://127.0.0.1:4222"], tls: { certFile: "/c.pem" } },
      { servers: ["nats://127.0.0.1:4222"], connectTimeoutMs: 0 },
      { servers: ["nats://127.0.0.1:4222"], retryMaxMs: 1.5 },
    ];
    for (const options of bad) {
      assert.throws(
        // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- bad options on purpose
        () => new NatsLink(options as NatsLinkOptions),
        { code: "LOOKOUT_EVENTS_NATS_INVALID_OPTION" },
        JSON.stringify(options),
      );
    }
    const link = new NatsLink({ servers: ["nats://127.0.0.1:4222", "127.0.0.1:4223"] });
    assert.equal(link.state, "connecting");
    assert.equal(link.connection(), undefined);
  });

  void test("connects, closes idempotently, and refuses waiters after close", async (t) => {
    const server = await startNatsServer(t, { jetstream: false });
    const link = new NatsLink({ servers: [server.url] });
    t.after(() => link.close());
    const states: NatsLinkState[] = [];
    link.onStateChange((s) => states.push(s));
    link.start();
    link.start();
    const nc = await link.waitForConnection(AbortSignal.timeout(5000));
    assert.equal(link.state, "connected");
    assert.equal(link.connection(), nc);
    assert.equal(await link.waitForConnection(AbortSignal.timeout(100)), nc);
    await Promise.all([link.close(), link.close()]);
    await link.close();
    assert.equal(link.state, "closed");
    assert.equal(nc.isClosed(), true);
    assert.equal(link.connection(), undefined);
    assert.deepEqual(states, ["connected", "closed"]);
    const err = await rejection(link.waitForConnection(AbortSignal.timeout(100)));
    assert.equal(codeOf(err), "LOOKOUT_EVENTS_NATS_CLOSED");
  });

  void test("an unreachable NATS at start is retried (logged once) until it comes up", async (t) => {
    const server = await startNatsServer(t, { jetstream: false });
    await server.stop(); // the port is known and nothing listens on it now
    const logger = countingLogger();
    const link = new NatsLink({
      servers: [server.url],
      logger,
      retryInitialMs: 100,
      retryMaxMs: 400,
    });
    t.after(() => link.close());
    link.start();
    const waiting = link.waitForConnection(AbortSignal.timeout(15_000));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(link.state, "connecting");
    assert.equal(link.connection(), undefined);
    assert.equal(logger.errors, 1, "the first failure is logged once as an error, retries quietly");
    await server.start();
    const nc = await waiting;
    assert.equal(link.state, "connected");
    assert.equal(nc.isClosed(), false);
    await link.close();
  });

  void test("a stopped server makes the link reconnecting; started again on the same port, connected", async (t) => {
    const server = await startNatsServer(t, { jetstream: false });
    const link = new NatsLink({ servers: [server.url] });
    t.after(() => link.close());
    link.start();
    const nc = await link.waitForConnection(AbortSignal.timeout(5000));
    const lost = waitForState(link, "reconnecting");
    await server.stop();
    await lost;
    assert.equal(link.connection(), nc, "the same connection object reconnects");
    const back = waitForState(link, "connected");
    await server.start();
    await back;
    await nc.flush();
    assert.equal(link.state, "connected");
    await link.close();
    assert.equal(link.state, "closed");
  });

  void test("close while NATS is unreachable stops retrying and rejects waiters; abort rejects one", async (t) => {
    const server = await startNatsServer(t, { jetstream: false });
    await server.stop();
    const link = new NatsLink({ servers: [server.url], retryInitialMs: 50 });
    t.after(() => link.close());
    link.start();
    const controller = new AbortController();
    const aborted = rejection(link.waitForConnection(controller.signal));
    const waiting = rejection(link.waitForConnection(AbortSignal.timeout(10_000)));
    controller.abort(new Error("gave up"));
    const abortErr = await aborted;
    assert.ok(abortErr instanceof Error);
    assert.equal(abortErr.message, "gave up");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await link.close();
    assert.ok(Date.now() - started < 2000, "close does not wait for the backoff");
    assert.equal(codeOf(await waiting), "LOOKOUT_EVENTS_NATS_CLOSED");
    link.start();
    assert.equal(link.state, "closed", "start after close is a no-op");
  });

  void test("credentials are passed: a wrong token keeps retrying, the right one connects", async (t) => {
    const server = await startNatsServer(t, { jetstream: false, extraArgs: ["--auth", "s3cret"] });
    const logger = countingLogger();
    const wrong = new NatsLink({
      servers: [server.url],
      token: "nope",
      logger,
      retryInitialMs: 50,
    });
    t.after(() => wrong.close());
    wrong.start();
    const right = new NatsLink({ servers: [server.url], token: "s3cret" });
    t.after(() => right.close());
    right.start();
    await right.waitForConnection(AbortSignal.timeout(5000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(wrong.state, "connecting");
    assert.equal(logger.errors, 1);
    await Promise.all([wrong.close(), right.close()]);
  });

  void test("credentials revoked on the server: the closed connection is replaced by a new one once they are valid again", async (t) => {
    // The token lives in a config file that nats-server re-reads on SIGHUP (`--signal reload`).
    const dir = mkdtempSync(join(tmpdir(), "lookout-nats-auth-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, "auth.conf");
    const pidFile = join(dir, "nats.pid");
    writeFileSync(config, 'authorization { token: "s3cret" }\n');
    const server = await startNatsServer(t, {
      jetstream: false,
      extraArgs: ["-c", config, "-P", pidFile],
    });
    const reload = (token: string): void => {
      writeFileSync(config, `authorization { token: "${token}" }\n`);
      execFileSync(natsServerBinary(), [
        "--signal",
        `reload=${readFileSync(pidFile, "utf8").trim()}`,
      ]);
    };
    const states: NatsLinkState[] = [];
    const logged: string[] = [];
    const logger = { ...countingLogger(), error: (message: string) => void logged.push(message) };
    const link = new NatsLink({
      servers: [server.url],
      token: "s3cret",
      logger,
      retryInitialMs: 100,
    });
    t.after(() => link.close());
    link.onStateChange((s) => void states.push(s));
    link.start();
    const first = await link.waitForConnection(AbortSignal.timeout(5000));

    // The server drops the connection and refuses the old token: nats.js gives up on it after
    // repeated authorization errors, and the link starts over with a new connection.
    reload("rotated");
    await first.closed();
    await waitForState(link, "connecting");
    assert.ok(
      logged.includes("NATS connection closed unexpectedly; connecting again"),
      logged.join("; "),
    );
    assert.equal(link.connection(), undefined);

    reload("s3cret");
    const second = await link.waitForConnection(AbortSignal.timeout(10_000));
    assert.notEqual(second, first, "a new connection");
    await second.flush();
    assert.equal(link.state, "connected");
    assert.deepEqual(states.slice(0, 2), ["connected", "reconnecting"]);
    assert.equal(states.at(-1), "connected");
    await link.close();
  });

  void test("TLS: the CA file is trusted, a client certificate passes a server that verifies clients, another CA is refused and retried", async (t) => {
    const pki = makeTestPki(t);
    const server = await startNatsServer(t, {
      jetstream: false,
      extraArgs: natsTlsArgs(pki, true),
    });
    const mutual = new NatsLink({
      servers: [server.url],
      tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile },
    });
    t.after(() => mutual.close());
    mutual.start();
    const nc = await mutual.waitForConnection(AbortSignal.timeout(5000));
    assert.equal(nc.info?.tls_required, true);
    await nc.flush();

    const errors: unknown[] = [];
    const logger = {
      ...countingLogger(),
      error: (_msg: string, fields?: unknown) => errors.push(fields),
    };
    const untrusted = new NatsLink({
      servers: [server.url],
      tls: { caFile: pki.otherCaFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile },
      logger,
      retryInitialMs: 50,
    });
    t.after(() => untrusted.close());
    untrusted.start();
    const noCert = new NatsLink({
      servers: [server.url],
      tls: { caFile: pki.caFile },
      retryInitialMs: 50,
      // The server's refusal comes after the client's side of the TLS 1.3 handshake: the
      // attempt ends by its timeout (close() cuts it: test/events/nats-link-close.test.ts).
      connectTimeoutMs: 500,
    });
    t.after(() => noCert.close());
    noCert.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(untrusted.state, "connecting");
    assert.equal(noCert.state, "connecting", "the server requires a client certificate");
    assert.equal(errors.length, 1, "the first failure is logged once");
    assert.match(
      JSON.stringify(errors[0], (_k, v: unknown) => (v instanceof Error ? v.message : v)),
      /certificate/,
    );
    await Promise.all([mutual.close(), untrusted.close(), noCert.close()]);
  });

  void test("TLS with a server CA only: connects to a server that does not ask for client certificates", async (t) => {
    const pki = makeTestPki(t);
    const server = await startNatsServer(t, {
      jetstream: false,
      extraArgs: natsTlsArgs(pki, false),
    });
    const link = new NatsLink({ servers: [server.url], tls: { caFile: pki.caFile } });
    t.after(() => link.close());
    link.start();
    const nc = await link.waitForConnection(AbortSignal.timeout(5000));
    assert.equal(nc.info?.tls_required, true);
    await nc.flush();
    await link.close();
  });

  void test("close before start needs nothing", async () => {
    const link = new NatsLink({ servers: ["nats://127.0.0.1:1"] });
    await link.close();
    assert.equal(link.state, "closed");
  });

  void test("no active handles are left", async () => {
    await assertNoActiveHandles();
  });
});
