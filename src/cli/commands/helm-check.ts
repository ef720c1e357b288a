import {
  STDIN_PATH,
  checkManifests,
  errorLine,
  exitCodeFor,
  formatReport,
  listManifestFiles,
  loadCheckTable,
  readManifests,
  REPORT_FORMATS,
  resolveTarget,
  tableComponents,
} from "../../helm/report/index.ts";
import {
  BadVersionError,
  builtinTable,
  formatCoverage,
  formatKubeVersion,
  parseKubeVersion,
  type DeprecationTable,
  type KubeVersion,
} from "../../helm/deprecations/index.ts";
import type { Command, CommandIo } from "../args.ts";
import { listFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { reportFormatFlag } from "./report-format.ts";
import { createProgress } from "../progress.ts";
import { checkCluster } from "./helm-check-cluster.ts";

const NAME = "helm check";

/** Files above this count get a progress line (on a terminal). */
const PROGRESS_ABOVE = 20;

/**
 * All of stdin: its bytes when it gives bytes (as `process.stdin` does), so that it is decoded
 * as a file is (a UTF-16 byte order mark is read as such); text when it gives text.
 */
async function readAll(stdin: AsyncIterable<string | Uint8Array>): Promise<string | Uint8Array> {
  const chunks: (string | Uint8Array)[] = [];
  for await (const chunk of stdin) chunks.push(chunk);
  if (chunks.every((c): c is Uint8Array => typeof c !== "string")) return Buffer.concat(chunks);
  const decoder = new TextDecoder();
  let text = "";
  for (const c of chunks) text += typeof c === "string" ? c : decoder.decode(c, { stream: true });
  return text + decoder.decode();
}

function componentVersions(
  specs: readonly string[],
  known: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const name = eq < 0 ? "" : spec.slice(0, eq);
    const version = eq < 0 ? "" : spec.slice(eq + 1);
    if (name === "" || version === "") {
      throw new UsageError(`--component-version must be NAME=vX.Y.Z, got "${spec}"`, NAME);
    }
    if (!known.includes(name)) {
      throw new UsageError(
        `--component-version: unknown component "${name}" (the table knows ${known.join(", ")})`,
        NAME,
      );
    }
    try {
      parseKubeVersion(version);
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
      throw new UsageError(`--component-version ${name}: ${error.message}`, NAME, {
        cause: error,
      });
    }
    out[name] = version;
  }
  return out;
}

/**
 * The table (built-in plus `--extra-rows`), the target (`--target-version`, else the newest the
 * table covers) and the component versions, all checked before anything is read.
 */
async function checkSettings(
  values: Parameters<Command["run"]>[0],
  io: CommandIo,
): Promise<{
  table: DeprecationTable;
  target: KubeVersion;
  targetGiven: boolean;
  components: Record<string, string>;
}> {
  const table = await loadCheckTable(stringFlag(values, "extra-rows"), { signal: io.signal });
  const text = stringFlag(values, "target-version");
  let target: KubeVersion;
  try {
    target = resolveTarget(text, table);
  } catch (error) {
    if (!(error instanceof BadVersionError)) throw error;
    throw new UsageError(`--target-version: ${error.message}`, NAME, { cause: error });
  }
  const components = componentVersions(
    listFlag(values, "component-version"),
    tableComponents(table),
  );
  return { table, target, targetGiven: text !== undefined, components };
}

async function checkFiles(
  paths: readonly string[],
  values: Parameters<Command["run"]>[0],
  io: CommandIo,
): Promise<number> {
  const format = reportFormatFlag(values, NAME);
  if (paths.length === 0) {
    throw new UsageError("--files needs at least one PATH, or - for standard input", NAME);
  }
  if (paths.filter((p) => p === STDIN_PATH).length > 1) {
    throw new UsageError("- (standard input) may be given only once", NAME);
  }
  const { table, target, components } = await checkSettings(values, io);
  const list = await listManifestFiles(paths);
  const progress = createProgress({
    write: io.stderr,
    isTTY: io.stderrIsTTY && list.paths.length > PROGRESS_ABOVE,
    label: "reading manifests",
  });
  let reads;
  try {
    reads = await readManifests(list, {
      readStdin: () => readAll(io.stdin),
      onProgress: (done, total) => progress.update(done, total),
      signal: io.signal,
    });
  } finally {
    progress.clear();
  }
  const result = checkManifests(reads.files, { table, target, components }, reads.errors);
  io.stdout(formatReport(result.report, format));
  if (format === "csv" && result.report.errors.length > 0) {
    io.stderr(result.report.errors.map((e) => `${errorLine(e)}\n`).join(""));
  }
  if (result.checkedNothing) {
    const why =
      result.report.errors.length > 0
        ? "see the errors above"
        : "no Kubernetes object in the input";
    io.stderr(`kube-lookout ${NAME}: nothing could be checked (${why})\n`);
    return 1;
  }
  return exitCodeFor(result.report);
}

