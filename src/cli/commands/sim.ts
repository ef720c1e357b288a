import { writeFile } from "node:fs/promises";
import { startSimulatedCluster } from "../../sim/index.ts";
import type { Command } from "../args.ts";
import { intFlag } from "../args.ts";
import { runChurn } from "../churn.ts";

/** `kube-lookout sim`: serves a simulated Kubernetes API server until SIGINT/SIGTERM. */
export const simCommand: Command = {
  name: "sim",
  short: "Serve a simulated Kubernetes API server for kubectl, client-node and kube-lookout.",
  summary:
    "Serve a simulated Kubernetes API server (list/watch, paging, bookmarks, selectors, discovery) " +
    "that kubectl, @kubernetes/client-node and kube-lookout talk to as to a cluster. Runs until " +
    "interrupted.",
  usage:
    "kube-lookout sim [--host ADDR] [--port PORT] [--seed-pods N] [--churn-rate N] [--history-size N] [--git-version VERSION] [--kubeconfig FILE]",
  exitCodes: [
    [0, "Stopped by SIGINT or SIGTERM."],
    [
      1,
      "The server could not start (the port is taken, say) or the kubeconfig could not be written.",
    ],
    [2, "Usage error: unknown flag or bad flag value."],
  ],
  examples: [
    "kube-lookout sim --seed-pods 200 --churn-rate 5 --kubeconfig /tmp/sim.kubeconfig",
    "kubectl --kubeconfig /tmp/sim.kubeconfig get pods -A --watch",
    "kube-lookout run --kubeconfig /tmp/sim.kubeconfig --set api.port=9464",
  ],
  flags: {
    host: {
      type: "string",
      valueName: "ADDR",
      description: "Address to listen on.",
      default: "127.0.0.1",
    },
    port: {
      type: "string",
      valueName: "PORT",
      description: "Port to listen on (0 = any free port).",
      default: "8001",
    },
    "seed-pods": {
      type: "string",
      valueName: "N",
      description: "Pods to create at start, spread over namespaces ns-0..ns-9.",
      default: "0",
    },
    "churn-rate": {
      type: "string",
      valueName: "N",
      description: "Pod creates/updates/deletes per second after seeding (0 = none).",
      default: "0",
    },
    "history-size": {
      type: "string",
      valueName: "N",
      description: "Watch events kept; a watch from an older resourceVersion gets 410 Expired.",
      default: "10000",
    },
    "git-version": {
      type: "string",
      valueName: "V",
      description: "Version reported by /version.",
      default: "v1.32.0",
    },
    kubeconfig: {
      type: "string",
      valueName: "FILE",
      description:
        "Write a kubeconfig for this server to FILE (use with kubectl --kubeconfig FILE).",
    },
  },
  async run(values, io) {
    const port = intFlag("sim", values, "port", 0, 65535) ?? 8001;
    const seedPods = intFlag("sim", values, "seed-pods", 0, 1_000_000) ?? 0;
    const churnRate = intFlag("sim", values, "churn-rate", 0, 100_000) ?? 0;
    const historySize = intFlag("sim", values, "history-size", 1, 10_000_000) ?? 10_000;
    const cluster = await startSimulatedCluster({
      host: String(values["host"] ?? "127.0.0.1"),
      port,
      historySize,
      gitVersion: String(values["git-version"] ?? "v1.32.0"),
    });
    try {
      if (seedPods > 0) cluster.load.seed("pods", seedPods);
      const kubeconfig = values["kubeconfig"];
      if (typeof kubeconfig === "string") await writeFile(kubeconfig, cluster.kubeConfigYaml());
      io.stdout(`simulated cluster listening on ${cluster.url}\n`);
      if (typeof kubeconfig === "string") {
        io.stdout(
          `kubeconfig written to ${kubeconfig}: kubectl --kubeconfig ${kubeconfig} get pods -A\n`,
        );
      }
      if (churnRate > 0) await runChurn(cluster, churnRate, io.signal);
      else
        await new Promise<void>((resolve) =>
          io.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      return 0;
    } finally {
      await cluster.close();
    }
  },
};
