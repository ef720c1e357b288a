/**
 * The kube-lookout command line. This is the only module that owns the process: it installs
 * the SIGINT/SIGTERM handlers and turns results into exit codes. `main` resolves to the exit
 * code instead of exiting, so tests can run it in-process.
 */
import { readFileSync } from "node:fs";
import { commandHelp, parseFlags } from "./args.ts";
import type { Command, CommandIo } from "./args.ts";
import { demoCommand } from "./commands/demo.ts";
import { simCommand } from "./commands/sim.ts";
import { UsageError } from "./errors.ts";

const COMMANDS: readonly Command[] = [demoCommand, simCommand];

function version(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  );
  return typeof pkg === "object" && pkg !== null && "version" in pkg
    ? String(pkg.version)
    : "unknown";
}

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), "version".length);
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.short}`);
  return [
    "Usage: kube-lookout <command> [options]",
    "",
    "A Kubernetes sidecar and library: a client-go-grade informer over the API server's",
    "list/watch protocol, and a simulated API server to run it against.",
    "",
    "Commands:",
    ...rows,
    `  ${"version".padEnd(width)}  Print the version.`,
    `  ${"help".padEnd(width)}  Show this help, or a command's: kube-lookout help <command>.`,
    "",
    "Run 'kube-lookout <command> --help' for a command's options.",
    "",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<CommandIo> = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && command === undefined) {
      stderr(`kube-lookout: unknown command "${topic}"\n\n${topHelp()}`);
      return 2;
    }
    stdout(command === undefined ? topHelp() : commandHelp(command));
    return 0;
  }
  if (name === "version" || name === "--version") {
    stdout(`kube-lookout ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    stderr(`kube-lookout: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  let controller: AbortController | undefined;
  const onSignal = (): void => controller?.abort(new Error("interrupted"));
  try {
    const values = parseFlags(command, rest);
    if (values["help"] === true) {
      stdout(commandHelp(command));
      return 0;
    }
    controller = new AbortController();
    const signal =
      io.signal === undefined ? controller.signal : AbortSignal.any([io.signal, controller.signal]);
    if (io.signal === undefined) {
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    }
    return await command.run(values, { stdout, stderr, signal });
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      stderr(`kube-lookout ${command.name}: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    stderr(
      `kube-lookout ${command.name}: ${message}${typeof code === "string" ? ` (${code})` : ""}\n`,
    );
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
