/**
 * The cache API benchmark's simulated API server, in its own process: a cluster seeded with
 * `argv[2]` realistic pods (about 2 KiB of JSON each, over namespaces ns-0..ns-9).
 * Messages out: {type:"ready", url}, {type:"cpu", micros}. In: {type:"cpu"}, {type:"stop"}.
 */
import { startSimulatedCluster } from "../../src/sim/index.ts";

const pods = Number(process.argv[2] ?? "10000");
const cluster = await startSimulatedCluster({ bookmarkIntervalMs: 3_600_000 });
cluster.load.seed("pods", pods);
process.on("message", (m: { type: string }) => {
  if (m.type === "stop") void cluster.close().then(() => process.disconnect());
  else if (m.type === "cpu") {
    const u = process.cpuUsage();
    process.send?.({ type: "cpu", micros: u.user + u.system });
  }
});
process.send?.({ type: "ready", url: cluster.url });
