import type { CommandGroup } from "../args.ts";
import { configCheckCommand } from "./config-check.ts";
import { configPrintCommand } from "./config-print.ts";

/** `kube-lookout config`: check a configuration file, print the effective configuration. */
export const configGroup: CommandGroup = {
  name: "config",
  short: "The sidecar's configuration: 'config check FILE', 'config print'.",
  summary:
    "Check a configuration file, or print the configuration the sidecar would run with " +
    "(file, then KUBE_LOOKOUT_* variables, then --set flags; see docs/config.md).",
  subcommands: [configCheckCommand, configPrintCommand],
};
