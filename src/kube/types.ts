/**
 * The contract between the HTTP list/watch client (`src/kube/`) and its consumers (the informer).
 * Objects travel as {@link RawObject}: their JSON text plus the metadata an informer needs, read
 * by a targeted scan, so that nothing parses a whole object unless a consumer asks for it.
 */
import type { ResourceId } from "./resource.ts";
import type { Status } from "./status.ts";

/** The parts of `metadata` every Kubernetes object has. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes API object, parsed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Options of one list request (one page). */
export interface ListOptions {
  /** List inside this namespace; all namespaces when undefined or "". */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: "Exact" | "NotOlderThan";
  /** Remove `metadata.managedFields` from every item's JSON text (default true). */
  readonly stripManagedFields?: boolean;
  /**
   * Fail the request with `LOOKOUT_WATCH_STALLED` when no byte of the response arrives for
   * this long (a half-open connection during a large list). Default: no stall detection.
   */
  readonly stallTimeoutMs?: number;
}

/** Options of one watch request. */
export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
  readonly sendInitialEvents?: boolean;
  readonly resourceVersionMatch?: "NotOlderThan";
  /** Remove `metadata.managedFields` from every object's JSON text (default true). */
  readonly stripManagedFields?: boolean;
  /**
   * Abort the stream with a `LOOKOUT_WATCH_STALLED` error when no byte arrives for this long
   * (half-open connections). Default: no stall detection.
   */
  readonly stallTimeoutMs?: number;
}

/** One page of a list response. */
export interface ListPage {
  /** The collection's `metadata.resourceVersion`. */
  readonly resourceVersion: string;
  /** `metadata.continue`, undefined on the last page. */
  readonly continue: string | undefined;
  readonly remainingItemCount: number | undefined;
  readonly items: RawObject[];
}

/** One decoded watch event. */
export type WatchEvent =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: RawObject }
  | {
      readonly type: "BOOKMARK";
      readonly resourceVersion: string;
      /** True on the bookmark annotated `k8s.io/initial-events-end: "true"`. */
      readonly initialEventsEnd: boolean;
    }
  | { readonly type: "ERROR"; readonly status: Status };

/**
 * An object kept as JSON text, with its identity read by a targeted scan. Immutable.
 * `object` parses the text on every access: read it once per use, keep what you need.
 */
export interface RawObject<T extends KubeObject = KubeObject> {
  readonly name: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** The object's JSON text (without `metadata.managedFields` when it was stripped). */
  readonly json: string;
  /** A freshly parsed copy of the object. */
  readonly object: T;
}

/** What the informer needs from an API client. Implemented over HTTP by `KubeClient`. */
export interface ListWatchClient {
  /**
   * Lists one page. Rejects with a `KubeApiError` (code `LOOKOUT_KUBE_API`) carrying the HTTP
   * status, the Status reason and `retryAfterSeconds` for any non-2xx answer, with the abort
   * reason when `signal` aborts, with `LOOKOUT_WATCH_STALLED` when `stallTimeoutMs` passes
   * without a byte, and with `LOOKOUT_KUBE_BAD_RESPONSE` for a body it cannot read.
   */
  list(resource: ResourceId, options: ListOptions, signal?: AbortSignal): Promise<ListPage>;
  /**
   * Opens a watch. The iterable yields events in order; it rejects with `KubeApiError` for a
   * non-2xx answer, `LOOKOUT_WATCH_STALLED` when `stallTimeoutMs` passes without a byte, and
   * ends normally when the server closes the stream (a partial last line is dropped).
   * Malformed lines are skipped and reported through the client's hooks, never thrown.
   * Breaking out of the loop or aborting `signal` closes the connection.
   */
  watch(
    resource: ResourceId,
    options: WatchOptions,
    signal?: AbortSignal,
  ): AsyncIterable<WatchEvent>;
}
