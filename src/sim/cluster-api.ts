/**
 * The public shape of a simulated cluster (docs/simulator.md): its options and the
 * object `startSimulatedCluster` resolves to.
 */
import type { ResourceDefinition, ResourceId } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "../logging/index.ts";
import type { SimVerb } from "./faults.ts";
import type { SimHelmReleases } from "./helm-api.ts";
import type { RequestRecord } from "./http-server.ts";
import type { ChurnOptions } from "./load.ts";
import type { SimMetrics } from "./metrics-api.ts";

/** Options of {@link startSimulatedCluster}. */
export interface SimulatedClusterOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default "v1.32.0"; /version derives major/minor from it. */
  gitVersion?: string;
  /** Watch history kept, in events; default 10_000; a watch from an older RV gets 410 Expired. */
  historySize?: number;
  /** Cadence of BOOKMARKs to watchers that allow them; default 60_000. */
  bookmarkIntervalMs?: number;
  /**
   * A watch whose client reads too slowly is ended (cleanly; the client watches again) once
   * its queue of unsent events passes this many bytes (counted as characters of JSON);
   * default 256 MiB.
   */
  maxWatcherBufferBytes?: number;
  /** Continue tokens expire this long after their list's first page (410); default 300_000. */
  continueTtlMs?: number;
  /** Serve sendInitialEvents streaming lists; default true. */
  watchList?: boolean;
  /** Extra resources besides the built-in registry. */
  resources?: ResourceDefinition[];
  /** ms since epoch; default Date.now. Used for timestamps and continue-token age. */
  clock?: () => number;
  logger?: Logger;
}

/** Options of `faults.failRequests`. */
export interface FailRequestsOptions {
  status: number;
  retryAfterSeconds?: number;
  /** Default 1. */
  count?: number;
  verb?: SimVerb;
  resource?: ResourceId | string;
}

/** Options of `faults.forbid`: which requests get 403 Forbidden while the rule is active. */
export interface ForbidOptions {
  /** Default: every resource. */
  resource?: ResourceId | string;
  /**
   * A namespace blocks the namespaced requests in it; left out, the rule blocks the requests
   * without a namespace (all-namespaces lists and watches, cluster-scoped resources).
   */
  namespace?: string;
  /** Default: every verb. */
  verb?: SimVerb;
}

/** An active `faults.forbid` rule. */
export interface ForbidHandle extends Disposable {
  /** Lifts this rule (idempotent); other rules stay. */
  remove(): void;
}

/** A running simulated cluster. See docs/simulator.md. */
export interface SimulatedCluster extends AsyncDisposable {
  /** "http://127.0.0.1:PORT". */
  readonly url: string;
  readonly port: number;
  /** The current global resourceVersion (opaque decimal string). */
  readonly resourceVersion: string;
  /** A kubeconfig (cluster "sim", context "sim", no auth) for kubectl / client-node. */
  kubeConfigYaml(): string;
  /** Serves another resource from now on. Throws LOOKOUT_SIM_INVALID for an empty name part. */
  registerResource(def: ResourceDefinition): void;
  /** Creates like POST; throws SimError (ALREADY_EXISTS, INVALID, UNKNOWN_RESOURCE). */
  create(resource: ResourceId | string, object: KubeObject): KubeObject;
  /** A fresh copy of the object, or undefined. */
  get(resource: ResourceId | string, namespace: string, name: string): KubeObject | undefined;
  /** Fresh copies, sorted by namespace/name; all namespaces when `namespace` is undefined/"". */
  list(resource: ResourceId | string, namespace?: string): KubeObject[];
  /** Replaces like PUT; stale RV → SimError LOOKOUT_SIM_CONFLICT; NOT_FOUND. */
  update(resource: ResourceId | string, object: KubeObject): KubeObject;
  /** JSON merge patch like PATCH; NOT_FOUND. */
  patch(
    resource: ResourceId | string,
    namespace: string,
    name: string,
    mergePatch: object,
  ): KubeObject;
  /** Deletes; returns the last state (deletionTimestamp set), undefined when absent. */
  delete(resource: ResourceId | string, namespace: string, name: string): KubeObject | undefined;
  /** Runs fn synchronously; the events it makes reach watchers after it returns, in large writes. */
  batch<T>(fn: () => T): T;
  /** Open watch connections, optionally of one resource. */
  openWatchCount(resource?: ResourceId | string): number;
  /** Every request served (last 10_000). */
  readonly requests: ReadonlyArray<RequestRecord>;
  readonly faults: {
    /** Ends open watches (cleanly, or with half a JSON line then a destroyed socket); returns how many. */
    closeWatches(opts?: { resource?: ResourceId | string; midLine?: boolean }): number;
    /** Stops writing to open watches, keeping their sockets open; returns how many. */
    stallWatches(opts?: { resource?: ResourceId | string }): number;
    /**
     * The next `count` (default 1) LIST responses (of `resource`, or of any resource) send
     * their headers and half of their body, then nothing more while the socket stays open
     * (until the client gives up or `close()`). Throws LOOKOUT_SIM_INVALID for a bad count.
     */
    stallLists(opts?: { resource?: ResourceId | string; count?: number }): void;
    /** Fails the next `count` matching requests with `status` (429 adds Retry-After). */
    failRequests(opts: FailRequestsOptions): void;
    /** The next `count` events are not sent to the oldest open watcher (of `resource`). */
    dropEvents(opts: { count: number; resource?: ResourceId | string }): void;
    /**
     * Until removed, matching requests (watches too) get 403 Forbidden with the apiserver's RBAC
     * Status (`secrets is forbidden: User "system:serviceaccount:default:kube-lookout" cannot
     * list resource "secrets" in API group "" in the namespace "team-a"`, or `at the cluster
     * scope`). Throws LOOKOUT_SIM_INVALID for an empty namespace, UNKNOWN_RESOURCE.
     */
    forbid(opts?: ForbidOptions): ForbidHandle;
    /** Lifts every `forbid` rule. */
    allow(): void;
    /** Forgets all history now: any watch from an older RV gets 410. */
    compact(): void;
    /** Every outstanding continue token gets 410 next time. */
    expireContinueTokens(): void;
  };
  readonly load: {
    /** Creates `count` objects (default: realistic pods over namespaces ns-0..ns-9) in one batch. */
    seed(resource: ResourceId | string, count: number, make?: (i: number) => KubeObject): void;
    /** Applies `count` random changes at `ratePerSec` from a seeded PRNG; resolves with the counts. */
    churn(
      opts: ChurnOptions & { resource: ResourceId | string },
    ): Promise<{ created: number; updated: number; deleted: number }>;
  };
  /** Helm 3 releases stored as Helm stores them (Secrets/ConfigMaps); see docs/simulator.md. */
  readonly helm: SimHelmReleases;
  /** Usages served by metrics.k8s.io/v1beta1 pods and nodes; see docs/simulator.md. */
  readonly metrics: SimMetrics;
  /** Ends every watch, closes the server and all sockets, clears all timers. Idempotent. */
  close(): Promise<void>;
}
