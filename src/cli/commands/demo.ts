/**
 * `kube-lookout demo`: the whole sidecar on a simulated cluster with a realistic workload
 * (demo-workload.ts), a nats-server when one is installed (demo-nats.ts), every feature and
 * built-in plugin on (demo-config.ts). Prints where to look, then runs until Ctrl-C or
 * `--duration`, and stops in reverse order: the sidecar (its outbox flushed), the workload,
 * nats-server, the cluster; its temp dir is removed.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "../../kube/index.ts";
import type { LogLevel } from "../../logging/index.ts";
import { cliLogger } from "../logger.ts";
import type { Lookout } from "../../lookout.ts";
import { startSimulatedCluster } from "../../sim/index.ts";
import type { Command, CommandIo } from "../args.ts";
import { intFlag, stringFlag } from "../args.ts";
import { demoBanner, describeFindings, selfCommand, type DemoNatsState } from "../demo-banner.ts";
import { demoConfig, demoConfigYaml } from "../demo-config.ts";
import { driveWorkload } from "../demo-driver.ts";
import {
  findNatsServer,
  NATS_INSTALL_HINT,
  startDemoNats,
  type DemoNatsServer,
} from "../demo-nats.ts";
import { DemoWorkload } from "../demo-workload.ts";
import { UsageError } from "../errors.ts";
import { runSidecar } from "../sidecar.ts";

const NAME = "demo";
const GIT_VERSION = "v1.32.0";
const HELM_EVERY_SECONDS = 10;
const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const time = (): string => new Date().toISOString().slice(11, 19);

/** A loopback port nothing listens on (for events without NATS). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 4222;
}

/** Once the sidecar is ready: a line with the findings, then one per findings change. */
async function followReady(lookout: Lookout, io: CommandIo): Promise<void> {
  try {
    await lookout.ready;
  } catch {
    return;
  }
  const helm = lookout.helm;
  const findings = helm === undefined ? "" : `; Helm: ${describeFindings(helm.findings())}`;
  io.stdout(`${time()} ready: every cache synced, first Helm scan done${findings}\n`);
  helm?.onFindingsChanged((change) => {
    const what = change.revision === undefined ? "uninstalled" : `revision ${change.revision}`;
    io.stdout(
      `${time()} helm ${change.namespace}/${change.release} ${what}: ` +
        `${describeFindings(change.findings)}, was ${change.previous.length}\n`,
    );
  });
}

/** No NATS: events go to a loopback port where nothing listens, and stay in the outbox. */
async function noNats(reason: string): Promise<{ state: DemoNatsState; server: undefined }> {
  return {
    state: { kind: "none", url: `nats://127.0.0.1:${await unusedPort()}`, reason },
    server: undefined,
  };
}

/** NATS as `--nats` asks: started, an external server, or none (events stay in the outbox). */
async function setUpNats(
  mode: string,
  dir: string,
  io: CommandIo,
): Promise<{ state: DemoNatsState; server: DemoNatsServer | undefined }> {
  if (mode.startsWith("nats://") || mode.startsWith("tls://")) {
    return { state: { kind: "external", url: mode }, server: undefined };
  }
  if (mode === "none") return await noNats("--nats none");
  const binary = findNatsServer();
  if (binary === undefined) {
    return await noNats(
      `no nats-server on PATH, in /usr/sbin or /usr/local/bin (install it: ${NATS_INSTALL_HINT})`,
    );
  }
  try {
    const server = await startDemoNats(binary, join(dir, "nats"));
    return { state: { kind: "started", url: server.url, binary }, server };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`kube-lookout demo: cannot start nats-server: ${message}\n`);
    return await noNats(`${binary} did not start (see above)`);
  }
}

