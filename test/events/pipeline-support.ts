/**
 * Shared pieces of the event pipeline's end-to-end tests: churn in the simulator with the
 * changes it made, the pipeline wired to a real nats-server, and a reader of everything the
 * stream holds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { EventPipeline, type EventPipelineOptions } from "../../src/events/pipeline.ts";
import { NatsLink } from "../../src/events/nats-link.ts";
import { InformerFactory } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { jsonLogger, silentLogger } from "../../src/logging/index.ts";
import { mulberry32, startSimulatedCluster, type SimulatedCluster } from "../../src/sim/index.ts";
import { openStore, type LookoutStore, type StoreOptions } from "../../src/store/index.ts";
import { startNatsServer, type NatsServerProcess } from "../support/nats-server.ts";

export const STREAM = "KL_TEST";
export const PREFIX = "kl";
export const CLUSTER = "test";

export const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" } as const;
export const SECRETS = { group: "", version: "v1", resource: "secrets" } as const;

/** One change made in the simulator, as the events must report it. */
export interface MadeChange {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly type: "added" | "modified" | "deleted";
  readonly key: string;
}

/** A deterministic PRNG (the simulator's mulberry32). */
export const seeded = mulberry32;

function metaOf(obj: { metadata: { uid?: string; resourceVersion?: string } }): {
  uid: string;
  resourceVersion: string;
} {
  return { uid: obj.metadata.uid ?? "", resourceVersion: obj.metadata.resourceVersion ?? "" };
}

/**
 * Makes `ops` random changes to ConfigMaps and Secrets in namespaces `a` and `b` (creates,
 * updates, deletes, re-creates under a known name); returns what it did. Secret values are
 * `secret-value-<n>` (tests look for them on the wire).
 */
export function churn(sim: SimulatedCluster, rand: () => number, ops: number): MadeChange[] {
  const made: MadeChange[] = [];
  for (let i = 0; i < ops; i++) {
    const secret = rand() < 0.3;
    const res = secret ? SECRETS : CONFIGMAPS;
    const namespace = rand() < 0.5 ? "a" : "b";
    const name = `obj-${Math.floor(rand() * 12)}`;
    const key = `${res.resource}/${namespace}/${name}`;
    const existing = sim.get(res, namespace, name);
    const value = `secret-value-${Math.floor(rand() * 1e9)}`;
    const data = secret ? { data: { password: Buffer.from(value).toString("base64") } } : {};
    // Every value is new, so every patch is a real change (a no-op patch keeps the RV).
    const cmData = secret ? {} : { data: { n: `${i}-${Math.floor(rand() * 1e9)}` } };
    if (existing === undefined) {
      const obj = sim.create(res, {
        apiVersion: "v1",
        kind: secret ? "Secret" : "ConfigMap",
        metadata: { name, namespace },
        ...data,
        ...cmData,
      });
      made.push({ ...metaOf(obj), type: "added", key });
    } else if (rand() < 0.25) {
      sim.delete(res, namespace, name);
      // A deletion is identified by the state it ends (docs/events.md), not its own version.
      made.push({ ...metaOf(existing), type: "deleted", key });
    } else {
      const obj = sim.patch(res, namespace, name, secret ? data : cmData);
      made.push({ ...metaOf(obj), type: "modified", key });
    }
  }
  return made;
}

/** A running pipeline with its store, NATS link and informers. */
export interface RunningPipeline {
  readonly pipeline: EventPipeline;
  readonly store: LookoutStore;
  close(): Promise<void>;
}

/** Starts the pipeline on ConfigMaps and Secrets. Resolves once it has started (synced). */
export async function startPipeline(options: {
  readonly simUrl: string;
  readonly natsUrl: string;
  readonly dbPath: string;
  readonly store?: Partial<StoreOptions>;
  readonly pipeline?: Partial<EventPipelineOptions>;
}): Promise<RunningPipeline> {
  // EVENTS_DEBUG=1 logs what the pipeline does (to stderr).
  const logger = process.env["EVENTS_DEBUG"] === undefined ? silentLogger : jsonLogger("debug");
  const store = openStore({ path: options.dbPath, logger, ...options.store });
  const client = new KubeClient({ server: options.simUrl });
  const informers = new InformerFactory({ client });
  const link = new NatsLink({
    servers: [options.natsUrl],
    retryInitialMs: 100,
    retryMaxMs: 500,
    logger,
  });
  link.start();
  const pipeline = new EventPipeline({
    store,
    informers,
    nats: link,
    resources: [
      { resource: CONFIGMAPS, kind: "ConfigMap" },
      { resource: SECRETS, kind: "Secret" },
    ],
    prefix: PREFIX,
    cluster: CLUSTER,
    stream: { name: STREAM, maxAgeMs: 3_600_000, maxBytes: 1024 ** 3, duplicateWindowMs: 600_000 },
    batchDelayMs: 10,
    ackTimeoutMs: 2000,
    logger,
    ...options.pipeline,
  });
  await pipeline.start();
  let closed: Promise<void> | undefined;
  return {
    pipeline,
    store,
    close: () => {
      closed ??= (async () => {
        await pipeline.close();
        await informers.close();
        client.close();
        await link.close();
        store.close();
      })();
      return closed;
    },
  };
}