/**
 * `kube-lookout helm check`: checks Helm-rendered manifests (files mode) for Kubernetes APIs
 * that are deprecated or removed at one target version. Exits 0 clean, 2 deprecated only,
 * 3 something removed, 1 on any error including bad usage.
 */
export const helmCheckCommand: Command = {
  name: "check",
  short: "Check Helm releases in a cluster, or rendered manifests, for deprecated or removed APIs.",
  summary:
    "Check every deployed Helm 3 release of a cluster (the newest deployed revision of each, " +
    "its manifest and its hooks), or Kubernetes manifests rendered by Helm (with --files), for " +
    "APIs that are deprecated or removed at one target Kubernetes version. In the cluster, the " +
    "release storage objects (Secrets and ConfigMaps labelled owner=helm) are listed by their " +
    "metadata and only the newest deployed payloads are read. With --files, folders are searched " +
    "recursively for *.yaml, *.yml and *.json; '-' reads standard input. 'kind: List' documents " +
    "are expanded. A release or document that cannot be read is reported as an error and the " +
    "rest is still checked.",
  usage:
    "kube-lookout helm check [options]  |  kube-lookout helm check --files [options] PATH... | -",
  positionals: {
    name: "PATH... | -",
    description: "Manifest files or folders (with --files); '-' reads standard input.",
  },
  usageExitCode: 1,
  flags: {
    files: {
      type: "boolean",
      description: "Check manifest files (files mode) instead of a cluster.",
    },
    kubeconfig: {
      type: "string",
      valueName: "FILE",
      description:
        "Cluster mode: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster).",
    },
    context: {
      type: "string",
      valueName: "NAME",
      description: "Cluster mode: the kubeconfig context (default: its current context).",
    },
    namespace: {
      type: "string",
      short: "n",
      valueName: "NS",
      multiple: true,
      description:
        "Cluster mode: check only this namespace, for users who may not read all; default all.",
    },
    drivers: {
      type: "string",
      valueName: "DRIVERS",
      description:
        "Cluster mode: Helm storage to read: secrets, configmaps or both (default both).",
    },
    "include-failed": {
      type: "boolean",
      description: "Cluster mode: also check a release's newest revision when it failed.",
    },
    timeout: {
      type: "string",
      valueName: "SECONDS",
      description:
        "Cluster mode: give up (exit 1) when the scan has not completed by then (default 300).",
    },
    "target-version": {
      type: "string",
      valueName: "vX.Y[.Z]",
      description:
        "Kubernetes version to check against (default: files mode, the newest version the table " +
        "covers; cluster mode, the minor after the cluster's own version).",
    },
    "extra-rows": {
      type: "string",
      valueName: "FILE",
      description: "YAML or JSON file of extra deprecation rows, merged over the built-in table.",
    },
    "component-version": {
      type: "string",
      valueName: "NAME=vX.Y.Z",
      multiple: true,
      description:
        "Version of a component (cert-manager, istio, ...) whose CRD APIs are judged at it; " +
        "a component without one is judged at its newest release.",
    },
    format: {
      type: "string",
      short: "o",
      valueName: "FORMAT",
      description: `Report format: ${REPORT_FORMATS.join(", ")}.`,
      default: "table",
    },
  },
  exitCodes: [
    [0, "No deprecated or removed API found."],
    [
      1,
      "Error: bad usage, missing path, unreadable extra rows, target beyond the table, or nothing could be checked.",
    ],
    [2, "Deprecated APIs found, none removed at the target."],
    [3, "At least one API is removed at the target."],
  ],
  notes: () => [
    `The built-in deprecation table covers Kubernetes up to ${formatCoverage(builtinTable())}; a newer target is an error.`,
    "Unreadable documents, files and release payloads are listed as errors (stderr for --format csv) and do not change the exit code unless nothing could be checked (no object found in any input, or not one release payload of the cluster could be decoded: exit 1).",
  ],
  examples: [
    "kube-lookout helm check --context prod --target-version v1.32",
    "kube-lookout helm check --namespace team-a --namespace team-b --format json",
    "helm template my-app ./chart | kube-lookout helm check --files - --target-version v1.25",
    "kube-lookout helm check --files rendered/ --format json > report.json",
    "kube-lookout helm check --files out.yaml --component-version cert-manager=v1.15.0 --extra-rows my-crds.yaml",
  ],
  async run(values, io, positionals) {
    if (values["files"] === true) {
      for (const flag of [
        "kubeconfig",
        "context",
        "namespace",
        "drivers",
        "include-failed",
        "timeout",
      ]) {
        if (values[flag] !== undefined)
          throw new UsageError(`--${flag} is for the cluster mode, not --files`, NAME);
      }
      return await checkFiles(positionals, values, io);
    }
    if (positionals.length > 0) {
      throw new UsageError(`paths are checked with --files (got ${positionals.join(" ")})`, NAME);
    }
    const settings = await checkSettings(values, io);
    return await checkCluster(values, io, {
      table: settings.table,
      components: settings.components,
      ...(settings.targetGiven ? { target: formatKubeVersion(settings.target) } : {}),
    });
  },
};
