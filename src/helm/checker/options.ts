/**
 * Options of the Helm checker, their defaults and their validation.
 */
import { availableParallelism } from "node:os";
import type { MeterProvider } from "@opentelemetry/api";
import type { InformerOptions } from "../../informer/index.ts";
import { silentLogger, type Logger } from "../../logging/index.ts";
import type { DecodeLimits, ScanPool } from "../decode/index.ts";
import type { DeprecationTable, TargetConfig } from "../deprecations/index.ts";
import { builtinTable } from "../deprecations/index.ts";
import { InvalidHelmCheckerOptionError } from "./errors.ts";
import type { HelmApiClient } from "./payload-fetch.ts";
import type { HelmStateStore } from "./state-store.ts";
import type { StorageDriver } from "./storage-object.ts";
import { MAX_TIMER_MS } from "../../timers/index.ts";

/** Options of {@link HelmChecker}. */
export interface HelmCheckerOptions {
  /** The API client (`KubeClient`): metadata-only watches, GETs and LISTs of payloads, /version. */
  readonly client: HelmApiClient;
  /** Which Helm storage drivers to read; default `"both"`. */
  readonly drivers?: "secrets" | "configmaps" | "both";
  /** Namespaced mode: watch only these namespaces (one informer each). Default: all namespaces. */
  readonly namespaces?: readonly string[];
  /** LIST page size for discovery and payload reads; default 256. */
  readonly pageSize?: number;
  /** Revision statuses that are checked (the newest such revision of a release); default `["deployed"]`. */
  readonly statuses?: readonly string[];
  /** Upgrade targets; default the cluster's version and the next two minors. */
  readonly targets?: TargetConfig;
  /** Versions of non-Kubernetes components (`{"cert-manager": "v1.15.0"}`) for their rows. */
  readonly componentVersions?: Readonly<Record<string, string>>;
  /** The deprecation table; default the built-in one. See also {@link extraRowsFile}. */
  readonly table?: DeprecationTable;
  /** A YAML/JSON file of extra rows merged into the table, hot-reloaded when it changes. */
  readonly extraRowsFile?: string;
  /** Where scans and findings persist (SQLite: `openStore(...).helm`); default none (memory only). */
  readonly store?: HelmStateStore;
  /** A pool to share (not closed by the checker); default a pool of its own with {@link maxThreads}. */
  readonly pool?: ScanPool;
  /** Threads of the checker's own pool; default `os.availableParallelism()`. */
  readonly maxThreads?: number;
  /** Decoding caps (the gzip-bomb limit). */
  readonly limits?: DecodeLimits;
  /** A full reconcile this often (ms); 0 = only on demand and at start. Default 15 minutes. */
  readonly fullScanIntervalMs?: number;
  /** Re-read `/version` this often (ms); default 10 minutes. */
  readonly versionIntervalMs?: number;
  /** Quiet time after a release changes before its incremental check (ms); default 250. */
  readonly incrementalDelayMs?: number;
  /** More payloads than this to read in one scan are LISTed instead of one GET each; default 32. */
  readonly bulkThreshold?: number;
  /** GETs in flight at once; default 8. */
  readonly fetchConcurrency?: number;
  /** Stall timeout of payload reads (ms); default 60,000. */
  readonly stallTimeoutMs?: number;
  /** Where the checker's instruments come from; default the global MeterProvider. */
  readonly meterProvider?: MeterProvider;
  readonly logger?: Logger;
  /** Clock (ms since epoch); default `Date.now`. */
  readonly now?: () => number;
  /** Extra options for the discovery informers (backoff, timers) — for tests and embedders. */
  readonly informerOptions?: Partial<InformerOptions>;
}

