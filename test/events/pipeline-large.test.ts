/**
 * Events over the NATS server's max_payload (a real nats-server with `max_payload: 4096`) go
 * out without their large members, named in `ce-omitted`, and do not hold back later events.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { EventMetricNames, subscribe } from "../../src/events/index.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { testMetrics } from "../support/metrics.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { CONFIGMAPS, PREFIX, STREAM, startPipeline, waitForStream } from "./pipeline-support.ts";

/** A nats-server with `max_payload: 4096`, the simulator, and a pipeline between them. */
async function smallPayloadSetup(
  t: { after(fn: () => unknown): void },
  pipeline: Parameters<typeof startPipeline>[0]["pipeline"] = {},
) {
  const dir = await mkdtemp(join(tmpdir(), "kl-large-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, "nats.conf");
  await writeFile(conf, "max_payload: 4096\n");
  const nats = await startNatsServer(t, { extraArgs: ["-c", conf] });
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const running = await startPipeline({
    simUrl: sim.url,
    natsUrl: nats.url,
    dbPath: join(dir, "state.db"),
    pipeline,
  });
  t.after(() => running.close());
  return { nats, sim, running };
}

void test("an event over max_payload goes out without object and changes, named in ce-omitted; later events follow", async (t) => {
  const m = testMetrics(t);
  const { nats, sim, running } = await smallPayloadSetup(t, { meterProvider: m.provider });

  const meta = { name: "big", namespace: "a" };
  sim.create(CONFIGMAPS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta,
    data: { v: "x".repeat(6000) },
  });
  sim.patch(CONFIGMAPS, "a", "big", { data: { v: "y".repeat(6000) } });
  sim.patch(CONFIGMAPS, "a", "big", { data: { v: "small" } });
  const last = sim.patch(CONFIGMAPS, "a", "big", { data: { v: "smaller" } });
  assert.equal(await waitForStream(nats.url, 4, 10_000), 4, "four events stored");

  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const consumer = await jetstream(nc).consumers.get(STREAM);
  const got: { type: string; omitted: string; body: object }[] = [];
  for await (const msg of await consumer.consume()) {
    const body: unknown = JSON.parse(new TextDecoder().decode(msg.data));
    assert.ok(typeof body === "object" && body !== null, "the body is a JSON object");
    got.push({
      type: msg.subject.split(".").at(-1) ?? "",
      omitted: msg.headers?.get("ce-omitted") ?? "",
      body,
    });
    if (got.length === 4) break;
  }
  assert.deepEqual(
    got.map((g) => [g.type, g.omitted, "object" in g.body, "changes" in g.body]),
    [
      ["added", "object", false, false],
      // Its changes alone (the old and the new 6,000 characters) are still over 4 KiB.
      ["modified", "object,changes", false, false],
      // Small again: sent whole, in order after the large ones.
      ["modified", "", true, true],
      ["modified", "", true, true],
    ],
  );
  for (const g of got) assert.equal(Reflect.get(g.body, "name"), "big");
  // The subscriber helper says what was left out, as the header does.
  const received = [];
  for await (const e of subscribe(nc, { stream: STREAM, prefix: PREFIX })) {
    received.push(e.omitted);
    if (received.length === 4) break;
  }
  assert.deepEqual(received, [["object"], ["object", "changes"], undefined, undefined]);
  assert.equal(Reflect.get(got[3]?.body ?? {}, "resourceVersion"), last.metadata.resourceVersion);
  const omitted = (await m.points(EventMetricNames.omitted)).map((p) => [
    p.attributes["kube_lookout.omitted"],
    p.value,
  ]);
  assert.deepEqual(
    omitted.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ["object", 1],
      ["object,changes", 1],
    ],
  );
  assert.equal(running.store.outbox.stats().rows, 0, "every row was acknowledged");
});

void test("an event that fits only without the Nats-Msg-Id header line is made to fit too", async (t) => {
  const { nats, sim, running } = await smallPayloadSetup(t);
  // Sizes in steps of 8 bytes across the limit: some land within the header line's ~65 bytes.
  let n = 0;
  for (let size = 3200; size <= 3700; size += 8) {
    sim.create(CONFIGMAPS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `cm-${n++}`, namespace: "a" },
      data: { v: "x".repeat(size) },
    });
  }
  assert.equal(await waitForStream(nats.url, n, 10_000), n, "every event stored");
  assert.equal(running.store.outbox.stats().rows, 0);
});
