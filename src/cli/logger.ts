/**
 * The CLI's logger: pino writing JSON lines (`{"level":"info","time":"…","msg":"…",…}`) through
 * the command's stderr, behind the library's {@link Logger} seam (the library never imports
 * pino). Errors in fields are serialized by pino's `err` serializer (type, message, stack, code).
 * Credentials in URLs (`nats://u:p@h`, a NATS token `nats://t@h`) are hidden in every line.
 */
import { pino, stdSerializers, stdTimeFunctions } from "pino";
import { maskUrlCredentials, type Logger, type LogLevel } from "../logging/index.ts";

/** A {@link Logger} on pino at `level`, writing each line with `write` (default: stderr). */
export function cliLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => void process.stderr.write(line),
): Logger {
  const log = pino(
    {
      level,
      base: null,
      messageKey: "msg",
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
    },
    { write: (line: string) => write(maskUrlCredentials(line)) },
  );
  const at =
    (lvl: LogLevel) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      if (fields === undefined) log[lvl](message);
      else log[lvl](fields, message);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
