/**
 * Helm release decoding and manifest scanning: payload → release summary, manifest → objects,
 * and a worker pool that does both for many releases in parallel.
 */
export {
  HelmBadBase64Error,
  HelmBadGzipError,
  HelmBadJsonError,
  HelmBadPayloadError,
  HelmBadYamlError,
  HelmTooLargeError,
  SCAN_ISSUE_CODES,
  ScanPoolClosedError,
  isHelmPayloadError,
} from "./errors.ts";
export type { HelmPayloadError, ManifestSource } from "./errors.ts";
export { DEFAULT_MAX_OUTPUT_LENGTH, decodeRelease } from "./payload.ts";
export type { DecodeLimits, DecodedRelease, ReleaseDriver, ReleaseSummary } from "./payload.ts";
export { ApiVersionFilter, scanManifest } from "./manifest-scan.ts";
export type { ManifestScan, ScanManifestOptions } from "./manifest-scan.ts";
export type { ScannedObject } from "./scanned-object.ts";
export { scanRelease } from "./scan-release.ts";
export type { ScanInput, ScanIssue, ScanResult } from "./scan-release.ts";
export { ScanPool } from "./scan-pool.ts";
export type { ScanPoolInput, ScanPoolOptions, ScanPoolStats } from "./scan-pool.ts";
