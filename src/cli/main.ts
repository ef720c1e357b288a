/**
 * The kube-lookout command line. This is the only module that owns the process: it installs
 * the SIGINT/SIGTERM handlers and turns results into exit codes. `main` resolves to the exit
 * code instead of exiting, so tests can run it in-process.
 */
import { readFileSync } from "node:fs";
import { commandHelp, groupHelp, isCommandGroup, parseFlags } from "./args.ts";
import type { Command, CommandGroup, CommandIo } from "./args.ts";
import { configGroup } from "./commands/config.ts";
import { demoCommand } from "./commands/demo.ts";
import { eventsGroup } from "./commands/events.ts";
import { getCommand } from "./commands/get.ts";
import { helmGroup } from "./commands/helm.ts";
import { runCommand as runSidecar } from "./commands/run.ts";
import { simCommand } from "./commands/sim.ts";
import { UsageError } from "./errors.ts";
import { resolvePackageToSources } from "./self-resolve.ts";

// Plugins loaded by `module:` import `kube-lookout/plugins`: from sources, that is src/.
resolvePackageToSources();

const COMMANDS: readonly (Command | CommandGroup)[] = [
  runSidecar,
  demoCommand,
  simCommand,
  helmGroup,
  eventsGroup,
  getCommand,
  configGroup,
];

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
    "list/watch protocol, Helm deprecation checks, and a simulated API server.",
    "",
    "Commands:",
    ...rows,
    `  ${"version".padEnd(width)}  Print the version.`,
    `  ${"help".padEnd(width)}  Show this help, or a command's: kube-lookout help <command> [<subcommand>].`,
    "",
    "Run 'kube-lookout <command> --help' for a command's options.",
    "",
  ].join("\n");
}

type Write = (text: string) => void;

const VERSION_HELP = "Usage: kube-lookout version\n\nPrints the version of kube-lookout.\n";
const HELP_HELP =
  "Usage: kube-lookout help [<command> [<subcommand>]]\n\n" +
  "Shows the list of commands, or a command's help (as `kube-lookout <command> --help`).\n";

/** `help [command [subcommand]]`: the help text, or undefined for an unknown topic. */
function helpFor(topic: readonly string[]): string | undefined {
  const [name, sub] = topic;
  if (name === undefined) return topHelp();
  if (name === "version" || name === "help") {
    if (sub !== undefined) return undefined;
    return name === "version" ? VERSION_HELP : HELP_HELP;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) return undefined;
  if (!isCommandGroup(entry)) return sub === undefined ? commandHelp(entry) : undefined;
  if (sub === undefined) return groupHelp(entry);
  const command = entry.subcommands.find((c) => c.name === sub);
  return command === undefined ? undefined : commandHelp(command);
}

function isHelpWord(arg: string | undefined): boolean {
  return arg === "help" || arg === "--help" || arg === "-h";
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<CommandIo> = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const [name, ...rest] = argv;
  if (name === undefined || isHelpWord(name)) {
    const topic = name === "help" ? rest : [];
    const text = helpFor(topic);
    if (text === undefined) {
      stderr(`kube-lookout: unknown command "${topic.join(" ")}"\n\n${topHelp()}`);
      return 2;
    }
    stdout(text);
    return 0;
  }
  if (name === "version" || name === "--version") {
    if (rest.length > 0 && isHelpWord(rest[0])) {
      stdout(VERSION_HELP);
      return 0;
    }
    if (rest.length > 0) {
      stderr(`kube-lookout version: takes no arguments\n\n${VERSION_HELP}`);
      return 2;
    }
    stdout(`kube-lookout ${version()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    stderr(`kube-lookout: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  const full = { stdout, stderr, stdin: io.stdin, stderrIsTTY: io.stderrIsTTY, signal: io.signal };
  if (!isCommandGroup(entry)) return await runCommand(entry, entry.name, rest, full);
  const [sub, ...subRest] = rest;
  if (isHelpWord(sub)) {
    // `helm help check` is `help helm check`, and an unknown topic is refused the same way.
    const topic = sub === "help" ? subRest.slice(0, 1) : [];
    const text = helpFor([name, ...topic]);
    if (text === undefined) {
      stderr(
        `kube-lookout ${entry.name}: unknown command "${topic.join(" ")}"\n\n${groupHelp(entry)}`,
      );
      return 2;
    }
    stdout(text);
    return 0;
  }
  const command = entry.subcommands.find((c) => c.name === sub);
  if (command === undefined) {
    const what = sub === undefined ? "missing command" : `unknown command "${sub}"`;
    stderr(`kube-lookout ${entry.name}: ${what}\n\n${groupHelp(entry)}`);
    return entry.usageExitCode ?? 2;
  }
  return await runCommand(command, `${entry.name} ${command.name}`, subRest, full);
}

async function runCommand(
  command: Command,
  fullName: string,
  args: readonly string[],
  io: {
    stdout: Write;
    stderr: Write;
    stdin: CommandIo["stdin"] | undefined;
    stderrIsTTY: boolean | undefined;
    signal: AbortSignal | undefined;
  },
): Promise<number> {
  const { stdout, stderr } = io;
  let controller: AbortController | undefined;
  const onSignal = (): void => controller?.abort(new Error("interrupted"));
  try {
    const { values, positionals } = parseFlags(command, args, fullName);
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
    const commandIo: CommandIo = {
      stdout,
      stderr,
      signal,
      // A getter: touching process.stdin opens it, so only commands that read it do.
      get stdin() {
        return io.stdin ?? process.stdin;
      },
      stderrIsTTY: io.stderrIsTTY ?? process.stderr.isTTY,
    };
    return await command.run(values, commandIo, positionals);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      stderr(`kube-lookout ${fullName}: ${error.message}\n\n${commandHelp(command)}`);
      return command.usageExitCode ?? 2;
    }
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    stderr(`kube-lookout ${fullName}: ${message}${typeof code === "string" ? ` (${code})` : ""}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Resolves once what was written to `stream` before has been handed to the system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableEnded || stream.destroyed) resolve();
    else stream.write("", () => resolve());
  });
}

/**
 * Ends the process with `code` once what was written to stdout and stderr has been handed to the
 * system: the command is done, and a timer or socket left open by a plugin module (loaded by
 * `config check`, or by `run`) must not keep the process alive.
 */
export async function exitWhenDone(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

if (import.meta.main) {
  await exitWhenDone(await main(process.argv.slice(2)));
}
