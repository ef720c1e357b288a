/**
 * The checker's reports about itself: what a scan did, its status, its own errors.
 */
import type { ForbiddenScope } from "./discovery.ts";

/** What one scan did. */
export interface ScanSummary {
  readonly mode: "full" | "incremental";
  /** Releases looked at. */
  readonly releases: number;
  /** Payloads fetched and decoded. */
  readonly decoded: number;
  /** Releases whose payload was unchanged (same object, or same hash). */
  readonly unchanged: number;
  readonly removed: number;
  readonly durationMs: number;
}

/** The checker's status, for `/readyz` and the cache API. */
export interface HelmCheckerStatus {
  readonly ready: boolean;
  /** Findings restored from the store and not yet rechecked. */
  readonly restored: boolean;
  readonly clusterVersion: string | undefined;
  readonly targets: readonly string[];
  readonly uncoveredTargets: readonly string[];
  readonly lastFullScanAt: number | undefined;
  readonly lastScan: ScanSummary | undefined;
  readonly forbidden: readonly ForbiddenScope[];
  /** Every scope answers 403: nothing can be read. */
  readonly unreadable: boolean;
  readonly releases: number;
  /** The checker's (or discovery's) last error, if any: where, code, message, when. */
  readonly lastError: CheckerError | undefined;
}

/** An error of the checker itself (not of one release). */
export interface CheckerError {
  readonly where: string;
  readonly code: string;
  readonly message: string;
  readonly at: number;
}
