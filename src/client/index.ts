/**
 * `kube-lookout/client`: the typed client of the sidecar's cache API. See docs/api.md.
 */
export { LookoutClient } from "./lookout-client.ts";
export type {
  CacheInfo,
  ItemType,
  ListOptions,
  ListResult,
  LookoutClientOptions,
  ReadyState,
} from "./lookout-client.ts";
export type { KnownResources, ResourceType } from "./known-resources.ts";
export {
  LookoutApiError,
  LookoutBadResponseError,
  LookoutClientInvalidOptionError,
  LookoutRequestError,
} from "./errors.ts";
