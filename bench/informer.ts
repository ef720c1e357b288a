/**
 * `npm run bench -- informer [--objects 50000] [--events 100000]`
 *
 * One simulated API server in a child process, seeded with N realistic pods (about 2 KiB of
 * JSON each, managedFields included). In this process, each in turn: our informer, our informer
 * with a handler that materializes every object, `@kubernetes/client-node`'s `makeInformer`, and
 * the limit (one raw watch stream, JSON.parse of each line, nothing else). Each informer syncs
 * the N pods, then the server applies M pod updates in one batch (held in its watch history and
 * streamed from there at wire speed) and we time the first to the M-th event at the handler.
 * Heap per object: heap + array buffers after a full GC once synced, minus the same before.
 * The last line of output is one JSON object with the figures and the ratios.
 */
import { request } from "node:http";
import { parseArgs } from "node:util";
import { CoreV1Api, KubeConfig, makeInformer } from "@kubernetes/client-node";
import { Informer } from "../src/informer/index.ts";
import { KubeClient } from "../src/kube/index.ts";
import { BenchServer } from "./lib/bench-server.ts";
import { EventCounter, rate, ratio, settledMemory } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "50000" },
    events: { type: "string", default: "100000" },
  },
});
const N = Number(values.objects);
const M = Number(values.events);
if (!Number.isSafeInteger(N) || N < 1 || !Number.isSafeInteger(M) || M < 2) {
  throw new Error(`--objects must be ≥ 1 and --events ≥ 2, got ${values.objects} and ${values.events}`);
}

interface Figures {
  syncMs: number;
  eventsPerSec: number;
  heapBytesPerObject: number;
}

const log = (text: string): void => void process.stderr.write(`${text}\n`);

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOurs(server: BenchServer, materialize: boolean): Promise<Figures> {
  const before = settledMemory();
  const client = new KubeClient({ server: server.url });
  const counter = new EventCounter(M);
  let sink = 0;
  const informer = new Informer({ client, resource: { group: "", version: "v1", resource: "pods" } });
  informer.addEventHandler({
    onAdd() {},
    onUpdate: materialize
      ? (_old, obj) => {
          sink += obj.object.metadata.name?.length ?? 0;
          counter.hit();
        }
      : () => counter.hit(),
    onDelete() {},
  });
  const started = performance.now();
  void informer.start();
  await within(informer.waitForSync(), 600_000, "our informer sync");
  const syncMs = performance.now() - started;
  const heap = settledMemory() - before;
  await server.release(M);
  const ms = await within(counter.done, 600_000, "our informer events");
  await informer.close();
  client.close();
  if (materialize && sink === 0) throw new Error("materializing handler read nothing");
  return { syncMs: Math.round(syncMs), eventsPerSec: rate(M, ms), heapBytesPerObject: Math.round(heap / N) };
}

async function runClientNode(server: BenchServer): Promise<Figures> {
  const before = settledMemory();
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer(kc, "/api/v1/pods", () => api.listPodForAllNamespaces());
  const counter = new EventCounter(M);
  informer.on("update", () => counter.hit());
  informer.on("error", (error: unknown) => log(`client-node informer error: ${String(error)}`));
  const started = performance.now();
  await within(informer.start(), 600_000, "client-node informer sync");
  const syncMs = performance.now() - started;
  const heap = settledMemory() - before;
  await server.release(M);
  const ms = await within(counter.done, 600_000, "client-node informer events");
  await informer.stop();
  return { syncMs: Math.round(syncMs), eventsPerSec: rate(M, ms), heapBytesPerObject: Math.round(heap / N) };
}

/** The limit: read the watch stream from the current RV and JSON.parse each line. */
async function runLimit(server: BenchServer): Promise<{ eventsPerSec: number }> {
  const rv = await server.resourceVersion();
  const counter = new EventCounter(M);
  const url = new URL(`/api/v1/pods?watch=1&resourceVersion=${rv}`, server.url);
  let parsed = 0;
  const req = request(url, (res) => {
    let carry: Buffer | undefined;
    res.on("data", (chunk: Buffer) => {
      const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const event = JSON.parse(buf.toString("utf8", start, nl)) as { type: string };
        if (event.type === "MODIFIED") parsed++;
        counter.hit();
        start = nl + 1;
      }
      carry = start < buf.length ? buf.subarray(start) : undefined;
    });
  });
  req.on("error", () => {});
  req.end();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await server.release(M);
  const ms = await within(counter.done, 600_000, "limit reader");
  req.destroy();
  if (parsed < M) throw new Error(`limit reader saw ${parsed} MODIFIED events of ${M}`);
  return { eventsPerSec: rate(M, ms) };
}

log(`informer benchmark: ${N} pods, ${M} watch events`);
const server = await BenchServer.start(N, M);
try {
  const limit = await runLimit(server);
  log(`limit: ${JSON.stringify(limit)}`);
  const ours = await runOurs(server, false);
  log(`ours: ${JSON.stringify(ours)}`);
  const oursMaterialized = await runOurs(server, true);
  log(`ours, handler materializing objects: ${JSON.stringify(oursMaterialized)}`);
  const clientNode = await runClientNode(server);
  log(`client-node: ${JSON.stringify(clientNode)}`);
  console.log(
    JSON.stringify({
      objects: N,
      events: M,
      ours,
      oursMaterialized,
      clientNode,
      limit,
      ratios: {
        eventsVsClientNode: ratio(ours.eventsPerSec, clientNode.eventsPerSec),
        syncVsClientNode: ratio(ours.syncMs, clientNode.syncMs),
        heapVsClientNode: ratio(ours.heapBytesPerObject, clientNode.heapBytesPerObject),
        eventsVsLimit: ratio(ours.eventsPerSec, limit.eventsPerSec),
        materializedEventsVsClientNode: ratio(oursMaterialized.eventsPerSec, clientNode.eventsPerSec),
        materializedEventsVsLimit: ratio(oursMaterialized.eventsPerSec, limit.eventsPerSec),
      },
    }),
  );
} finally {
  await server.stop();
}
