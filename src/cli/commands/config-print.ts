import {
  CONFIG_FILE_ENV,
  ConfigInvalidError,
  loadConfig,
  printConfig,
} from "../../config/index.ts";
import type { Command } from "../args.ts";
import { listFlag, stringFlag } from "../args.ts";
import { reportInvalid, setFlags } from "./config-shared.ts";

/** `kube-lookout config print`: the effective configuration, secrets masked. */
export const configPrintCommand: Command = {
  name: "print",
  short: "Print the effective configuration (file + environment + --set), secrets masked.",
  summary:
    "Prints the configuration the sidecar would run with, as YAML: defaults, then the file " +
    `(--config, else $${CONFIG_FILE_ENV}), then the KUBE_LOOKOUT_* variables, then --set ` +
    "flags. Durations are printed in seconds; secret-looking values are masked as ***.",
  usage: "kube-lookout config print [--config FILE] [--set KEY=VALUE]...",
  flags: {
    config: {
      type: "string",
      valueName: "FILE",
      description: `The YAML configuration file (default: $${CONFIG_FILE_ENV}, else none).`,
    },
    set: {
      type: "string",
      valueName: "KEY=VALUE",
      description: "Override one key (key path as in docs/config.md).",
      multiple: true,
    },
  },
  exitCodes: [
    [0, "Printed."],
    [1, "The file is unreadable or the configuration invalid (every problem is listed)."],
    [2, "Usage error: unknown flag, or a --set without '='."],
  ],
  examples: [
    "kube-lookout config print",
    "kube-lookout config print --config lookout.yaml",
    "KUBE_LOOKOUT_STORE_PATH=/data/x.db kube-lookout config print --config lookout.yaml",
    "kube-lookout config print --set watch='[{version: v1, resource: pods}]'",
  ],
  async run(values, io) {
    const flags = setFlags(listFlag(values, "set"));
    const given = stringFlag(values, "config");
    const fromEnv = process.env[CONFIG_FILE_ENV];
    const file = given ?? (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv);
    try {
      const config = await loadConfig({
        ...(file === undefined ? {} : { file }),
        env: process.env,
        flags,
      });
      io.stdout(printConfig(config));
      return 0;
    } catch (error: unknown) {
      if (error instanceof ConfigInvalidError) return reportInvalid(error, io);
      throw error;
    }
  },
};
