/**
 * The cluster connection of the commands that talk to the API server (`run`, `helm check`):
 * an explicit kubeconfig, else the pod's service account, else the default kubeconfig
 * ($KUBECONFIG, ~/.kube/config); a clear error when there is none, or when the context asked
 * for is not in the kubeconfig.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { messageLine } from "../helm/report/index.ts";
import { KubeClient } from "../kube/index.ts";
import { UsageError } from "./errors.ts";

/** The service account token a pod is given. */
const TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** How to find the cluster. */
export interface KubeConnectOptions {
  /** A kubeconfig file (`--kubeconfig`). */
  readonly kubeconfig?: string;
  /** A context of the kubeconfig (`--context`). */
  readonly context?: string;
  /** Where `context` comes from, for the error: `--context` (default) or a setting's name. */
  readonly contextFrom?: string;
  /** Where `kubeconfig` comes from, for the error: `--kubeconfig` (default) or a setting's name. */
  readonly kubeconfigFrom?: string;
  /** Use the pod's service account: always, never, or when its token is there (default). */
  readonly inCluster?: boolean | "auto";
  /** The command whose help a usage error points to. */
  readonly command: string;
}

/**
 * A client for the cluster `options` name. Throws an Error naming every place looked at when
 * there is no cluster to connect to; when `context` is not in the kubeconfig, an error listing
 * the contexts it has (a {@link UsageError} when it came from a flag).
 */
export function connectKube(options: KubeConnectOptions): KubeClient {
  const kc = new KubeConfig();
  const file = options.kubeconfig;
  const inCluster = options.inCluster ?? "auto";
  const home = process.env["HOME"] === undefined ? homedir() : process.env["HOME"];
  if (file === undefined && (inCluster === true || (inCluster === "auto" && existsSync(TOKEN)))) {
    kc.loadFromCluster();
  } else if (file !== undefined) {
    loadNaming(`${options.kubeconfigFrom ?? "--kubeconfig"} ${file}`, () => kc.loadFromFile(file));
  } else if (
    (process.env["KUBECONFIG"] ?? "") !== "" ||
    existsSync(join(home, ".kube", "config"))
  ) {
    const env = process.env["KUBECONFIG"] ?? "";
    loadNaming(env === "" ? "~/.kube/config" : `$KUBECONFIG ${env}`, () => kc.loadFromDefault());
  } else {
    throw new Error(
      `no cluster to connect to: not in a pod (no ${TOKEN}) and no kubeconfig ` +
        "(--kubeconfig, kube.kubeconfig, $KUBECONFIG or ~/.kube/config). " +
        "To try kube-lookout without a cluster: kube-lookout demo",
    );
  }
  const context = options.context;
  if (context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context)) {
      const from = options.contextFrom ?? "--context";
      const message = `${from} "${context}" is not in the kubeconfig (it has ${names.join(", ") || "none"})`;
      throw from.startsWith("--") ? new UsageError(message, options.command) : new Error(message);
    }
    kc.setCurrentContext(context);
  }
  return KubeClient.fromKubeConfig(kc);
}

/**
 * Runs `load`; its error is rethrown naming `from` (the setting and the file): the reader's own
 * message (a YAML error, EISDIR, ENOENT) names neither.
 */
function loadNaming(from: string, load: () => void): void {
  try {
    load();
  } catch (error) {
    const why = messageLine(error instanceof Error ? error.message : String(error));
    throw new Error(`${from}: cannot load it: ${why}`, { cause: error });
  }
}
