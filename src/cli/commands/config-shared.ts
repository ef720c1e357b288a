/** What `config check` and `config print` share: `--set` parsing and problem reporting. */
import { ConfigInvalidError, formatProblem, parseSetFlags } from "../../config/index.ts";
import type { CommandIo } from "../args.ts";
import { UsageError } from "../errors.ts";

/** `--set KEY=VALUE` arguments as a flags map; a malformed one is a usage error. */
export function setFlags(args: readonly string[]): Record<string, string> {
  try {
    return parseSetFlags(args);
  } catch (error: unknown) {
    if (error instanceof ConfigInvalidError) {
      const bad = error.problems.map((p) => `"${p.path}"`).join(", ");
      throw new UsageError(`--set expects KEY=VALUE, got ${bad}`, undefined, { cause: error });
    }
    throw error;
  }
}

/** Writes every problem of a {@link ConfigInvalidError}, one per line, to stderr. */
export function reportInvalid(error: ConfigInvalidError, io: CommandIo): number {
  const n = error.problems.length;
  io.stderr(`${error.file ?? "configuration"}: ${n} problem${n === 1 ? "" : "s"}\n`);
  for (const p of error.problems) io.stderr(`${formatProblem(p, error.file)}\n`);
  return 1;
}
