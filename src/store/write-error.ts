/**
 * Turns what a failed write threw into the store's typed error: `SQLITE_FULL` (the size bound or
 * the disk) becomes {@link StoreFullError}, anything else {@link StoreWriteFailedError}; the
 * store's own typed errors pass through unchanged.
 */
import {
  StoreBadInputError,
  StoreClosedError,
  StoreFullError,
  StoreWriteFailedError,
} from "./errors.ts";

/** True when `err` (or its `cause`) is SQLite's `SQLITE_FULL`. */
export function isSqliteFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ("code" in e && e.code === "SQLITE_FULL") return true;
  }
  return false;
}

/** The error to throw for a failed `operation`. */
export function writeError(
  operation: string,
  err: unknown,
  maxSizeBytes: number | undefined,
): Error {
  if (
    err instanceof StoreBadInputError ||
    err instanceof StoreFullError ||
    err instanceof StoreClosedError
  ) {
    return err;
  }
  if (isSqliteFull(err)) return new StoreFullError(operation, maxSizeBytes, err);
  return new StoreWriteFailedError(operation, err);
}