/** A message as it is in the stream. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string;
  readonly type: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly key: string;
  /** Every header and body byte, for scanning. */
  readonly raw: Buffer;
}

/** The number of messages in the stream (0 when it does not exist yet). */
export async function streamCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  try {
    return (await jsm.streams.info(STREAM)).state.messages;
  } catch {
    return 0;
  }
}

/** Waits until the stream holds `count` messages and stays so for `quietMs`. */
export async function waitForStream(
  natsUrl: string,
  count: number,
  timeoutMs = 20_000,
  quietMs = 500,
): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const deadline = Date.now() + timeoutMs;
    let n = await streamCount(nc);
    let stableSince = Date.now();
    while (Date.now() < deadline) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling
      await new Promise((resolve) => setTimeout(resolve, 50));
      // oxlint-disable-next-line eslint/no-await-in-loop -- polling
      const m = await streamCount(nc);
      if (m !== n) {
        n = m;
        stableSince = Date.now();
      } else if (n >= count && Date.now() - stableSince >= quietMs) {
        return n;
      }
    }
    return n;
  } finally {
    await nc.close();
  }
}

/** Reads every message of the stream (over TLS with `tls`). */
export async function readStream(
  natsUrl: string,
  tls?: NodeConnectionOptions["tls"],
): Promise<StoredMessage[]> {
  const nc = await connect({ servers: natsUrl, ...(tls === undefined ? {} : { tls }) });
  try {
    const total = await streamCount(nc);
    const out: StoredMessage[] = [];
    if (total === 0) return out;
    const consumer = await jetstream(nc).consumers.get(STREAM);
    const messages = await consumer.consume();
    for await (const m of messages) {
      const body: unknown = JSON.parse(new TextDecoder().decode(m.data));
      const b = (field: string): string => {
        const v: unknown =
          typeof body === "object" && body !== null ? Reflect.get(body, field) : "";
        return typeof v === "string" ? v : "";
      };
      const resource = m.subject.split(".")[4] ?? "";
      const headerText = [...(m.headers ?? [])].map(([k, v]) => `${k}: ${v.join(",")}`).join("\n");
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get("Nats-Msg-Id") ?? "",
        type: m.subject.split(".").at(-1) ?? "",
        uid: b("uid"),
        resourceVersion: b("resourceVersion"),
        key: `${resource}/${b("namespace")}/${b("name")}`,
        raw: Buffer.concat([Buffer.from(headerText), Buffer.from(m.data)]),
      });
      if (out.length >= total) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** `uid:rv:type` of a change or message. */
export function idOf(x: { uid: string; resourceVersion: string; type: string }): string {
  return `${x.uid}:${x.resourceVersion}:${x.type}`;
}

/** A simulator, a nats-server and a temp dir for the state file, all cleaned up after `t`. */
export async function eventsSetup(t: { after(fn: () => unknown): void }): Promise<{
  sim: SimulatedCluster;
  nats: NatsServerProcess;
  dbPath: string;
}> {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  const dir = await mkdtemp(join(tmpdir(), "kl-events-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { sim, nats, dbPath: join(dir, "state.db") };
}

/**
 * A store in a temp dir and an informer factory whose client reaches nothing: the parts of a
 * pipeline that watches nothing (its options, its stream), closed after the test.
 */
export async function offlineParts(t: {
  after(fn: () => unknown): void;
}): Promise<{ store: LookoutStore; informers: InformerFactory }> {
  const dir = await mkdtemp(join(tmpdir(), "kl-pipeline-offline-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = openStore({ path: join(dir, "state.db") });
  t.after(() => store.close());
  const client = new KubeClient({ server: "http://127.0.0.1:9" });
  t.after(() => client.close());
  const informers = new InformerFactory({ client });
  t.after(() => informers.close());
  return { store, informers };
}
