/**
 * `kube-lookout`: the public library API. The simulator is a separate entry point
 * (`kube-lookout/sim`).
 */
export {
  Informer,
  InformerFactory,
  namespaceIndex,
  objectKey,
  noopInformerMetrics,
  HandlerFailedError,
  InformerClosedError,
  InvalidInformerOptionError,
  VeryShortWatchError,
  WatchErrorEventError,
  WatchExpiredError,
  WatchListUnsupportedError,
  TransformFailedError,
  IndexFailedError,
  BadWatchEventError,
} from "./informer/index.ts";
export type {
  DeletedFinalStateUnknown,
  EventHandler,
  HandlerOptions,
  HandlerRegistration,
  IndexFunc,
  InformerFactoryOptions,
  InformerLease,
  InformerMetrics,
  InformerOptions,
  InformerSpec,
  ReadonlyStore,
  WatchEndReason,
  WatchListMode,
  InitialListResourceVersion,
} from "./informer/index.ts";
export {
  KubeClient,
  KubeApiError,
  KubeBadResponseError,
  KubeClientClosedError,
  KubeConfigError,
  WatchStalledError,
  isExpired,
  isTooLargeResourceVersion,
  parseResourceId,
  resourcePath,
  rawObjectFromJson,
  rawObjectFromObject,
} from "./kube/index.ts";
export type {
  KubeClientHooks,
  KubeClientOptions,
  KubeObject,
  ListOptions,
  ListPage,
  ListWatchClient,
  ObjectMeta,
  RawObject,
  ResourceDefinition,
  ResourceId,
  Status,
  WatchEvent,
  WatchOptions,
} from "./kube/index.ts";
export { compileLabelSelector, compileFieldSelector } from "./selectors/index.ts";
export { jsonLogger, silentLogger } from "./logging/index.ts";
export type { Logger, LogLevel } from "./logging/index.ts";
export {
  ApiStatus,
  BadExtraRowsError,
  BadVersionError,
  ClusterVersionUnavailableError,
  HelmChecker,
  HelmCheckerClosedError,
  HelmMetricNames,
  InvalidHelmCheckerOptionError,
  TargetUncoveredError,
  builtinTable,
  findingAttributes,
  findingsFor,
  loadExtraRows,
  mergeExtraRows,
  parseKubeVersion,
  planTargets,
} from "./helm/index.ts";
export type {
  DeprecationRule,
  DeprecationTable,
  FindingStatus,
  FindingTargets,
  FindingsChange,
  ForbiddenScope,
  HelmApiClient,
  HelmCheckerOptions,
  HelmCheckerStatus,
  HelmFinding,
  HelmReleaseError,
  HelmStateStore,
  KubeVersion,
  ReleaseState,
  ScanSummary,
  TargetConfig,
} from "./helm/index.ts";
export { openStore } from "./store/index.ts";
export type { LookoutStore, StoreOptions } from "./store/index.ts";
