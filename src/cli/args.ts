import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** Describes one flag of a command, for parsing and for `--help`. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Shown in help as `--name VALUE`. */
  readonly valueName?: string;
  /** A one-letter alias (`o` for `-o`), as kubectl has. */
  readonly short?: string;
  readonly default?: string;
  /** The flag may be given more than once; its value is then a list of strings. */
  readonly multiple?: boolean;
}

/** A flag's parsed value: a list for `multiple` flags, undefined when absent without default. */
export type FlagValue = string | boolean | readonly string[] | undefined;

/** The parsed flags of one command line, by flag name (without the dashes). */
export type FlagValues = Readonly<Record<string, FlagValue>>;

/** The positional arguments a command accepts, for parsing and for `--help`. */
export interface PositionalSpec {
  /** Shown in usage and help, e.g. `PATH...`. */
  readonly name: string;
  readonly description: string;
}

/** A command: its flags and what it does. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list of `kube-lookout --help` (or of its group's help). */
  readonly short: string;
  /** The paragraph of the command's own `--help`. */
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Positional arguments; without this, any positional is a usage error. */
  readonly positionals?: PositionalSpec;
  /** Exit code of a usage error (bad flag, bad value); default 2. */
  readonly usageExitCode?: number;
  /** Exit codes and their meaning, listed in `--help`. */
  readonly exitCodes?: readonly (readonly [number, string])[];
  /** Example command lines, listed in `--help`. */
  readonly examples?: readonly string[];
  /** Extra help lines computed when help is shown (e.g. the table's coverage). */
  readonly notes?: () => readonly string[];
  run(values: FlagValues, io: CommandIo, positionals: readonly string[]): Promise<number>;
}

/** A command that only groups subcommands (`kube-lookout helm check`). */
export interface CommandGroup {
  readonly name: string;
  readonly short: string;
  readonly summary: string;
  /** Exit code of a missing or unknown subcommand; default 2. */
  readonly usageExitCode?: number;
  readonly subcommands: readonly Command[];
}

/** Where a command reads and writes, and the signal that asks it to stop (SIGINT/SIGTERM). */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly signal: AbortSignal;
  /** Standard input, for commands that read `-`. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  readonly stderrIsTTY: boolean;
}

/** True when `entry` groups subcommands rather than running itself. */
export function isCommandGroup(entry: Command | CommandGroup): entry is CommandGroup {
  return "subcommands" in entry;
}

/** The flags and positionals of one command line. */
export interface ParsedArgs {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
}

/**
 * Parses `args` against the command's flags and positionals. Unknown flags, a missing flag
 * value, and positionals of a command without {@link Command.positionals} throw a
 * {@link UsageError} naming the command (`commandName`, e.g. `helm check`).
 */
export function parseFlags(
  command: Command,
  args: readonly string[],
  commandName: string = command.name,
): ParsedArgs {
  const options: Record<
    string,
    { type: "string" | "boolean"; default?: string; multiple?: boolean; short?: string }
  > = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = {
      type: spec.type,
      ...(spec.default === undefined ? {} : { default: spec.default }),
      ...(spec.multiple === true ? { multiple: true } : {}),
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: command.positionals !== undefined,
    });
    const out: Record<string, FlagValue> = {};
    for (const [name, value] of Object.entries(values)) {
      out[name] = Array.isArray(value) ? value.map(String) : value;
    }
    return { values: out, positionals };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message, commandName, { cause: error });
  }
}

/**
 * Reads a flag as a whole number within [min, max]; undefined when the flag is absent.
 * Throws a {@link UsageError} naming the flag and the bad value otherwise.
 */
export function intFlag(
  command: string,
  values: FlagValues,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw);
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}, got "${text}"`,
      command,
    );
  }
  return value;
}

/** Reads a string flag; undefined when absent. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === "string" ? raw : undefined;
}

/** Reads a repeatable flag as a list; empty when absent. */
export function listFlag(values: FlagValues, name: string): readonly string[] {
  const raw = values[name];
  if (raw === undefined || typeof raw === "boolean") return [];
  return typeof raw === "string" ? [raw] : raw;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** Formats a command's help text from its spec. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, "", command.summary, ""];
  if (command.positionals !== undefined) {
    lines.push(
      "Arguments:",
      ...table([[command.positionals.name, command.positionals.description]]),
    );
    lines.push("");
  }
  lines.push("Options:");
  const rows: (readonly [string, string])[] = Object.entries(command.flags).map(([name, spec]) => {
    const long = spec.type === "string" ? `--${name} ${spec.valueName ?? "VALUE"}` : `--${name}`;
    const left = spec.short === undefined ? long : `-${spec.short}, ${long}`;
    const def = spec.default === undefined ? "" : ` (default: ${spec.default})`;
    const repeat = spec.multiple === true ? " Repeatable." : "";
    return [left, spec.description + def + repeat] as const;
  });
  rows.push(["-h, --help", "Show this help."]);
  lines.push(...table(rows));
  if (command.exitCodes !== undefined) {
    lines.push("", "Exit codes:", ...table(command.exitCodes.map(([c, m]) => [String(c), m])));
  }
  const notes = command.notes?.() ?? [];
  if (notes.length > 0) lines.push("", ...notes);
  if (command.examples !== undefined) {
    lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Formats a command group's help: its subcommands. */
export function groupHelp(group: CommandGroup): string {
  return [
    `Usage: kube-lookout ${group.name} <command> [options]`,
    "",
    group.summary,
    "",
    "Commands:",
    ...table(group.subcommands.map((c) => [c.name, c.short])),
    "",
    `Run 'kube-lookout ${group.name} <command> --help' for a command's options.`,
    "",
  ].join("\n");
}
