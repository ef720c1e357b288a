/**
 * The continuous Helm checker: discovery from storage-object metadata, incremental scans in the
 * worker pool, persisted findings, metrics.
 */
export { HelmChecker } from "./checker.ts";
export type {
  CheckerError,
  FindingsChange,
  HelmCheckerStatus,
  ReleaseState,
  ScanSummary,
} from "./checker.ts";
export type { ForbiddenScope } from "./discovery.ts";
export {
  ClusterVersionUnavailableError,
  HelmCheckerClosedError,
  InvalidHelmCheckerOptionError,
} from "./errors.ts";
export { HelmMetricNames, findingAttributes } from "./metrics.ts";
export type { HelmCheckerOptions } from "./options.ts";
export type { HelmApiClient } from "./payload-fetch.ts";
export type { HelmStateStore } from "./state-store.ts";
export type { RevisionRef, StorageDriver } from "./storage-object.ts";
