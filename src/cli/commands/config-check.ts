import { ConfigInvalidError, loadConfig, type LookoutConfig } from "../../config/index.ts";
import { maskUrlCredentials } from "../../logging/index.ts";
import type { Command } from "../args.ts";
import { listFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { reportInvalid, setFlags } from "./config-shared.ts";

function n(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function summary(c: LookoutConfig): string {
  const events = c.events.enabled
    ? `events on (${c.events.nats.servers.map(maskUrlCredentials).join(", ")})`
    : "events off";
  return [
    `cluster ${c.cluster.name}`,
    n(c.watch.length, "watched resource"),
    `helm ${c.helm.enabled ? "on" : "off"}`,
    events,
    `api ${c.api.host}:${c.api.port}`,
    n(c.plugins.length, "plugin"),
    `leader election ${c.leaderElection.enabled ? "on" : "off"}`,
  ].join(", ");
}

/** `kube-lookout config check FILE`: validates one configuration file. */
export const configCheckCommand: Command = {
  name: "check",
  short: "Validate a configuration file; exit 1 listing every problem.",
  summary:
    "Validates FILE against the configuration schema and prints 'ok' with a one-line summary, " +
    "or every problem, one per line (file:line:column: key: value: what is allowed). The " +
    "environment is ignored unless --with-env is given, so a check in CI does not depend on " +
    "the runner's variables.",
  usage: "kube-lookout config check FILE [--with-env] [--set KEY=VALUE]...",
  positionals: { name: "FILE", description: "The YAML configuration file." },
  flags: {
    "with-env": {
      type: "boolean",
      description: "Apply the KUBE_LOOKOUT_* environment variables on top of the file.",
    },
    set: {
      type: "string",
      valueName: "KEY=VALUE",
      description: "Override one key (key path as in docs/config.md).",
      multiple: true,
    },
  },
  exitCodes: [
    [0, "The configuration is valid."],
    [1, "The file is unreadable or invalid (every problem is listed)."],
    [2, "Usage error: no FILE, more than one, or an unknown flag."],
  ],
  examples: [
    "kube-lookout config check lookout.yaml",
    "kube-lookout config check lookout.yaml --with-env",
    "kube-lookout config check lookout.yaml --set events.enabled=true",
  ],
  async run(values, io, positionals) {
    const [file, ...extra] = positionals;
    if (file === undefined) throw new UsageError("missing FILE", "config check");
    if (extra.length > 0)
      throw new UsageError(`one FILE expected, got ${positionals.length}`, "config check");
    try {
      const config = await loadConfig({
        file,
        env: values["with-env"] === true ? process.env : {},
        flags: setFlags(listFlag(values, "set")),
      });
      io.stdout(`ok: ${file}: ${summary(config)}\n`);
      return 0;
    } catch (error: unknown) {
      if (error instanceof ConfigInvalidError) return reportInvalid(error, io);
      throw error;
    }
  },
};
