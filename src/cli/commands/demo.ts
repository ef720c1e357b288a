import { InformerFactory } from "../../informer/index.ts";
import type { EventHandler } from "../../informer/index.ts";
import { KubeClient } from "../../kube/index.ts";
import type { RawObject } from "../../kube/index.ts";
import { startSimulatedCluster } from "../../sim/index.ts";
import type { Command } from "../args.ts";
import { intFlag } from "../args.ts";
import { runChurn } from "../churn.ts";

const PODS = { group: "", version: "v1", resource: "pods" } as const;

/**
 * `kube-lookout demo`: a simulated cluster with churning pods, and an informer (from a shared
 * factory, over real HTTP) that logs every change it sees and a summary of its cache.
 */
export const demoCommand: Command = {
  name: "demo",
  short: "Run a simulated cluster with churning pods and an informer that logs what it sees.",
  summary:
    "Run the product on its embedded default: a simulated cluster with churning pods and an " +
    "informer that logs every change it sees, plus a periodic summary of its cache. Runs until " +
    "interrupted, or for --duration seconds.",
  usage: "kube-lookout demo [--pods 50] [--churn-rate 2] [--duration SECONDS]",
  flags: {
    pods: {
      type: "string",
      valueName: "N",
      description: "Pods seeded in the simulated cluster.",
      default: "50",
    },
    "churn-rate": {
      type: "string",
      valueName: "N",
      description: "Pod changes per second.",
      default: "2",
    },
    duration: {
      type: "string",
      valueName: "SECONDS",
      description: "Stop after this many seconds (default: run until Ctrl-C).",
    },
    "summary-every": {
      type: "string",
      valueName: "SECONDS",
      description: "Seconds between cache summaries.",
      default: "5",
    },
  },
  async run(values, io) {
    const pods = intFlag("demo", values, "pods", 0, 100_000) ?? 50;
    const churnRate = intFlag("demo", values, "churn-rate", 0, 10_000) ?? 2;
    const duration = intFlag("demo", values, "duration", 1, 86_400);
    const summaryEvery = intFlag("demo", values, "summary-every", 1, 3_600) ?? 5;
    const signal =
      duration === undefined
        ? io.signal
        : AbortSignal.any([io.signal, AbortSignal.timeout(duration * 1000)]);

    await using cluster = await startSimulatedCluster();
    cluster.load.seed(PODS, pods);
    io.stdout(`simulated cluster on ${cluster.url} with ${pods} pods; ${churnRate} changes/s\n`);

    // Disposed in reverse order: the factory (its informers), then the client, then the cluster.
    using client = new KubeClient({ server: cluster.url });
    await using factory = new InformerFactory({ client });
    const lease = factory.acquire({ resource: PODS });
    const informer = lease.informer;
    const counts = { added: 0, updated: 0, deleted: 0 };
    const line = (verb: string, obj: RawObject): void =>
      io.stdout(
        `${new Date().toISOString()} ${verb.padEnd(7)} pod ${obj.namespace}/${obj.name} rv=${obj.resourceVersion}\n`,
      );
    const handler: EventHandler = {
      onAdd(obj, isInInitialList) {
        counts.added++;
        if (!isInInitialList) line("added", obj);
      },
      onUpdate(_old, obj) {
        counts.updated++;
        line("updated", obj);
      },
      onDelete(obj) {
        counts.deleted++;
        line("deleted", "type" in obj ? obj.object : obj);
      },
    };
    informer.addEventHandler(handler);
    await informer.waitForSync(signal);
    io.stdout(
      `informer synced: ${informer.store.size} pods cached at resourceVersion ${informer.lastSyncResourceVersion}\n`,
    );

    const summary = setInterval(() => {
      const namespaces = new Set(informer.store.list().map((p) => p.namespace)).size;
      io.stdout(
        `summary: ${informer.store.size} pods in ${namespaces} namespaces, rv ${informer.lastSyncResourceVersion}; ` +
          `seen ${counts.added} adds, ${counts.updated} updates, ${counts.deleted} deletes\n`,
      );
    }, summaryEvery * 1000);
    try {
      if (churnRate > 0) await runChurn(cluster, churnRate, signal);
      else
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
    } finally {
      clearInterval(summary);
      await lease.release();
    }
    io.stdout("demo stopped\n");
    return 0;
  },
};
