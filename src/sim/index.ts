/**
 * `kube-lookout/sim`: a simulated Kubernetes API server for tests, demos and benchmarks.
 * See docs/simulator.md.
 */
export { startSimulatedCluster } from "./cluster.ts";
export type {
  FailRequestsOptions,
  ForbidHandle,
  ForbidOptions,
  SimulatedCluster,
  SimulatedClusterOptions,
} from "./cluster-api.ts";
export { SimError, SimErrorCode } from "./errors.ts";
export type { SimVerb } from "./faults.ts";
export type { ChurnOptions } from "./load.ts";
export type { MetricsUsage, SimMetrics } from "./metrics-api.ts";
export { mulberry32 } from "./prng.ts";
export type { RequestRecord } from "./http-server.ts";
export { requestInfo } from "./request-info.ts";
export type { RequestInfo } from "./request-info.ts";
export { recordRequests } from "./request-log.ts";
export type { RecordedRequest, RecordTarget, RequestLog } from "./request-log.ts";
export {
  decodeHelmPayload,
  encodeHelmPayload,
  helmObjectName,
  helmStorageObject,
} from "./helm-payload.ts";
export type {
  EncodeHelmPayloadOptions,
  HelmDriver,
  HelmHookJson,
  HelmReleaseJson,
  HelmStorageOptions,
} from "./helm-payload.ts";
export type { HelmObjectRef } from "./helm-manifest.ts";
export { generateHelmReleases } from "./helm-population.ts";
export type { HelmSeedOptions, SeededRelease, SeededRevision } from "./helm-population.ts";
export type {
  HelmHookInput,
  HelmInstallOptions,
  HelmSeedResult,
  HelmUpgradeOptions,
  SimHelmReleases,
} from "./helm-api.ts";
