/**
 * Typed errors of the NATS plumbing (subjects, the connection, the stream, the subscriber
 * helper). Callers match on `code`, never on message text.
 */
import { maskUrlCredentials } from "../logging/index.ts";

/** A subject, subject token or filter part cannot be built or parsed. */
export class EventSubjectError extends Error {
  override readonly name = "EventSubjectError";
  readonly code = "LOOKOUT_EVENTS_INVALID_SUBJECT";
  /** What was rejected, e.g. `prefix`, `token`, `name`, `types`. */
  readonly field: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(field: string, value: unknown, expected: string, options?: ErrorOptions) {
    super(`invalid ${field} ${describe(value)}: ${expected}`, options);
    this.field = field;
    this.value = value;
  }
}

/** A {@link NatsLink} option has a value it cannot work with. Thrown by the constructor. */
export class NatsOptionError extends Error {
  override readonly name = "NatsOptionError";
  readonly code = "LOOKOUT_EVENTS_NATS_INVALID_OPTION";
  /** The option's name, e.g. `servers[0]`. */
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`invalid NATS option ${option}=${describe(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/** The link was closed while a caller waited for a connection. */
export class NatsLinkClosedError extends Error {
  override readonly name = "NatsLinkClosedError";
  readonly code = "LOOKOUT_EVENTS_NATS_CLOSED";
  constructor() {
    super("the NATS link is closed");
  }
}

/** A stream spec handed to `ensureStream` is invalid. Nothing was sent to the server. */
export class StreamSpecError extends Error {
  override readonly name = "StreamSpecError";
  readonly code = "LOOKOUT_EVENTS_STREAM_INVALID_SPEC";
  readonly stream: string;
  /** The spec field, e.g. `duplicateWindowMs`. */
  readonly field: string;
  readonly value: unknown;
  constructor(stream: string, field: string, value: unknown, expected: string) {
    super(
      `invalid spec of stream ${JSON.stringify(stream)}: ${field}=${describe(value)}: ${expected}`,
    );
    this.stream = stream;
    this.field = field;
    this.value = value;
  }
}

/** The existing stream differs in a way that cannot be (or was not) updated. */
export class StreamConflictError extends Error {
  override readonly name = "StreamConflictError";
  readonly code = "LOOKOUT_EVENTS_STREAM_CONFLICT";
  readonly stream: string;
  /** The first conflicting field in stream-config terms, e.g. `storage`, `subjects`. */
  readonly field: string;
  /** Every field that differed from the spec. */
  readonly fields: readonly string[];
  constructor(stream: string, fields: readonly string[], reason: string, options?: ErrorOptions) {
    super(
      `stream ${JSON.stringify(stream)} cannot be changed (${fields.join(", ")}): ${reason}`,
      options,
    );
    this.stream = stream;
    this.field = fields[0] ?? "";
    this.fields = fields;
  }
}

/** A JetStream API request about a stream failed (JetStream off, no permission, timeout). */
export class StreamRequestError extends Error {
  override readonly name = "StreamRequestError";
  readonly code = "LOOKOUT_EVENTS_STREAM_FAILED";
  readonly stream: string;
  /** `info`, `create`, `update`, `consumer`. */
  readonly operation: string;
  constructor(stream: string, operation: string, cause: unknown) {
    super(`stream ${JSON.stringify(stream)}: ${operation} failed: ${messageOf(cause)}`, { cause });
    this.stream = stream;
    this.operation = operation;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(maskUrlCredentials(value));
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** The message of an error or the string of anything else. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
