/**
 * Typed errors of the events capability. Callers and tests match on `code`, never on message
 * text. A flat list of classes.
 */

/** An option of an events function has a value it cannot work with. Thrown before any work. */
export class EventsInvalidOptionError extends Error {
  override readonly name = "EventsInvalidOptionError";
  readonly code = "LOOKOUT_EVENTS_INVALID_OPTION";
  /** The option's name, e.g. `dropFields[2]`. */
  readonly option: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`invalid events option ${option}=${describe(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/** A JSON Patch operation cannot be applied (missing path, bad index, bad pointer). */
export class EventsBadPatchError extends Error {
  override readonly name = "EventsBadPatchError";
  readonly code = "LOOKOUT_EVENTS_BAD_PATCH";
  /** The index of the failing operation in the patch. */
  readonly index: number;
  /** The failing operation's `path`. */
  readonly path: string;
  constructor(index: number, path: unknown, reason: string) {
    super(`JSON Patch operation ${index} (path ${describe(path)}): ${reason}`);
    this.index = index;
    this.path = typeof path === "string" ? path : String(path);
  }
}

/** A received message is not a kube-lookout CloudEvent (missing `ce-*` header, bad body). */
export class EventsBadMessageError extends Error {
  override readonly name = "EventsBadMessageError";
  readonly code = "LOOKOUT_EVENTS_BAD_MESSAGE";
  /** The missing or bad header's name, or `undefined` when the body is at fault. */
  readonly header: string | undefined;
  constructor(header: string | undefined, reason: string, options?: ErrorOptions) {
    super(`bad event message: ${reason}`, options);
    this.header = header;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}

/** The pipeline was closed (`LOOKOUT_EVENTS_CLOSED`): it takes no more resources. */
export class EventsClosedError extends Error {
  override readonly name = "EventsClosedError";
  readonly code = "LOOKOUT_EVENTS_CLOSED";
  constructor(what: string) {
    super(`the event pipeline is closed: cannot ${what}`);
  }
}