/** `kube-lookout demo`. */
export const demoCommand: Command = {
  name: NAME,
  short:
    "Run the sidecar, with every feature on, on a simulated cluster with a realistic workload.",
  summary:
    "Starts a simulated Kubernetes cluster with a realistic workload (namespaces shop, payments " +
    "and monitoring; Deployments with their ReplicaSets and Pods, StatefulSets, a DaemonSet, " +
    "nodes; rolling restarts, scaling, container restarts and evictions at --churn-rate; Helm " +
    "releases of which some use deprecated and removed APIs, one upgraded or rolled back every " +
    `${HELM_EVERY_SECONDS} s; metrics.k8s.io usage that moves), a nats-server with JetStream when ` +
    "one is installed (else change events stay in the sidecar's outbox), and the sidecar with " +
    "every feature and built-in plugin on. Prints the URLs and commands to try (the sidecar's " +
    "URL first), then runs until Ctrl-C or --duration. Everything lives in a temp dir, removed " +
    "on exit. Logs (JSON lines) go to stderr, at --log-level.",
  usage:
    "kube-lookout demo [--port PORT] [--nats auto|none|URL] [--pods N] [--churn-rate N] [--helm-releases N] [--seed N] [--duration SECONDS] [--log-level LEVEL]",
  flags: {
    port: {
      type: "string",
      valueName: "PORT",
      description: "Port of the sidecar's API and /metrics on 127.0.0.1 (0: a free one).",
      default: "0",
    },
    nats: {
      type: "string",
      valueName: "auto|none|URL",
      description:
        "auto: start nats-server if installed (PATH, /usr/sbin, /usr/local/bin), else as none; " +
        "none: no NATS, events stay in the outbox; nats://HOST:PORT (or tls://): publish to that server.",
      default: "auto",
    },
    pods: {
      type: "string",
      valueName: "N",
      description: "About how many pods the apps run in all.",
      default: "40",
    },
    "churn-rate": {
      type: "string",
      valueName: "N",
      description: "Workload changes per second (each touches a few objects).",
      default: "2",
    },
    "helm-releases": {
      type: "string",
      valueName: "N",
      description:
        "Generated Helm releases to add to the demo's own seven (namespaces helm-0..9, some on deprecated APIs).",
      default: "0",
    },
    seed: {
      type: "string",
      valueName: "N",
      description: "Seed of the workload's random choices (same seed, same sequence).",
      default: "1",
    },
    duration: {
      type: "string",
      valueName: "SECONDS",
      description: "Stop after this many seconds (default: run until Ctrl-C).",
    },
    "log-level": {
      type: "string",
      valueName: "LEVEL",
      description: "debug, info, warn or error: the sidecar's JSON log lines on stderr.",
      default: "warn",
    },
  },
  exitCodes: [
    [0, "Stopped by Ctrl-C (SIGINT/SIGTERM) or after --duration."],
    [1, "A runtime error (the message names it)."],
    [2, "Usage error."],
  ],
  examples: [
    "kube-lookout demo",
    "kube-lookout demo --port 9464 --churn-rate 10 --pods 200",
    "kube-lookout demo --nats none --duration 60",
    "kube-lookout demo --nats nats://127.0.0.1:4222 --log-level info",
  ],
  async run(values, io) {
    const port = intFlag(NAME, values, "port", 0, 65_535) ?? 0;
    const pods = intFlag(NAME, values, "pods", 1, 100_000) ?? 40;
    const churnRate = intFlag(NAME, values, "churn-rate", 0, 10_000) ?? 2;
    const helmReleases = intFlag(NAME, values, "helm-releases", 0, 10_000) ?? 0;
    const seed = intFlag(NAME, values, "seed", 0, 2 ** 32 - 1) ?? 1;
    const duration = intFlag(NAME, values, "duration", 1, 86_400);
    const natsMode = stringFlag(values, "nats") ?? "auto";
    if (!["auto", "none"].includes(natsMode) && !/^(nats|tls):\/\/\S+$/.test(natsMode)) {
      throw new UsageError(
        `--nats must be auto, none or a nats:// (or tls://) URL, got "${natsMode}"`,
        NAME,
      );
    }
    const level = stringFlag(values, "log-level") ?? "warn";
    const logLevel = LEVELS.find((l) => l === level);
    if (logLevel === undefined) {
      throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}, got "${level}"`, NAME);
    }
    const signal =
      duration === undefined
        ? io.signal
        : AbortSignal.any([io.signal, AbortSignal.timeout(duration * 1000)]);

    const onStop = (): void =>
      io.stdout(
        `${time()} stopping: the sidecar closes first (its pending events written), then ` +
          "everything else the demo started\n",
      );
    signal.addEventListener("abort", onStop, { once: true });
    const dir = await mkdtemp(join(tmpdir(), "kube-lookout-demo-"));
    try {
      await using cluster = await startSimulatedCluster({ gitVersion: GIT_VERSION });
      const workload = new DemoWorkload(cluster, { seed, pods });
      const counts = workload.seed();
      if (helmReleases > 0) {
        cluster.helm.seed({
          releases: helmReleases,
          revisionsPerRelease: 2,
          objectsPerManifest: 12,
          seed,
        });
      }
      await writeFile(join(dir, "kubeconfig"), cluster.kubeConfigYaml());
      const nats = await setUpNats(natsMode, dir, io);
      try {
        const input = {
          dir,
          natsUrl: nats.state.url,
          natsExpected: nats.state.kind !== "none",
          port,
          logLevel,
        };
        const configFile = join(dir, "config.yaml");
        await writeFile(configFile, demoConfigYaml(input));
        const config = demoConfig(input, configFile);
        const logger = cliLogger(config.logLevel, io.stderr);
        const stopWorkload = new AbortController();
        const driving = driveWorkload(workload, {
          churnRate,
          helmEverySeconds: HELM_EVERY_SECONDS,
          signal: AbortSignal.any([signal, stopWorkload.signal]),
          onHelm: (s) =>
            io.stdout(
              `${time()} helm ${s.namespace}/${s.release}: ` +
                (s.action === "fixed"
                  ? `upgraded to chart ${s.chartVersion} (fixed APIs)\n`
                  : `rolled back to chart ${s.chartVersion} (old APIs)\n`),
            ),
          onError: (error) => logger.error("demo workload: a change failed", { error }),
        });
        using client = new KubeClient({ server: cluster.url });
        try {
          return await runSidecar(
            config,
            client,
            logger,
            { ...io, signal },
            {
              onStarted(lookout) {
                io.stdout(
                  demoBanner({
                    sidecarUrl: lookout.url ?? "",
                    clusterUrl: cluster.url,
                    gitVersion: GIT_VERSION,
                    counts: { ...counts, helmReleases: counts.helmReleases + helmReleases },
                    churnRate,
                    seed,
                    nats: nats.state,
                    dir,
                    self: selfCommand(),
                  }),
                );
                void followReady(lookout, io);
              },
            },
          );
        } finally {
          stopWorkload.abort();
          await driving;
        }
      } finally {
        await nats.server?.close();
      }
    } finally {
      signal.removeEventListener("abort", onStop);
      await rm(dir, { recursive: true, force: true });
      io.stdout("demo stopped\n");
    }
  },
};
