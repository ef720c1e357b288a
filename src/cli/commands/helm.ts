import type { CommandGroup } from "../args.ts";
import { helmCheckCommand } from "./helm-check.ts";

/**
 * `kube-lookout helm`: the Helm commands. A missing or unknown subcommand exits 1, not 2, since
 * 2 means "deprecated APIs found" to `helm check` callers.
 */
export const helmGroup: CommandGroup = {
  name: "helm",
  short: "Helm deprecation checks: 'helm check' for a cluster's releases or rendered manifests.",
  summary:
    "Check Helm releases and rendered charts for Kubernetes APIs that are deprecated or removed.",
  usageExitCode: 1,
  subcommands: [helmCheckCommand],
};
