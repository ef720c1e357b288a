/**
 * `npm run bench -- informer [--objects 50000] [--events 100000]`
 *
 * One simulated API server in a child process, seeded with N realistic pods (about 2 KiB of
 * JSON each, managedFields included). Then, each in turn and each in a fresh process: the
 * limit (one raw watch stream, JSON.parse of each line, nothing else), our informer, our
 * informer with a handler that materializes every object, and `@kubernetes/client-node`'s
 * `makeInformer`. Each informer syncs the N pods; then the server applies M pod updates in one
 * batch (held in its watch history and streamed from there at wire speed) and the client times
 * the first to the M-th event at its handler; that is done three times (BENCH_ROUNDS) and the
 * median reported. Heap per object: heap + array buffers after a full
 * GC once synced, minus the same before creating the informer.
 * The last line of output is one JSON object with the figures and the ratios.
 */
import { parseArgs } from "node:util";
import { BenchServer } from "./lib/bench-server.ts";
import type { Figures } from "./lib/informer-client.ts";
import { ratio } from "./lib/measure.ts";

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "50000" },
    events: { type: "string", default: "100000" },
  },
});
const N = Number(values.objects);
const M = Number(values.events);
if (!Number.isSafeInteger(N) || N < 1 || !Number.isSafeInteger(M) || M < 2) {
  throw new Error(
    `--objects must be ≥ 1 and --events ≥ 2, got ${values.objects} and ${values.events}`,
  );
}
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const clientScript = new URL("lib/informer-client.ts", import.meta.url);

log(`informer benchmark: ${N} pods, ${M} watch events`);
const server = await BenchServer.start(N, M);
try {
  const warmup = await server.release(M);
  log(`server warm-up: ${M} updates applied in ${Math.round(warmup.applyMs)} ms`);
  const run = <R>(client: string): Promise<R> =>
    server.measure<R>(clientScript, [
      "--client",
      client,
      "--objects",
      String(N),
      "--events",
      String(M),
    ]);
  const limit = await run<{ eventsPerSec: number }>("limit");
  log(`limit: ${JSON.stringify(limit)}`);
  const ours = await run<Figures>("ours");
  log(`ours: ${JSON.stringify(ours)}`);
  const oursMaterialized = await run<Figures>("ours-materialized");
  log(`ours, handler materializing every object: ${JSON.stringify(oursMaterialized)}`);
  const oursPaged = await run<Figures>("ours-paged");
  log(`ours, paged LIST at RV "": ${JSON.stringify(oursPaged)}`);
  const clientNode = await run<Figures>("client-node");
  log(`client-node: ${JSON.stringify(clientNode)}`);
  console.log(
    JSON.stringify({
      objects: N,
      events: M,
      ours,
      oursMaterialized,
      oursPaged,
      clientNode,
      limit,
      ratios: {
        eventsVsClientNode: ratio(ours.eventsPerSec, clientNode.eventsPerSec),
        syncVsClientNode: ratio(ours.syncMs, clientNode.syncMs),
        pagedSyncVsClientNode: ratio(oursPaged.syncMs, clientNode.syncMs),
        heapVsClientNode: ratio(ours.heapBytesPerObject, clientNode.heapBytesPerObject),
        eventsVsLimit: ratio(ours.eventsPerSec, limit.eventsPerSec),
        materializedEventsVsClientNode: ratio(
          oursMaterialized.eventsPerSec,
          clientNode.eventsPerSec,
        ),
        materializedEventsVsLimit: ratio(oursMaterialized.eventsPerSec, limit.eventsPerSec),
      },
    }),
  );
} finally {
  await server.stop();
}
