/**
 * Typed errors of the telemetry setup. Callers match on `code`, never on message text.
 */

/**
 * A telemetry option, or a standard `OTEL_*` / downward-API environment variable, has a value
 * the setup cannot work with. Thrown by {@link createTelemetry} before anything starts.
 */
export class InvalidTelemetryOptionError extends Error {
  override readonly name = "InvalidTelemetryOptionError";
  readonly code = "LOOKOUT_TELEMETRY_INVALID_OPTION";
  /** The option's name (`cardinalityLimit`, `otlp.intervalMs`) or the environment variable's. */
  readonly option: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string, cause?: unknown) {
    super(
      `invalid telemetry option ${option}=${describe(value)}: expected ${expected}`,
      cause === undefined ? undefined : { cause },
    );
    this.option = option;
    this.value = value;
  }
}

/** The telemetry was shut down: a producer added or a scrape served afterwards. */
export class TelemetryClosedError extends Error {
  override readonly name = "TelemetryClosedError";
  readonly code = "LOOKOUT_TELEMETRY_CLOSED";
  constructor(message = "telemetry is shut down") {
    super(message);
  }
}

/** A scrape's collection failed as a whole (the reader rejected); answered with HTTP 500. */
export class TelemetryCollectError extends Error {
  override readonly name = "TelemetryCollectError";
  readonly code = "LOOKOUT_TELEMETRY_COLLECT_FAILED";
  constructor(cause: unknown) {
    super("metrics collection failed", { cause });
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null)
    return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
