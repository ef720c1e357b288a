/**
 * The benchmark's API server: a simulated cluster in its own process, driven over IPC, so
 * that serving costs nothing in the measuring process.
 *
 * Messages in: {type:"rv"}, {type:"release", count}, {type:"stop"}.
 * Messages out: {type:"ready", url, kubeconfig, rv}, {type:"rv", rv},
 *               {type:"released", rv, applyMs}.
 *
 * "release" applies `count` pod updates inside one `batch`: they enter the watch history
 * together and reach every open watch as large writes, so clients are fed at wire speed.
 */
import { startSimulatedCluster } from "../../src/sim/index.ts";

const objects = Number(process.argv[2] ?? 50_000);
const maxEvents = Number(process.argv[3] ?? 100_000);

const cluster = await startSimulatedCluster({
  historySize: maxEvents + objects + 1_000,
  bookmarkIntervalMs: 3_600_000,
  // One batch of maxEvents updates is queued for each watcher at once: never cut it.
  maxWatcherBufferBytes: Math.max(256 * 2 ** 20, maxEvents * 8192),
});
cluster.load.seed("pods", objects);
const keys = cluster
  .list("pods")
  .map((p) => [p.metadata.namespace ?? "", p.metadata.name ?? ""] as const);
let round = 0;

type Message = { type: "rv" } | { type: "release"; count: number } | { type: "stop" };

process.on("message", (message: Message) => {
  if (message.type === "rv") {
    process.send?.({ type: "rv", rv: cluster.resourceVersion });
  } else if (message.type === "release") {
    round++;
    const started = performance.now();
    cluster.batch(() => {
      for (let i = 0; i < message.count; i++) {
        const [namespace, name] = keys[i % keys.length]!;
        cluster.patch("pods", namespace, name, {
          metadata: { labels: { "bench.kube-lookout.io/round": `r${round}-${i}` } },
        });
      }
    });
    process.send?.({
      type: "released",
      rv: cluster.resourceVersion,
      applyMs: performance.now() - started,
    });
  } else {
    void cluster.close().then(() => process.disconnect());
  }
});

process.send?.({
  type: "ready",
  url: cluster.url,
  kubeconfig: cluster.kubeConfigYaml(),
  rv: cluster.resourceVersion,
});
