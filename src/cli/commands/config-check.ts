import { ConfigInvalidError, loadConfig, type LookoutConfig } from "../../config/index.ts";
import { maskUrlCredentials } from "../../logging/index.ts";
import { checkPlugin } from "../../plugins/index.ts";
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
    "the runner's variables. Each plugin is loaded (a module's top-level code runs) and its " +
    "config checked by its schema, as `run` would, unless --skip-plugins is given.",
  usage: "kube-lookout config check FILE [--with-env] [--skip-plugins] [--set KEY=VALUE]...",
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
    "skip-plugins": {
      type: "boolean",
      description: "Do not load the plugins (check only the entries' shape).",
    },
  },
  exitCodes: [
    [0, "The configuration is valid."],
    [1, "The file is unreadable or invalid, or a plugin does not load or refuses its config."],
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
      if (values["skip-plugins"] !== true) {
        const problems = await pluginProblems(config);
        if (problems.length > 0) {
          io.stderr(`${file}: ${n(problems.length, "plugin problem")}\n`);
          for (const p of problems) io.stderr(`${p}\n`);
          return 1;
        }
      }
      io.stdout(`ok: ${file}: ${summary(config)}\n`);
      return 0;
    } catch (error: unknown) {
      if (error instanceof ConfigInvalidError) return reportInvalid(error, io);
      throw error;
    }
  },
};

/** Loads every plugin entry and runs its config schema (at once); one line per failure. */
async function pluginProblems(config: LookoutConfig): Promise<string[]> {
  const settled = await Promise.allSettled(
    config.plugins.map((p) => checkPlugin(p.name ?? p.module ?? "", p.config)),
  );
  return settled.flatMap((s, i) => {
    if (s.status === "fulfilled") return [];
    const p = config.plugins[i]!;
    const err: unknown = s.reason;
    const code = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
    const cause: unknown = err instanceof Error ? err.cause : undefined;
    const message =
      (err instanceof Error ? err.message : String(err)) +
      (code === "LOOKOUT_PLUGIN_LOAD_FAILED" && cause instanceof Error ? `: ${cause.message}` : "");
    return [`plugins[${i}] (${p.name ?? p.module ?? "?"}): ${String(code ?? "error")}: ${message}`];
  });
}
