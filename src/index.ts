/**
 * `kube-lookout`: the public library API: `createLookout` (the whole sidecar, embedded) and its
 * parts. The simulator (`kube-lookout/sim`), the plugin API (`kube-lookout/plugins`) and the
 * cache API's typed client (`kube-lookout/client`) are separate entry points.
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
export { openStore, StoreFullError } from "./store/index.ts";
export { InvalidLeaderOptionError, LEASES, LeaderElector } from "./leader/index.ts";
export type { LeaderElectorOptions, LeaseClient, LeaseRequestOptions } from "./leader/index.ts";
export type { LookoutStore, StoreOptions } from "./store/index.ts";
export {
  EventPipeline,
  NatsLink,
  compileRedaction,
  applyPatch,
  createPatch,
  decodeEvent,
  ensureStream,
  escapeToken,
  helmFilter,
  helmSubject,
  parseResourceSubject,
  resourceFilter,
  resourceSubject,
  subscribe,
  subscribeHelm,
  unescapeToken,
  EventSubjectError,
  EventsBadMessageError,
  EventsInvalidOptionError,
  NatsLinkClosedError,
  NatsOptionError,
  StreamConflictError,
  StreamRequestError,
  StreamSpecError,
} from "./events/index.ts";
export type {
  ChangeType,
  DecodedEvent,
  DeliverFrom,
  EventPipelineOptions,
  EventResourceSpec,
  EventStreamSpec,
  HelmFindingsChange,
  JsonPatchOperation,
  NatsLinkOptions,
  NatsLinkState,
  OutboxFullPolicy,
  ReceivedEvent,
  ReceivedHelmEvent,
  ResourceEventBody,
  StreamSpec,
  SubscribeHelmOptions,
  SubscribeOptions,
} from "./events/index.ts";
export { createLookout, LookoutClosedError, LookoutInvalidResourcesError } from "./lookout.ts";
export type { Lookout, LookoutOptions, WatchedResource, WatchUpdate } from "./lookout.ts";
export {
  createTelemetry,
  informerMetrics,
  INFORMER_SCOPE,
  catalogue,
  findInstrument,
} from "./telemetry/index.ts";
export type { Telemetry, TelemetryOptions } from "./telemetry/index.ts";
