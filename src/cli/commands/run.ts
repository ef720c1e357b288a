/**
 * `kube-lookout run`: the sidecar. Loads the configuration (file < KUBE_LOOKOUT_* < --set),
 * connects to the cluster (in-cluster, else kubeconfig), checks that every watched resource is
 * served, builds the OpenTelemetry SDK and the composition root, and runs until SIGINT/SIGTERM,
 * then shuts down in order (the leader releases its lease, pending events are written).
 */
import { statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import {
  CONFIG_FILE_ENV,
  ConfigInvalidError,
  loadConfig,
  type LookoutConfig,
} from "../../config/index.ts";
import type { KubeClient } from "../../kube/index.ts";
import { cliLogger } from "../logger.ts";
import type { Logger } from "../../logging/index.ts";
import type { Command, CommandIo, FlagValues } from "../args.ts";
import { listFlag, stringFlag } from "../args.ts";
import { connectKube } from "../kube-connect.ts";
import { runSidecar } from "../sidecar.ts";
import { reportInvalid, setFlags } from "./config-shared.ts";

/**
 * SIGHUP, and changes of `file` (its directory is watched: a mounted ConfigMap is replaced
 * through a symlink swap, not written in place), debounced, call `trigger`. Returns the
 * uninstaller. A directory that cannot be watched (gone, or no inotify watch left) is logged
 * and SIGHUP alone reloads; this never throws. `loadedStamp`: the file's {@link fileStamp} taken
 * before the running configuration was loaded from it; when the file differs from it once the
 * watch is in place (it changed before the watch could see it), `trigger` is called as for a
 * change.
 */
export function installReloadTriggers(
  trigger: () => void,
  file: string | undefined,
  logger: Logger,
  loadedStamp?: string,
): () => void {
  const onHup = (): void => trigger();
  process.on("SIGHUP", onHup);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** A change of the file: reload once it has been quiet for 200 ms. */
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(trigger, 200);
  };
  if (file !== undefined) {
    const name = basename(file);
    try {
      watcher = watch(dirname(file), (_event, entry) => {
        if (entry !== null && entry !== name && entry !== "..data") return;
        changed();
      });
      watcher.on("error", () => undefined); // the directory went away: SIGHUP still works
      if (loadedStamp !== undefined && fileStamp(file) !== loadedStamp) changed();
    } catch (err: unknown) {
      logger.warn("configuration file changes are not watched; SIGHUP still reloads", {
        file,
        err,
      });
    }
  }
  return () => {
    process.off("SIGHUP", onHup);
    clearTimeout(timer);
    watcher?.close();
  };
}

/**
 * What tells one content of `file` from another without reading it: the inode (a ConfigMap's
 * symlink swap names a new file), the size and the modification time in nanoseconds, of the
 * file the path resolves to; "" when it cannot be read.
 */
export function fileStamp(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return "";
  }
}

/** `kube-lookout run`. */
export const runCommand: Command = {
  name: "run",
  short: "Run the sidecar: watches, Helm checks, events, cache API and /metrics.",
  summary:
    "Runs kube-lookout until SIGINT or SIGTERM. The configuration is the YAML file (--config, " +
    `else $${CONFIG_FILE_ENV}), then KUBE_LOOKOUT_* variables, then --set flags ` +
    "(docs/config.md). In a pod it uses the service account; elsewhere the kubeconfig. " +
    "The `watch` list is reloaded live on SIGHUP and when the file changes: only watches " +
    "whose configuration changed restart; a bad new configuration is refused and the running " +
    "one stays. On SIGTERM it stops being ready, flushes the outbox to NATS for up to " +
    "shutdown.flushTimeout, releases its Lease and exits 0. Logs are JSON lines (pino) on stderr.",
  usage:
    "kube-lookout run [--config FILE] [--set KEY=VALUE]... [--kubeconfig FILE] [--context NAME]",
  flags: {
    config: { type: "string", valueName: "FILE", description: "The YAML configuration file." },
    set: {
      type: "string",
      valueName: "KEY=VALUE",
      description: "Override one key (key path as in docs/config.md).",
      multiple: true,
    },
    kubeconfig: {
      type: "string",
      valueName: "FILE",
      description: "Kubeconfig file (default: in-cluster, else $KUBECONFIG, else ~/.kube/config).",
    },
    context: { type: "string", valueName: "NAME", description: "Kubeconfig context." },
  },
  exitCodes: [
    [0, "Stopped by SIGINT/SIGTERM after a clean shutdown."],
    [
      1,
      "Bad configuration, no cluster, a watched resource the cluster does not serve, or a start failure.",
    ],
    [2, "Usage error."],
  ],
  examples: [
    "kube-lookout run --config /etc/kube-lookout/config.yaml",
    "kill -HUP <pid>   # reload the watch list after editing the file",
    "kube-lookout run --kubeconfig ~/.kube/config --set events.enabled=false",
    "KUBE_LOOKOUT_STORE_PATH=/data/state.db kube-lookout run",
  ],
  async run(values, io) {
    // SIGHUP's default action ends the process: before the sidecar installs its reload triggers
    // (reading the configuration) and while it shuts down (the outbox flush), a SIGHUP is
    // ignored rather than fatal. One during discovery and start-up is applied once it runs.
    process.on("SIGHUP", ignoreHup);
    try {
      return await runSidecarCommand(values, io);
    } finally {
      process.off("SIGHUP", ignoreHup);
    }
  },
};

/** A SIGHUP listener that does nothing (its presence replaces the default action). */
function ignoreHup(): void {}

/** `run` once the SIGHUP guard is in place. */
async function runSidecarCommand(values: FlagValues, io: CommandIo): Promise<number> {
  const flags = setFlags(listFlag(values, "set"));
  const given = stringFlag(values, "config");
  const fromEnv = process.env[CONFIG_FILE_ENV];
  const file = given ?? (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv);
  const load = (): Promise<LookoutConfig> =>
    loadConfig({ ...(file === undefined ? {} : { file }), env: process.env, flags });
  // Taken before the load: a change after it, made before the file watch is in place, is seen.
  const stamp = file === undefined ? undefined : fileStamp(file);
  let config: LookoutConfig;
  try {
    config = await load();
  } catch (error: unknown) {
    if (error instanceof ConfigInvalidError) return reportInvalid(error, io);
    throw error;
  }
  const logger = cliLogger(config.logLevel, io.stderr);
  const kubeconfig = stringFlag(values, "kubeconfig");
  const context = stringFlag(values, "context");
  let client: KubeClient;
  try {
    const kubeconfigFile = kubeconfig ?? config.kube.kubeconfig;
    const contextName = context ?? config.kube.context;
    client = connectKube({
      command: "run",
      inCluster: config.kube.inCluster,
      ...(kubeconfigFile === undefined
        ? {}
        : {
            kubeconfig: kubeconfigFile,
            kubeconfigFrom: kubeconfig === undefined ? "kube.kubeconfig" : "--kubeconfig",
          }),
      ...(contextName === undefined
        ? {}
        : {
            context: contextName,
            contextFrom: context === undefined ? "kube.context" : "--context",
          }),
    });
  } catch (error: unknown) {
    io.stderr(`kube-lookout run: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  try {
    return await runSidecar(config, client, logger, io, {
      reload: {
        load,
        install: (trigger) =>
          installReloadTriggers(
            trigger,
            file !== undefined && config.reload.watchFile ? file : undefined,
            logger,
            stamp,
          ),
      },
    });
  } finally {
    client.close();
  }
}
