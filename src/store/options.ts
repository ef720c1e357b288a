/**
 * Options of `openStore`, validated before any I/O.
 */
import type { MeterProvider } from "@opentelemetry/api";
import type { Logger } from "../logging/index.ts";
import { silentLogger } from "../logging/index.ts";
import { StoreInvalidOptionError, StoreMemoryRefusedError } from "./errors.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/** The `synchronous` pragma in WAL mode: see docs/store.md. */
export type StoreSynchronous = "FULL" | "NORMAL";

/** Options of {@link openStore}. */
export interface StoreOptions {
  /** The SQLite file. Its directory must exist. `":memory:"` only with `allowMemory`. */
  readonly path: string;
  /** Allow `path: ":memory:"` (tests, one-shot CLI runs); state is lost on close. */
  readonly allowMemory?: boolean;
  /**
   * `FULL` (default): a commit is on disk when `apply`/`set` returns. `NORMAL`: a commit may be
   * lost on power loss or OS crash (never on a process crash); the file stays consistent.
   */
  readonly synchronous?: StoreSynchronous;
  /** How long `openStore` (and any write) waits for another connection's lock; default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * A bound on the database file's size in bytes (`PRAGMA max_page_count`, rounded down to
   * whole pages; never below the file's size at open). A write that needs more throws
   * `LOOKOUT_STORE_FULL` and is rolled back, as on a full disk. Default: unbounded.
   */
  readonly maxSizeBytes?: number;
  /** Where the store logs (recovery, migrations); default silent. */
  readonly logger?: Logger;
  /** Clock seam, epoch ms: names the `.corrupt-<ms>` file, stamps `store_migrations`; default `Date.now`. */
  readonly now?: () => number;
  /**
   * Where the store's instruments are created (meter scope `kube-lookout/store`: size, size
   * limit, write transaction durations, snapshots per resource, errors; docs/metrics.md).
   * Default: the global MeterProvider of `@opentelemetry/api`. `close()` removes the callbacks.
   */
  readonly meterProvider?: MeterProvider;
}

/** The options with defaults applied. */
export interface ResolvedStoreOptions {
  readonly path: string;
  readonly memory: boolean;
  readonly synchronous: StoreSynchronous;
  readonly busyTimeoutMs: number;
  readonly maxSizeBytes: number | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  readonly meterProvider: MeterProvider | undefined;
}

/** The path that names an in-memory database. */
export const MEMORY_PATH = ":memory:";

/**
 * Validates and fills in defaults. Throws {@link StoreInvalidOptionError} for a bad value and
 * {@link StoreMemoryRefusedError} for `":memory:"` without `allowMemory`.
 */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  const { path } = options;
  if (typeof path !== "string" || path.trim() === "") {
    throw new StoreInvalidOptionError("path", path, "a non-empty file path");
  }
  const memory = path === MEMORY_PATH;
  if (memory && options.allowMemory !== true) throw new StoreMemoryRefusedError();
  const synchronous = options.synchronous ?? "FULL";
  if (synchronous !== "FULL" && synchronous !== "NORMAL") {
    throw new StoreInvalidOptionError("synchronous", synchronous, '"FULL" or "NORMAL"');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > MAX_TIMER_MS) {
    throw new StoreInvalidOptionError(
      "busyTimeoutMs",
      busyTimeoutMs,
      `an integer from 0 to ${MAX_TIMER_MS}`,
    );
  }
  const { maxSizeBytes } = options;
  if (maxSizeBytes !== undefined && (!Number.isSafeInteger(maxSizeBytes) || maxSizeBytes <= 0)) {
    throw new StoreInvalidOptionError("maxSizeBytes", maxSizeBytes, "a positive integer");
  }
  const { meterProvider } = options;
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== "object" ||
      meterProvider === null ||
      typeof meterProvider.getMeter !== "function")
  ) {
    throw new StoreInvalidOptionError("meterProvider", meterProvider, "a MeterProvider");
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new StoreInvalidOptionError("now", now, "a function");
  return {
    path,
    memory,
    synchronous,
    busyTimeoutMs,
    maxSizeBytes,
    logger: options.logger ?? silentLogger,
    now,
    meterProvider,
  };
}
