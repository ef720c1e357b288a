import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { jetstream as jetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventPipeline } from "../../src/events/pipeline.ts";
import { ensureStream, type StreamSpec } from "../../src/events/stream.ts";
import type { Logger } from "../../src/logging/index.ts";
import { until } from "../support/lookout-setup.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { offlineParts } from "./pipeline-support.ts";

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
    assert.deepEqual(await ensureStream(nc, SPEC), {
      created: true,
      updated: false,
      differences: [],
    });
    assert.deepEqual(await ensureStream(nc, SPEC), {
      created: false,
      updated: false,
      differences: [],
    });
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
      differences: [],
    });
  });

  void test("adds subjects to an existing stream and sets its max age and duplicate window, reporting the old ones", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    const changed = {
      ...SPEC,
      maxAgeMs: 7_200_000,
      subjects: ["kl.>", "other.>"],
      duplicateWindowMs: 60_000,
    };
    const differences = [
      { field: "maxAgeMs", existing: 3_600_000, wanted: 7_200_000 },
      { field: "duplicateWindowMs", existing: 120_000, wanted: 60_000 },
    ];
    assert.deepEqual(await ensureStream(nc, changed), {
      created: false,
      updated: true,
      differences,
    });
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.equal(info.config.max_age, 7_200_000 * 1e6);
    assert.deepEqual([...info.config.subjects].sort(), ["kl.>", "other.>"]);
    assert.equal(info.config.duplicate_window, 60_000 * 1e6);
    assert.deepEqual(await ensureStream(nc, { ...changed, subjects: ["other.>", "kl.>"] }), {
      created: false,
      updated: false,
      differences: [],
    });
  });

  void test("two prefixes on one stream name keep both subjects, and both sidecars can publish", async (t) => {
    const nc = await connected(t);
    const east = { ...SPEC, subjects: ["kla.>"] };
    const west = { ...SPEC, subjects: ["klb.>"] };
    await ensureStream(nc, east);
    assert.deepEqual(await ensureStream(nc, west), {
      created: false,
      updated: true,
      differences: [],
    });
    // East's reconnect (or a failed publish) ensures again: nothing to add, nothing removed.
    assert.deepEqual(await ensureStream(nc, east), {
      created: false,
      updated: false,
      differences: [],
    });
    const js = jetStreamClient(nc);
    const a = await js.publish("kla.east.x", "a", { timeout: 2000 });
    const b = await js.publish("klb.west.x", "b", { timeout: 2000 });
    assert.equal(a.stream, "LOOKOUT");
    assert.equal(b.stream, "LOOKOUT");
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.deepEqual([...info.config.subjects].sort(), ["kla.>", "klb.>"]);
    assert.equal(info.state.messages, 2);
  });

  void test("a subject an existing wildcard covers is not added; a wider one replaces those it covers", async (t) => {
    const nc = await connected(t);
    const jsm = await jetstreamManager(nc);
    await ensureStream(nc, SPEC);
    assert.deepEqual(await ensureStream(nc, { ...SPEC, subjects: ["kl.prod.>", "kl.*"] }), {
      created: false,
      updated: false,
      differences: [],
    });
    assert.deepEqual((await jsm.streams.info("LOOKOUT")).config.subjects, ["kl.>"]);
    await ensureStream(nc, { ...SPEC, name: "NARROW", subjects: ["x.prod.>", "y.>"] });
    const wider = await ensureStream(nc, { ...SPEC, name: "NARROW", subjects: ["x.>"] });
    assert.equal(wider.updated, true);
    const subjects = (await jsm.streams.info("NARROW")).config.subjects;
    assert.deepEqual([...subjects].sort(), ["x.>", "y.>"]);
  });

  void test("a call with other limits sets them, as configured, and reports the old ones", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    const js = jetStreamClient(nc);
    for (let i = 0; i < 50; i++) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- in order, each acknowledged
      await js.publish(`kl.east.x.${i}`, "x".repeat(1000));
    }
    const smaller = { ...SPEC, maxAgeMs: 60_000, maxBytes: 10_000, duplicateWindowMs: 30_000 };
    assert.deepEqual(await ensureStream(nc, smaller), {
      created: false,
      updated: true,
      differences: [
        { field: "maxAgeMs", existing: 3_600_000, wanted: 60_000 },
        { field: "maxBytes", existing: 10_000_000, wanted: 10_000 },
        { field: "duplicateWindowMs", existing: 120_000, wanted: 30_000 },
      ],
    });
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.equal(info.config.max_bytes, 10_000);
    assert.equal(info.config.max_age, 60_000 * 1e6);
    assert.equal(info.config.duplicate_window, 30_000 * 1e6);
    assert.ok(info.state.bytes <= 10_000, "the configured byte limit applies");
    assert.deepEqual([...info.config.subjects], SPEC.subjects, "the subjects are kept");
  });

  void test("a storage difference is reported, the stream kept as it is", async (t) => {
    const nc = await connected(t);
    await ensureStream(nc, SPEC);
    assert.deepEqual(await ensureStream(nc, { ...SPEC, storage: "memory" }), {
      created: false,
      updated: false,
      differences: [{ field: "storage", existing: "file", wanted: "memory" }],
    });
    const info = await (await jetstreamManager(nc)).streams.info("LOOKOUT");
    assert.equal(info.config.storage, "file");
  });

  void test("the pipeline warns once per connection, naming the fields, while publishes are retried", async (t) => {
    const server = await startNatsServer(t);
    const admin = await connectTo(t, server.url);
    // Another owner's stream: other limits, and messages over 16 bytes refused, so every
    // publish fails and the pipeline ensures the stream again before each retry.
    await (
      await jetstreamManager(admin)
    ).streams.add({
      name: "LOOKOUT",
      subjects: ["other.>"],
      max_age: 3_600_000 * 1e6,
      max_bytes: 10_000_000,
      duplicate_window: 120_000 * 1e6,
      max_msg_size: 16,
    });
    const nc = await connectTo(t, server.url);
    const { store, informers } = await offlineParts(t);
    const logged: { level: string; fields: Readonly<Record<string, unknown>> }[] = [];
    const record =
      (level: string) =>
      (_message: string, fields: Readonly<Record<string, unknown>> = {}): void => {
        logged.push({ level, fields });
      };
    const logger: Logger = {
      debug: record("debug"),
      info: record("info"),
      warn: record("warn"),
      error: record("error"),
    };
    const pipeline = new EventPipeline({
      store,
      informers,
      nats: { connection: () => nc, waitForConnection: () => Promise.resolve(nc) },
      resources: [],
      prefix: "kl",
      cluster: "east",
      stream: {
        name: "LOOKOUT",
        maxAgeMs: 7_200_000,
        maxBytes: 10_000_000,
        duplicateWindowMs: 600_000,
      },
      logger,
    });
    t.after(() => pipeline.close());
    await pipeline.start();
    pipeline.publish(["metrics", "x"], { value: "more than sixteen bytes" });
    await until("two failed publishes", () => pipeline.counters.failures >= 2, 10_000);
    const warnings = logged.filter((l) => l.level === "warn" && "differences" in l.fields);
    assert.deepEqual(
      warnings.map((l) => l.fields),
      [
        {
          stream: "LOOKOUT",
          fields: ["maxAgeMs", "duplicateWindowMs"],
          differences: [
            { field: "maxAgeMs", existing: 3_600_000, wanted: 7_200_000 },
            { field: "duplicateWindowMs", existing: 120_000, wanted: 600_000 },
          ],
        },
      ],
    );
    const info = await (await jetstreamManager(admin)).streams.info("LOOKOUT");
    assert.deepEqual([...info.config.subjects].sort(), ["kl.>", "other.>"]);
    assert.equal(info.config.max_age, 7_200_000 * 1e6, "the configured max age is set");
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
