/**
 * Typed errors of the SQLite store. Callers match on `code`, never on message text.
 */

/** A store option has a value it cannot work with. Thrown by `openStore` before any I/O. */
export class StoreInvalidOptionError extends Error {
  override readonly name = "StoreInvalidOptionError";
  readonly code = "LOOKOUT_STORE_INVALID_OPTION";
  /** The option's name, e.g. `busyTimeoutMs`. */
  readonly option: string;
  /** The rejected value as given. */
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`invalid store option ${option}=${describe(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/** `path` is `":memory:"` and `allowMemory` is not set: state would vanish on exit. */
export class StoreMemoryRefusedError extends Error {
  override readonly name = "StoreMemoryRefusedError";
  readonly code = "LOOKOUT_STORE_MEMORY_REFUSED";
  constructor() {
    super('store path ":memory:" keeps no state across restarts; pass allowMemory: true to use it');
  }
}

/** The file's schema version is newer than this code knows. The file is left untouched. */
export class StoreTooNewError extends Error {
  override readonly name = "StoreTooNewError";
  readonly code = "LOOKOUT_STORE_TOO_NEW";
  readonly path: string;
  /** The file's `PRAGMA user_version`. */
  readonly fileVersion: number;
  /** The newest schema version this code can migrate to. */
  readonly knownVersion: number;
  constructor(path: string, fileVersion: number, knownVersion: number) {
    super(
      `store ${path} has schema version ${fileVersion}, newer than ${knownVersion} known to this kube-lookout; it was left untouched`,
    );
    this.path = path;
    this.fileVersion = fileVersion;
    this.knownVersion = knownVersion;
  }
}

/** Another connection (in this or another process) holds the store's write lock. */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
  readonly code = "LOOKOUT_STORE_LOCKED";
  readonly path: string;
  /** How long `openStore` waited for the lock (the `busyTimeoutMs` option). */
  readonly busyTimeoutMs: number;
  constructor(path: string, busyTimeoutMs: number, options?: ErrorOptions) {
    super(
      `store ${path} is locked by another kube-lookout (waited ${busyTimeoutMs} ms); only one writer may open it`,
      options,
    );
    this.path = path;
    this.busyTimeoutMs = busyTimeoutMs;
  }
}

/** The file could not be opened or created (missing directory, permissions, I/O error). */
export class StoreOpenFailedError extends Error {
  override readonly name = "StoreOpenFailedError";
  readonly code = "LOOKOUT_STORE_OPEN_FAILED";
  readonly path: string;
  constructor(path: string, what: string, cause: unknown) {
    super(`cannot open store ${path}: ${what}: ${messageOf(cause)}`, { cause });
    this.path = path;
  }
}

/** A schema migration threw; its transaction was rolled back and the file keeps its version. */
export class StoreMigrationFailedError extends Error {
  override readonly name = "StoreMigrationFailedError";
  readonly code = "LOOKOUT_STORE_MIGRATION_FAILED";
  readonly path: string;
  /** The version the failed migration would have reached. */
  readonly version: number;
  constructor(path: string, version: number, description: string, cause: unknown) {
    super(
      `store ${path}: migration to version ${version} (${description}) failed: ${messageOf(cause)}`,
      { cause },
    );
    this.path = path;
    this.version = version;
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  readonly code = "LOOKOUT_STORE_CLOSED";
  constructor() {
    super("store is closed");
  }
}

/** Data handed to the store is inconsistent (e.g. a finding of another release). Nothing written. */
export class StoreBadInputError extends Error {
  override readonly name = "StoreBadInputError";
  readonly code = "LOOKOUT_STORE_BAD_INPUT";
  /** Where the bad value is, e.g. `upsert[3].findings[0].revision`. */
  readonly field: string;
  /** The rejected value. */
  readonly value: unknown;
  constructor(field: string, value: unknown, expected: string) {
    super(`bad store input ${field}=${describe(value)}: ${expected}`);
    this.field = field;
    this.value = value;
  }
}

/** SQLite rejected a write (constraint, type, I/O). The transaction was rolled back. */
export class StoreWriteFailedError extends Error {
  override readonly name = "StoreWriteFailedError";
  readonly code = "LOOKOUT_STORE_WRITE_FAILED";
  /** What was being written, e.g. `helm.apply`. */
  readonly operation: string;
  constructor(operation: string, cause: unknown) {
    super(`store ${operation} failed: ${messageOf(cause)}`, { cause });
    this.operation = operation;
  }
}

/**
 * SQLite reported `SQLITE_FULL`: the store reached its `maxSizeBytes` bound or the disk is full.
 * The write (and the transaction it was part of) was rolled back; the store stays usable: reads
 * work, and writes work again once space is freed (outbox rows acknowledged or dropped, the bound
 * raised, the volume grown).
 */
export class StoreFullError extends Error {
  override readonly name = "StoreFullError";
  readonly code = "LOOKOUT_STORE_FULL";
  /** What was being written, e.g. `outbox.append`. */
  readonly operation: string;
  /** The `maxSizeBytes` option in force, or undefined when none was set (the disk is full). */
  readonly maxSizeBytes: number | undefined;
  constructor(operation: string, maxSizeBytes: number | undefined, cause: unknown) {
    const bound =
      maxSizeBytes === undefined
        ? "the disk is full"
        : `the size bound maxSizeBytes=${maxSizeBytes} was reached or the disk is full`;
    super(
      `store ${operation} failed: ${bound}; the write was rolled back. Free space (let the outbox drain or drop its oldest rows, raise maxSizeBytes, grow the volume) and retry`,
      { cause },
    );
    this.operation = operation;
    this.maxSizeBytes = maxSizeBytes;
  }
}

/** `transaction(fn)` was given a function returning a promise; it was rolled back. */
export class StoreAsyncTransactionError extends Error {
  override readonly name = "StoreAsyncTransactionError";
  readonly code = "LOOKOUT_STORE_ASYNC_TRANSACTION";
  constructor() {
    super("store.transaction(fn): fn returned a promise; transactions are synchronous");
  }
}

/** `close()` was called inside `transaction(fn)`; the store stays open. */
export class StoreInTransactionError extends Error {
  override readonly name = "StoreInTransactionError";
  readonly code = "LOOKOUT_STORE_IN_TRANSACTION";
  constructor() {
    super("store.close() inside transaction(fn): close after the transaction returns");
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
