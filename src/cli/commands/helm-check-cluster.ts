/**
 * `kube-lookout helm check` against a cluster: one run of the Helm checker (metadata-only
 * discovery, newest deployed payloads, worker pool) at one target, turned into a report.
 */
import type { DeprecationTable } from "../../helm/deprecations/index.ts";
import { HelmChecker, type HelmReleaseError } from "../../helm/index.ts";
import { errorLine, exitCodeFor, formatReport } from "../../helm/report/index.ts";
import type { CommandIo, FlagValues } from "../args.ts";
import { intFlag, listFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { reportFormatFlag } from "./report-format.ts";
import { connectKube } from "../kube-connect.ts";
import { createProgress } from "../progress.ts";

const NAME = "helm check";

/** What `helm check` settled before the cluster is read. */
export interface ClusterCheckSettings {
  /** The built-in table, with the `--extra-rows` merged over it. */
  readonly table: DeprecationTable;
  readonly components: Readonly<Record<string, string>>;
  /** `--target-version`, checked; absent: the minor after the cluster's own. */
  readonly target?: string;
}

/**
 * Runs one check of the cluster. Resolves to the exit code: by findings (0/2/3) when the scan
 * completed, 1 when it could not (unreachable cluster, nothing readable, no payload decodable,
 * timeout).
 */
export async function checkCluster(
  values: FlagValues,
  io: CommandIo,
  settings: ClusterCheckSettings,
): Promise<number> {
  const format = reportFormatFlag(values, NAME);
  const drivers = stringFlag(values, "drivers") ?? "both";
  if (drivers !== "secrets" && drivers !== "configmaps" && drivers !== "both") {
    throw new UsageError(`--drivers must be secrets, configmaps or both, got "${drivers}"`, NAME);
  }
  const timeoutSeconds = intFlag(NAME, values, "timeout", 1, 86_400) ?? 300;
  const namespaces = listFlag(values, "namespace");
  const kubeconfig = stringFlag(values, "kubeconfig");
  const context = stringFlag(values, "context");
  const client = connectKube({
    command: NAME,
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(context === undefined ? {} : { context }),
  });
  const target = settings.target;
  const checker = new HelmChecker({
    client,
    drivers,
    ...(namespaces.length === 0 ? {} : { namespaces }),
    statuses: values["include-failed"] === true ? ["deployed", "failed"] : ["deployed"],
    targets: target === undefined ? { offsets: [1] } : { versions: [target] },
    fullScanIntervalMs: 0,
    componentVersions: settings.components,
    table: settings.table,
  });
  const progress = createProgress({
    write: io.stderr,
    isTTY: io.stderrIsTTY,
    label: "releases checked",
  });
  const timer = setInterval(() => {
    const p = checker.progress();
    if (p.known > 0) progress.update(Math.min(p.checked, p.known), p.known);
  }, 100);
  timer.unref();
  // A timer that keeps the process alive: while the checker retries an unreachable cluster,
  // nothing else does, and the command must end by its timeout, not by an empty event loop.
  const deadline = new AbortController();
  const timeout = setTimeout(() => deadline.abort(), timeoutSeconds * 1000);
  try {
    await checker.start();
    try {
      await checker.waitUntilReady(AbortSignal.any([io.signal, deadline.signal]));
    } catch (err) {
      if (io.signal.aborted) throw err;
      // The progress line is erased before any message, which would otherwise follow it on
      // the same terminal line.
      clearInterval(timer);
      progress.clear();
      const last = checker.status().lastError;
      io.stderr(
        `kube-lookout ${NAME}: the scan did not complete within ${timeoutSeconds} s` +
          (last === undefined ? "\n" : `; last error (${last.code}): ${last.message}\n`),
      );
      return 1;
    }
    clearInterval(timer);
    progress.clear();
    const status = checker.status();
    const uncovered = status.uncoveredTargets;
    if (status.targets.length === 0) {
      io.stderr(
        `kube-lookout ${NAME}: ${uncovered.length > 0 ? `target ${uncovered.join(", ")} is beyond the deprecation table's coverage` : "no target version"}\n`,
      );
      return 1;
    }
    const forbidden: HelmReleaseError[] = status.forbidden.map((f) => ({
      namespace: f.namespace,
      release: "",
      code: "LOOKOUT_HELM_FORBIDDEN",
      message: `${f.resource} cannot be read${f.namespace === "" ? " at the cluster scope" : ""}: ${f.message}`,
    }));
    if (status.unreadable) {
      io.stderr(
        `kube-lookout ${NAME}: nothing could be read:\n${forbidden.map((e) => `  ${e.message}\n`).join("")}`,
      );
      return 1;
    }
    const report = {
      target: status.targets[0]!,
      findings: checker.findings(),
      errors: [...forbidden, ...checker.errors()],
    };
    io.stdout(formatReport(report, format));
    if (format === "csv" && report.errors.length > 0) {
      io.stderr(report.errors.map((e) => `${errorLine(e)}\n`).join(""));
    }
    // As in files mode, a check that could not read anything cannot pass: releases were found
    // and not one payload could be decoded (a document's bad YAML still leaves the others read).
    const undecoded = new Set(
      checker
        .errors()
        .filter((e) => e.code !== "LOOKOUT_HELM_BAD_YAML")
        .map((e) => `${e.namespace}/${e.release}`),
    );
    if (status.releases > 0 && undecoded.size >= status.releases) {
      io.stderr(
        `kube-lookout ${NAME}: nothing could be checked (none of the ${status.releases} releases could be decoded; see the errors)\n`,
      );
      return 1;
    }
    return exitCodeFor(report);
  } finally {
    clearTimeout(timeout);
    clearInterval(timer);
    progress.clear();
    await checker.close();
    client.close();
  }
}
