import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** Describes one flag of a command, for parsing and for `--help`. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Shown in help as `--name VALUE`. */
  readonly valueName?: string;
  readonly default?: string;
}

/** A command: its flags and what it does. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list of `kube-lookout --help`. */
  readonly short: string;
  /** The paragraph of the command's own `--help`. */
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  run(
    values: Readonly<Record<string, string | boolean | undefined>>,
    io: CommandIo,
  ): Promise<number>;
}

/** Where a command writes, and the signal that asks it to stop (SIGINT/SIGTERM in the CLI). */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly signal: AbortSignal;
}

/** Parses `args` against the command's flags; unknown flags and positionals are usage errors. */
export function parseFlags(
  command: Command,
  args: readonly string[],
): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: "string" | "boolean"; default?: string }> = {
    help: { type: "boolean" },
  };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] =
      spec.default === undefined ? { type: spec.type } : { type: spec.type, default: spec.default };
  }
  try {
    const { values } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message, command.name, { cause: error });
  }
}

/**
 * Reads a flag as a whole number within [min, max]; undefined when the flag is absent.
 * Throws a {@link UsageError} naming the flag and the bad value otherwise.
 */
export function intFlag(
  command: string,
  values: Readonly<Record<string, string | boolean | undefined>>,
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

/** Formats a command's help text from its spec. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, "", command.summary, "", "Options:"];
  const rows = Object.entries(command.flags).map(([name, spec]) => {
    const left = spec.type === "string" ? `--${name} ${spec.valueName ?? "VALUE"}` : `--${name}`;
    const def = spec.default === undefined ? "" : ` (default: ${spec.default})`;
    return [left, spec.description + def] as const;
  });
  rows.push(["--help", "Show this help."]);
  const width = Math.max(...rows.map(([left]) => left.length));
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}  ${right}`);
  return `${lines.join("\n")}\n`;
}
