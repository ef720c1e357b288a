import { HelmChecker, type HelmFinding } from "../../helm/index.ts";
import { InformerFactory } from "../../informer/index.ts";
import type { EventHandler } from "../../informer/index.ts";
import { KubeClient } from "../../kube/index.ts";
import type { RawObject } from "../../kube/index.ts";
import { startSimulatedCluster } from "../../sim/index.ts";
import type { Command } from "../args.ts";
import { intFlag } from "../args.ts";
import { runChurn } from "../churn.ts";

const PODS = { group: "", version: "v1", resource: "pods" } as const;

/** "N findings (R removed, D deprecated)". */
function describe(findings: readonly HelmFinding[]): string {
  const removed = findings.filter((f) => f.status === "removed").length;
  return `${findings.length} findings (${removed} removed, ${findings.length - removed} deprecated)`;
}

/**
 * `kube-lookout demo`: a simulated cluster with churning pods, and an informer (from a shared
 * factory, over real HTTP) that logs every change it sees and a summary of its cache.
 */
export const demoCommand: Command = {
  name: "demo",
  short: "Run a simulated cluster with pods and Helm releases, an informer and the Helm checker.",
  summary:
    "Run the product on its embedded default: a simulated cluster with churning pods and Helm " +
    "releases, an informer that logs every change it sees, the Helm deprecation checker with " +
    "its findings, and a periodic summary (each summary also upgrades one release to fixed " +
    "APIs, so its findings go away). Runs until interrupted, or for --duration seconds.",
  usage: "kube-lookout demo [--pods 50] [--helm-releases 20] [--churn-rate 2] [--duration SECONDS]",
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
    "helm-releases": {
      type: "string",
      valueName: "N",
      description:
        "Helm releases seeded in the simulated cluster (some using deprecated APIs), checked by the Helm checker; one is upgraded to fixed APIs every summary.",
      default: "20",
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
    const helmReleases = intFlag("demo", values, "helm-releases", 0, 10_000) ?? 20;
    const signal =
      duration === undefined
        ? io.signal
        : AbortSignal.any([io.signal, AbortSignal.timeout(duration * 1000)]);

    await using cluster = await startSimulatedCluster();
    cluster.load.seed(PODS, pods);
    if (helmReleases > 0) {
      cluster.helm.seed({
        releases: helmReleases,
        revisionsPerRelease: 2,
        objectsPerManifest: 12,
        seed: 7,
      });
    }
    io.stdout(
      `simulated cluster on ${cluster.url} (Kubernetes v1.32.0) with ${pods} pods and ${helmReleases} Helm releases; ${churnRate} changes/s\n`,
    );

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

    // The Helm checker: findings at the cluster's version and the next two minors.
    await using checker = new HelmChecker({ client, maxThreads: 1, incrementalDelayMs: 100 });
    checker.onFindingsChanged((change) => {
      if (!checker.status().ready) return;
      io.stdout(
        `${new Date().toISOString()} helm    ${change.namespace}/${change.release}` +
          (change.revision === undefined ? " uninstalled" : ` revision ${change.revision}`) +
          `: ${describe(change.findings)}, was ${change.previous.length}\n`,
      );
    });
    await checker.start();
    await checker.waitUntilReady(signal);
    const status = checker.status();
    io.stdout(
      `helm checker ready: ${status.releases} releases, targets ${status.targets.join(", ")}; ${describe(checker.findings())}\n`,
    );
    const fixed = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: fixed\n";

    const summary = setInterval(() => {
      // A release is upgraded to APIs that are fine: its findings go away.
      const release = checker.releases().find((r) => r.findings.length > 0);
      if (release !== undefined)
        cluster.helm.upgrade(release.namespace, release.release, { manifest: fixed });
      const namespaces = new Set(informer.store.list().map((p) => p.namespace)).size;
      io.stdout(
        `summary: ${informer.store.size} pods in ${namespaces} namespaces, rv ${informer.lastSyncResourceVersion}; ` +
          `seen ${counts.added} adds, ${counts.updated} updates, ${counts.deleted} deletes; ` +
          `helm: ${describe(checker.findings())}\n`,
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
