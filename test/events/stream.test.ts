import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureStream, type StreamSpec } from "../../src/events/stream.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

const SPEC: StreamSpec = {
  name: "LOOKOUT",
  subjects: ["kl.>"],
  maxAgeMs: 3_600_000,
  maxBytes: 10_000_000,
  duplicateWindowMs: 120_000,
};

async function connected(t: TestContext, jetstream = true): Promise<NatsConnection> {
  const server = await startNatsServer(t, { jetstream });
  return connectTo(t, server.url);
}

async function connectTo(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: unknown; field?: unknown; stream?: unknown }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  return assert.fail("expected a rejection");
}

void describe("ensureStream", () => {
  void test("creates the stream, then a second call changes nothing", async (t) => {
    const nc = await connected(t);
    assert.deepEqual(await ensureStream(nc, SPEC), { created: true, updated: false });
    assert.deepEqual(await ensureStream(nc, SPEC), { created: false, updated: false });
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.deepEqual(info.config.subjects, ["kl.>"]);
    assert.equal(info.config.max_age, 3_600_000 * 1e6);
    assert.equal(info.config.max_bytes, 10_000_000);
    assert.equal(info.config.duplicate_window, 120_000 * 1e6);
    assert.equal(info.config.storage, "file");
  });

  void test("the stream survives a server killed and restarted on the same store", async (t) => {
    const server = await startNatsServer(t);
    await ensureStream(await connectTo(t, server.url), SPEC);
    await server.kill();
    assert.equal(server.running, false);
    await server.start();
    assert.equal(server.running, true);
    assert.deepEqual(await ensureStream(await connectTo(t, server.url), SPEC), {
      created: false,
      updated: false,
    });
  });

  void test("updates max age, subjects and the duplicate window when they differ", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    const changed = {
      ...SPEC,
      maxAgeMs: 7_200_000,
      subjects: ["kl.>", "other.>"],
      duplicateWindowMs: 60_000,
    };
    assert.deepEqual(await ensureStream(nc, changed), { created: false, updated: true });
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.equal(info.config.max_age, 7_200_000 * 1e6);
    assert.deepEqual([...info.config.subjects].sort(), ["kl.>", "other.>"]);
    assert.equal(info.config.duplicate_window, 60_000 * 1e6);
    assert.deepEqual(await ensureStream(nc, { ...changed, subjects: ["other.>", "kl.>"] }), {
      created: false,
      updated: false,
    });
  });

  void test("a storage change is a conflict naming the stream and the field", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    const err = await rejection(
      ensureStream(nc, { ...SPEC, storage: "memory", maxAgeMs: 60_000, duplicateWindowMs: 1000 }),
    );
    assert.equal(err.code, "LOOKOUT_EVENTS_STREAM_CONFLICT");
    assert.equal(err.field, "storage");
    assert.equal(err.stream, "LOOKOUT");
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.equal(info.config.max_age, 3_600_000 * 1e6, "nothing was changed");
  });

  void test("an update the server refuses is a conflict (subjects overlapping another stream)", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    await ensureStream(nc, { ...SPEC, name: "OTHER", subjects: ["other.>"] });
    const err = await rejection(ensureStream(nc, { ...SPEC, subjects: ["kl.>", "other.x"] }));
    assert.equal(err.code, "LOOKOUT_EVENTS_STREAM_CONFLICT");
    assert.equal(err.field, "subjects");
    assert.ok(err.cause !== undefined, "the server's error is the cause");
  });

  void test("a new stream the server refuses is a conflict naming the field (replicas on one server)", async (t) => {
    const nc = await connected(t);
    const err = await rejection(ensureStream(nc, { ...SPEC, replicas: 3 }));
    assert.equal(err.code, "LOOKOUT_EVENTS_STREAM_CONFLICT");
    assert.equal(err.field, "replicas");
    const names = await (await jetstreamManager(nc)).streams.names().next();
    assert.deepEqual(names, [], "nothing was created");
  });

  void test("JetStream off is a typed request failure", async (t) => {
    const nc = await connected(t, false);
    const err = await rejection(ensureStream(nc, SPEC));
    assert.equal(err.code, "LOOKOUT_EVENTS_STREAM_FAILED");
  });

  void test("bad specs are refused before any request", async (t) => {
    const closedConnection = await connected(t, false);
    await closedConnection.close();
    const cases: [Partial<StreamSpec>, string][] = [
      [{ name: "a.b" }, "name"],
      [{ subjects: [] }, "subjects"],
      [{ subjects: ["kl..x"] }, "subjects[0]"],
      [{ maxAgeMs: -1 }, "maxAgeMs"],
      [{ maxBytes: 0 }, "maxBytes"],
      [{ duplicateWindowMs: 0 }, "duplicateWindowMs"],
      [{ maxAgeMs: 1000, duplicateWindowMs: 2000 }, "duplicateWindowMs"],
      [{ replicas: 0 }, "replicas"],
    ];
    // A closed connection: validation must fail before it is used.
    for (const [patch, field] of cases) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- one case at a time
      const err = await rejection(ensureStream(closedConnection, { ...SPEC, ...patch }));
      assert.equal(err.code, "LOOKOUT_EVENTS_STREAM_INVALID_SPEC", field);
      assert.equal(err.field, field);
    }
    assert.deepEqual(
      await rejection(
        ensureStream(closedConnection, { ...SPEC, maxAgeMs: 0, duplicateWindowMs: 5000 }),
      ).then((e) => e.code),
      "LOOKOUT_EVENTS_STREAM_FAILED",
      "maxAge 0 (no limit) accepts any duplicate window; the request then fails on the closed connection",
    );
  });

  void test("no active handles are left", async () => {
    await assertNoActiveHandles();
  });
});