/** Options with defaults applied. */
export interface ResolvedCheckerOptions {
  readonly client: HelmApiClient;
  readonly drivers: readonly StorageDriver[];
  readonly namespaces: readonly string[] | undefined;
  readonly pageSize: number;
  readonly statuses: ReadonlySet<string>;
  readonly targets: TargetConfig;
  readonly componentVersions: Readonly<Record<string, string>>;
  readonly table: DeprecationTable;
  readonly extraRowsFile: string | undefined;
  readonly store: HelmStateStore | undefined;
  readonly pool: ScanPool | undefined;
  readonly maxThreads: number;
  readonly limits: DecodeLimits;
  readonly fullScanIntervalMs: number;
  readonly versionIntervalMs: number;
  readonly incrementalDelayMs: number;
  readonly bulkThreshold: number;
  readonly fetchConcurrency: number;
  readonly stallTimeoutMs: number;
  readonly meterProvider: MeterProvider | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  readonly informerOptions: Partial<InformerOptions>;
}

function int(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const expected =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new InvalidHelmCheckerOptionError(name, value, expected);
  }
  return value;
}

const DRIVERS: Readonly<Record<string, readonly StorageDriver[]>> = {
  secrets: ["secret"],
  configmaps: ["configmap"],
  both: ["secret", "configmap"],
};

/** Applies defaults; throws {@link InvalidHelmCheckerOptionError} naming the bad option. */
export function resolveCheckerOptions(o: HelmCheckerOptions): ResolvedCheckerOptions {
  if (typeof o !== "object" || o === null) {
    throw new InvalidHelmCheckerOptionError("options", o, "an object");
  }
  if (typeof o.client !== "object" || o.client === null) {
    throw new InvalidHelmCheckerOptionError("client", o.client, "an API client (KubeClient)");
  }
  const drivers = DRIVERS[o.drivers ?? "both"];
  if (drivers === undefined) {
    throw new InvalidHelmCheckerOptionError(
      "drivers",
      o.drivers,
      '"secrets", "configmaps" or "both"',
    );
  }
  if (o.namespaces !== undefined) {
    if (!Array.isArray(o.namespaces) || o.namespaces.length === 0) {
      throw new InvalidHelmCheckerOptionError("namespaces", o.namespaces, "a non-empty list");
    }
    for (const ns of o.namespaces) {
      if (typeof ns !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
        throw new InvalidHelmCheckerOptionError("namespaces", ns, "namespace names");
      }
    }
  }
  const statuses = o.statuses ?? ["deployed"];
  if (
    !Array.isArray(statuses) ||
    statuses.length === 0 ||
    statuses.some((s) => !/^[a-z-]+$/.test(s))
  ) {
    throw new InvalidHelmCheckerOptionError(
      "statuses",
      statuses,
      "Helm statuses such as deployed, failed",
    );
  }
  return {
    client: o.client,
    drivers,
    namespaces: o.namespaces === undefined ? undefined : [...new Set(o.namespaces)],
    pageSize: int("pageSize", o.pageSize, 256, 1),
    statuses: new Set(statuses),
    targets: o.targets ?? {},
    componentVersions: { ...o.componentVersions },
    table: o.table ?? builtinTable(),
    extraRowsFile: o.extraRowsFile,
    store: o.store,
    pool: o.pool,
    maxThreads: int("maxThreads", o.maxThreads, availableParallelism(), 1),
    limits: { ...o.limits },
    fullScanIntervalMs: int("fullScanIntervalMs", o.fullScanIntervalMs, 15 * 60_000, 0),
    versionIntervalMs: int("versionIntervalMs", o.versionIntervalMs, 10 * 60_000, 1000),
    incrementalDelayMs: int("incrementalDelayMs", o.incrementalDelayMs, 250, 0, MAX_TIMER_MS),
    bulkThreshold: int("bulkThreshold", o.bulkThreshold, 32, 0),
    fetchConcurrency: int("fetchConcurrency", o.fetchConcurrency, 8, 1),
    stallTimeoutMs: int("stallTimeoutMs", o.stallTimeoutMs, 60_000, 1, MAX_TIMER_MS),
    meterProvider: o.meterProvider,
    logger: o.logger ?? silentLogger,
    now: o.now ?? Date.now,
    informerOptions: { ...o.informerOptions },
  };
}
