/**
 * The Kubernetes API client capability: the list/watch contract, its HTTP implementation
 * `KubeClient`, the RawObject builders and the errors.
 */
export type {
  KubeObject,
  ListOptions,
  ListPage,
  ListWatchClient,
  ObjectMeta,
  RawObject,
  WatchEvent,
  WatchOptions,
} from "./types.ts";
export type { ResourceDefinition, ResourceId } from "./resource.ts";
export {
  formatResourceId,
  groupVersion,
  groupVersionPath,
  parseResourceId,
  resourcePath,
} from "./resource.ts";
export type { Status, StatusCause, StatusDetails } from "./status.ts";
export { failureStatus, isStatus } from "./status.ts";
export {
  KubeApiError,
  KubeBadResponseError,
  KubeClientClosedError,
  KubeConfigError,
  WatchStalledError,
  isExpired,
  isTooLargeResourceVersion,
  retryAfterMs,
} from "./errors.ts";
export { KubeClient } from "./kube-client.ts";
export type { KubeClientHooks, KubeClientOptions, KubeClientTimers } from "./kube-client.ts";
export { RawKubeObject, rawObjectFromJson, rawObjectFromObject } from "./raw-object.ts";
export type { RawObjectOptions } from "./raw-object.ts";
