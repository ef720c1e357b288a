/**
 * Typed errors of the informer. Callers match on `code`, never on message text.
 */

/** An informer option has a value it cannot work with. Thrown by constructors, before any I/O. */
export class InvalidInformerOptionError extends Error {
  override readonly name = "InvalidInformerOptionError";
  readonly code = "LOOKOUT_INFORMER_INVALID_OPTION";
  /** The option's name, e.g. `pageSize`. */
  readonly option: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`invalid informer option ${option}=${describe(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/** The informer (or factory) was closed: `start()` after `close()`, or `waitForSync()` cut short. */
export class InformerClosedError extends Error {
  override readonly name = "InformerClosedError";
  readonly code = "LOOKOUT_INFORMER_CLOSED";
  constructor(message = "informer is closed") {
    super(message);
  }
}

/** An event handler threw or rejected. Reported to the error sink; the handler's queue goes on. */
export class HandlerFailedError extends Error {
  override readonly name = "HandlerFailedError";
  readonly code = "LOOKOUT_HANDLER_FAILED";
  /** The handler's name (from its registration options, or `handler-N`). */
  readonly handler: string;
  /** Which callback failed. */
  readonly callback: "onAdd" | "onUpdate" | "onDelete";
  constructor(handler: string, callback: "onAdd" | "onUpdate" | "onDelete", cause: unknown) {
    super(`event handler ${handler} failed in ${callback}`, { cause });
    this.handler = handler;
    this.callback = callback;
  }
}

/** The watch stream said its resource version is too old (ERROR event 410 Expired/Gone). */
export class WatchExpiredError extends Error {
  override readonly name = "WatchExpiredError";
  readonly code = "LOOKOUT_WATCH_EXPIRED";
  readonly resourceVersion: string;
  constructor(resourceVersion: string, message: string | undefined) {
    super(`watch from resourceVersion "${resourceVersion}" expired: ${message ?? "410"}`);
    this.resourceVersion = resourceVersion;
  }
}

/** The watch stream carried an ERROR event other than 410. */
export class WatchErrorEventError extends Error {
  override readonly name = "WatchErrorEventError";
  readonly code = "LOOKOUT_INFORMER_WATCH_ERROR";
  /** HTTP-like status code of the Status object. */
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string | undefined) {
    super(`watch ERROR event ${status} ${reason ?? ""}: ${message ?? ""}`);
    this.status = status;
    this.reason = reason;
  }
}

/** A watch closed in under a second without a single event: treated as a failure (backoff). */
export class VeryShortWatchError extends Error {
  override readonly name = "VeryShortWatchError";
  readonly code = "LOOKOUT_INFORMER_VERY_SHORT_WATCH";
  readonly durationMs: number;
  constructor(durationMs: number) {
    super(`very short watch: closed after ${durationMs} ms with no events`);
    this.durationMs = durationMs;
  }
}

/** The server does not serve streaming lists (4xx, or no initial-events-end bookmark). */
export class WatchListUnsupportedError extends Error {
  override readonly name = "WatchListUnsupportedError";
  readonly code = "LOOKOUT_INFORMER_WATCHLIST_UNSUPPORTED";
  /**
   * True when the server said so (a 4xx answer, a bookmark without the end annotation); false
   * when the stream only ended early, which a dropped connection does too.
   */
  readonly definite: boolean;
  constructor(message: string, cause?: unknown, definite = true) {
    super(message, cause === undefined ? undefined : { cause });
    this.definite = definite;
  }
}

/**
 * The user's `transform` threw (or returned something that is not a Kubernetes object) for one
 * arriving object. Reported to the error sink once per arrival; the object is skipped.
 */
export class TransformFailedError extends Error {
  override readonly name = "TransformFailedError";
  readonly code = "LOOKOUT_INFORMER_TRANSFORM_FAILED";
  /** The object's cache key (`namespace/name`, or `name`). */
  readonly key: string;
  constructor(key: string, cause: unknown) {
    super(`transform failed for ${key}`, { cause });
    this.key = key;
  }
}

/**
 * An index function threw (or returned something other than an array of strings) for one
 * object. Reported to the error sink; the object is stored without entries in that index.
 */
export class IndexFailedError extends Error {
  override readonly name = "IndexFailedError";
  readonly code = "LOOKOUT_INFORMER_INDEX_FAILED";
  /** The index's name. */
  readonly index: string;
  /** The object's cache key. */
  readonly key: string;
  constructor(index: string, key: string, cause: unknown) {
    super(`index ${index} failed for ${key}`, { cause });
    this.index = index;
    this.key = key;
  }
}

/**
 * A watch event the informer cannot use as sent, e.g. a BOOKMARK or an object without a
 * resourceVersion. Reported to the error sink; the bad part is ignored (an event's object is
 * still applied, but its empty resourceVersion is not recorded as the last one seen).
 */
export class BadWatchEventError extends Error {
  override readonly name = "BadWatchEventError";
  readonly code = "LOOKOUT_INFORMER_BAD_EVENT";
  /** The event's type (ADDED, MODIFIED, DELETED, BOOKMARK). */
  readonly eventType: string;
  constructor(eventType: string, problem: string) {
    super(`bad ${eventType} watch event: ${problem}`);
    this.eventType = eventType;
  }
}

function describe(value: unknown): string {
  if (typeof value === "function") return "[function]";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
