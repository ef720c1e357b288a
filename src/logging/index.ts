/**
 * The one logging seam of kube-lookout. Library code logs only through a {@link Logger} it is
 * handed; the CLI decides where lines go. Fields are structured, never interpolated into text.
 */
import { maskUrlCredentials } from "./mask-url.ts";

export { MASKED, isSecretParamName, maskUrlCredentials } from "./mask-url.ts";
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A logger that discards everything: the default for embedded use and tests. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
/** A log level name. */
export type LogLevel = keyof typeof LEVELS;

/**
 * A logger writing one JSON object per line (`{"time","level","msg",...fields}`) to `write`
 * (default: stderr), dropping lines below `level`. Credentials in URLs (`nats://u:p@h`, a NATS
 * token `nats://t@h`) are hidden in every string of the line, error messages included.
 */
export function jsonLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const min = LEVELS[level];
  const emit =
    (lvl: LogLevel) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      if (LEVELS[lvl] < min) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...fields }, errorReplacer)}\n`,
      );
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = "code" in value ? value.code : undefined;
    return {
      name: value.name,
      message: maskUrlCredentials(value.message),
      ...(code === undefined ? {} : { code }),
    };
  }
  return typeof value === "string" ? maskUrlCredentials(value) : value;
}
