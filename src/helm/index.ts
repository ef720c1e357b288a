/**
 * The Helm deprecation checker: release payload decoding and manifest scanning, the
 * deprecation table and upgrade targets, and the findings they give.
 */
export {
  HelmBadBase64Error,
  HelmBadGzipError,
  HelmBadJsonError,
  HelmBadPayloadError,
  HelmBadYamlError,
  HelmTooLargeError,
  ScanPool,
  ScanPoolClosedError,
  decodeRelease,
  isHelmPayloadError,
  scanManifest,
  scanRelease,
} from "./decode/index.ts";
export type {
  DecodedRelease,
  ManifestSource,
  ReleaseDriver,
  ReleaseSummary,
  ScanIssue,
  ScanResult,
  ScannedObject,
} from "./decode/index.ts";
export {
  ApiStatus,
  BadExtraRowsError,
  BadVersionError,
  TargetUncoveredError,
  builtinTable,
  formatCoverage,
  formatKubeVersion,
  loadExtraRows,
  mergeExtraRows,
  parseKubeVersion,
  parseVersionInfo,
  planTargets,
  watchExtraRows,
} from "./deprecations/index.ts";
export type {
  DeprecationRule,
  DeprecationTable,
  KubeVersion,
  TargetConfig,
  TargetPlan,
} from "./deprecations/index.ts";
export {
  ClusterVersionUnavailableError,
  HelmChecker,
  HelmCheckerClosedError,
  HelmMetricNames,
  InvalidHelmCheckerOptionError,
  findingAttributes,
} from "./checker/index.ts";
export type {
  CheckerError,
  FindingsChange,
  ForbiddenScope,
  HelmApiClient,
  HelmCheckerOptions,
  HelmCheckerStatus,
  HelmStateStore,
  ReleaseState,
  ScanSummary,
} from "./checker/index.ts";
export { findingsFor } from "./findings.ts";
export type {
  FindingStatus,
  FindingTargets,
  HelmFinding,
  HelmReleaseError,
  ReleaseRef,
} from "./findings.ts";
export {
  HelmCheckExit,
  REPORT_FORMATS,
  checkManifests,
  exitCodeFor,
  formatReport,
  isReportFormat,
} from "./report/index.ts";
export type { HelmReport, ReportFormat } from "./report/index.ts";
