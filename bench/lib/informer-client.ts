/**
 * One measured client of the informer benchmark, run in its own process by
 * `BenchServer.measure`: `--client ours|ours-materialized|ours-paged|client-node|limit`
 * (`ours-paged`: paged LIST from RV "", a consistent read the server pages, no streaming).
 * Sends `{syncMs, eventsPerSec, heapBytesPerObject}` (the limit: only `eventsPerSec`).
 */
import { request } from "node:http";
import { parseArgs } from "node:util";
import { CoreV1Api, KubeConfig, makeInformer } from "@kubernetes/client-node";
import { Informer } from "../../src/informer/index.ts";
import { KubeClient } from "../../src/kube/index.ts";
import { RelayedServer, sendResult } from "./bench-server.ts";
import type { ServerControl } from "./bench-server.ts";
import { RoundCounter, rate, settledMemory, within } from "./measure.ts";

/** What one informer run measured. */
export interface Figures {
  syncMs: number;
  eventsPerSec: number;
  heapBytesPerObject: number;
}

const { values } = parseArgs({
  options: {
    client: { type: "string" },
    objects: { type: "string" },
    events: { type: "string" },
    url: { type: "string" },
    kubeconfig: { type: "string" },
  },
});
const N = Number(values.objects);
const M = Number(values.events);
const server = new RelayedServer(values.url ?? "", values.kubeconfig ?? "");
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const LIMIT_MS = 600_000;
/** Rounds of M events per client; the median is reported. */
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);

function figures(syncMs: number, events: number, ms: number, heap: number): Figures {
  return {
    syncMs: Math.round(syncMs),
    eventsPerSec: rate(events, ms),
    heapBytesPerObject: Math.round(heap / N),
  };
}

async function runOurs(
  control: ServerControl,
  materialize: boolean,
  paged = false,
): Promise<Figures> {
  const before = settledMemory();
  const client = new KubeClient({ server: control.url });
  const counter = new RoundCounter(M);
  let sink = 0;
  const informer = new Informer({
    client,
    resource: { group: "", version: "v1", resource: "pods" },
    ...(paged ? { watchList: "off", initialListResourceVersion: "" } : {}),
  });
  informer.addEventHandler({
    onUpdate: materialize
      ? (_old, obj) => {
          sink += obj.object.metadata.name?.length ?? 0;
          counter.hit();
        }
      : () => counter.hit(),
  });
  const started = performance.now();
  void informer.start();
  await within(informer.waitForSync(), LIMIT_MS, "our informer sync");
  const syncMs = performance.now() - started;
  const heap = settledMemory() - before;
  const ms = await counter.median(ROUNDS, () => control.release(M), "our informer events");
  if (informer.store.size !== N)
    throw new Error(`our informer holds ${informer.store.size} of ${N} pods`);
  await informer.close();
  client.close();
  if (materialize && sink === 0) throw new Error("the materializing handler read nothing");
  return figures(syncMs, M, ms, heap);
}

async function runClientNode(control: ServerControl): Promise<Figures> {
  const before = settledMemory();
  const kc = new KubeConfig();
  kc.loadFromString(control.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer(kc, "/api/v1/pods", () => api.listPodForAllNamespaces());
  const counter = new RoundCounter(M);
  let stopping = false;
  informer.on("update", () => counter.hit());
  informer.on("error", (error: unknown) => {
    if (!stopping) log(`client-node informer error: ${String(error)}`);
  });
  const started = performance.now();
  await within(informer.start(), LIMIT_MS, "client-node informer sync");
  const syncMs = performance.now() - started;
  const heap = settledMemory() - before;
  const ms = await counter.median(ROUNDS, () => control.release(M), "client-node informer events");
  if (informer.list().length !== N)
    throw new Error(`client-node holds ${informer.list().length} of ${N} pods`);
  stopping = true;
  await informer.stop();
  return figures(syncMs, M, ms, heap);
}

/** The limit: read the watch stream from the current RV and JSON.parse each line, nothing else. */
async function runLimit(control: ServerControl): Promise<{ eventsPerSec: number }> {
  const rv = await control.resourceVersion();
  const counter = new RoundCounter(M);
  let modified = 0;
  const connected = Promise.withResolvers<void>();
  const req = request(new URL(`/api/v1/pods?watch=1&resourceVersion=${rv}`, control.url), (res) => {
    connected.resolve();
    let carry: Buffer | undefined;
    res.on("data", (chunk: Buffer) => {
      const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const event: unknown = JSON.parse(buf.toString("utf8", start, nl));
        if (
          typeof event === "object" &&
          event !== null &&
          "type" in event &&
          event.type === "MODIFIED"
        ) {
          modified++;
        }
        counter.hit();
        start = nl + 1;
      }
      carry = start < buf.length ? buf.subarray(start) : undefined;
    });
  });
  req.on("error", (error) => connected.reject(error));
  req.end();
  await connected.promise;
  const ms = await counter.median(ROUNDS, () => control.release(M), "limit reader");
  req.destroy();
  if (modified !== M * ROUNDS) {
    throw new Error(`the limit reader saw ${modified} MODIFIED events of ${M * ROUNDS}`);
  }
  return { eventsPerSec: rate(M, ms) };
}

switch (values.client) {
  case "ours":
    sendResult(await runOurs(server, false));
    break;
  case "ours-materialized":
    sendResult(await runOurs(server, true));
    break;
  case "ours-paged":
    sendResult(await runOurs(server, false, true));
    break;
  case "client-node":
    sendResult(await runClientNode(server));
    break;
  case "limit":
    sendResult(await runLimit(server));
    break;
  default:
    throw new Error(`unknown --client "${values.client}"`);
}
