/**
 * Discovery of Helm releases: metadata-only informers on Secrets and/or ConfigMaps labelled
 * `owner=helm` with a checked status (all namespaces, or one informer per namespace in namespaced mode), indexed by
 * release. A scope the sidecar may not read (403) is recorded and reported; the others work.
 */
import { Informer, type InformerMetrics, type InformerOptions } from "../../informer/index.ts";
import { KubeApiError, type ListWatchClient, type RawObject } from "../../kube/index.ts";
import type { Logger } from "../../logging/index.ts";
import {
  STORAGE_RESOURCES,
  releaseKey,
  revisionOf,
  type RevisionRef,
  type StorageDriver,
} from "./storage-object.ts";

const RELEASE_INDEX = "helm-release";

/** A scope (driver × namespace) that answered 403. */
export interface ForbiddenScope {
  readonly resource: "secrets" | "configmaps";
  /** "" for the cluster scope (all namespaces). */
  readonly namespace: string;
  readonly message: string;
  /** When it was first seen forbidden (ms since epoch). */
  readonly since: number;
}

/** Options of {@link HelmDiscovery}. */
export interface DiscoveryOptions {
  /** The metadata-only view of the client. */
  readonly client: ListWatchClient;
  readonly drivers: readonly StorageDriver[];
  /** Namespaces to watch one by one; undefined = all namespaces with one informer per driver. */
  readonly namespaces: readonly string[] | undefined;
  readonly pageSize: number;
  /**
   * The revision statuses the checker reads: only storage objects in one of them are watched
   * (`owner=helm,status in (…)`). Helm keeps up to 10 revisions of a release, all but one
   * superseded; they are never checked, so they are not listed, cached or watched either. An
   * object entering a status (a new deployed revision) or leaving it (superseded, uninstalled)
   * arrives as an add or a delete.
   */
  readonly statuses: readonly string[];
  readonly logger: Logger;
  readonly now: () => number;
  /** Extra informer options (timers, backoff, …) for tests and embedders. */
  readonly informerOptions?: Partial<InformerOptions>;
  /** Called with a release key whenever one of its storage objects is added, changed or deleted. */
  readonly onChange: (key: string) => void;
  /** Called with every error a discovery informer reports (also logged by the informer). */
  readonly onError?: (error: unknown) => void;
  /** Called when the set of forbidden scopes changes. */
  readonly onForbiddenChange?: () => void;
}

interface Scope {
  readonly driver: StorageDriver;
  readonly namespace: string;
  readonly informer: Informer;
  forbidden: ForbiddenScope | undefined;
  /**
   * Was forbidden once: the first scan could not cover its releases, so the adds of its lists
   * (after access comes back) are changes to check, not the list the first scan read.
   */
  wasForbidden: boolean;
  listed: boolean;
}

function releaseIndex(driver: StorageDriver) {
  return (obj: RawObject): readonly string[] => {
    const ref = revisionOf(obj, driver);
    return ref === undefined ? [] : [releaseKey(ref.namespace, ref.release)];
  };
}

/** `owner=helm,status=deployed`, or `owner=helm,status in (deployed,failed)`. */
export function statusSelector(statuses: readonly string[]): string {
  const sorted = [...new Set(statuses)].sort();
  return sorted.length === 1
    ? `owner=helm,status=${sorted[0]}`
    : `owner=helm,status in (${sorted.join(",")})`;
}

function isForbidden(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && err.statusCode === 403;
}

/**
 * The informers and their release index. The constructor builds informers and starts nothing;
 * {@link start} starts them; {@link close} closes them (idempotent).
 */
export class HelmDiscovery {
  readonly #scopes: Scope[] = [];
  readonly #o: DiscoveryOptions;
  readonly #settleWaiters = new Set<() => void>();
  #closed: Promise<void> | undefined;

  constructor(options: DiscoveryOptions) {
    this.#o = options;
    const namespaces = options.namespaces ?? [""];
    for (const driver of options.drivers) {
      for (const namespace of namespaces) {
        const metrics: InformerMetrics = {
          listRequest: (info) => this.#onList(scope, info.error),
          error: (info) => {
            options.onError?.(info.error);
            if (isForbidden(info.error)) this.#onList(scope, info.error);
          },
        };
        const informer = new Informer({
          ...options.informerOptions,
          client: options.client,
          resource: STORAGE_RESOURCES[driver],
          ...(namespace === "" ? {} : { namespace }),
          labelSelector: statusSelector(options.statuses),
          pageSize: options.pageSize,
          indexers: { [RELEASE_INDEX]: releaseIndex(driver) },
          logger: options.logger,
          metrics,
        });
        const scope: Scope = {
          driver,
          namespace,
          informer,
          forbidden: undefined,
          wasForbidden: false,
          listed: false,
        };
        informer.addEventHandler({
          // The initial list is covered by the first full scan, unless the scope was forbidden.
          onAdd: (obj, initial) => {
            if (!initial || scope.wasForbidden) this.#changed(obj, driver);
          },
          onUpdate: (_old, obj) => this.#changed(obj, driver),
          onDelete: (obj) => this.#changed("type" in obj ? obj.object : obj, driver),
        });
        this.#scopes.push(scope);
      }
    }
  }

  #changed(obj: RawObject, driver: StorageDriver): void {
    const ref = revisionOf(obj, driver);
    if (ref !== undefined) this.#o.onChange(releaseKey(ref.namespace, ref.release));
  }

  #onList(scope: Scope, error: unknown): void {
    if (error === undefined) {
      scope.listed = true;
      if (scope.forbidden !== undefined) {
        scope.forbidden = undefined;
        this.#o.logger.info("helm discovery: scope readable again", this.#describe(scope));
        this.#o.onForbiddenChange?.();
      }
    } else if (isForbidden(error) && scope.forbidden === undefined) {
      scope.wasForbidden = true;
      scope.forbidden = {
        resource: STORAGE_RESOURCES[scope.driver].resource,
        namespace: scope.namespace,
        message: error.message,
        since: this.#o.now(),
      };
      this.#o.logger.warn("helm discovery: forbidden, releases there are not checked", {
        ...this.#describe(scope),
        error: error.message,
      });
      this.#o.onForbiddenChange?.();
    }
    this.#wake();
  }

  #describe(scope: Scope): Record<string, string> {
    return {
      resource: STORAGE_RESOURCES[scope.driver].resource,
      namespace: scope.namespace || "*",
    };
  }

  #isSettled(): boolean {
    return this.#scopes.every((s) => s.informer.hasSynced() || s.forbidden !== undefined);
  }

  /** Starts every informer. Resolves at once (see {@link settled}). */
  start(): void {
    for (const scope of this.#scopes) {
      // Each scope's sync wakes the settled() waiters; once, however often settled() is called.
      void scope.informer.start().then(() => this.#wake());
    }
  }

  #wake(): void {
    for (const check of this.#settleWaiters) check();
  }

  /**
   * Resolves once every scope has synced or answered 403. Rejects with `signal.reason` on abort.
   */
  async settled(signal?: AbortSignal): Promise<void> {
    if (this.#isSettled()) return;
    signal?.throwIfAborted();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const check = (): void => {
      if (this.#isSettled() || this.#closed !== undefined) resolve();
    };
    const onAbort = (): void => reject(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#settleWaiters.add(check);
    try {
      await promise;
    } finally {
      this.#settleWaiters.delete(check);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Every release key currently known. */
  releaseKeys(): Set<string> {
    const keys = new Set<string>();
    for (const scope of this.#scopes) {
      for (const obj of scope.informer.store.list()) {
        const ref = revisionOf(obj, scope.driver);
        if (ref !== undefined) keys.add(releaseKey(ref.namespace, ref.release));
      }
    }
    return keys;
  }

  /** The revisions of one release across drivers (from the caches; no request). */
  revisions(key: string): RevisionRef[] {
    const out: RevisionRef[] = [];
    for (const scope of this.#scopes) {
      for (const obj of scope.informer.store.byIndex(RELEASE_INDEX, key)) {
        const ref = revisionOf(obj, scope.driver);
        if (ref !== undefined) out.push(ref);
      }
    }
    return out;
  }

  /** The scopes answering 403 now. */
  forbidden(): ForbiddenScope[] {
    return this.#scopes.flatMap((s) => (s.forbidden === undefined ? [] : [s.forbidden]));
  }

  /** True when every scope answers 403: nothing can be read. */
  nothingReadable(): boolean {
    return this.#scopes.every((s) => s.forbidden !== undefined);
  }

  /** Closes every informer. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all(this.#scopes.map((s) => s.informer.close()));
      for (const check of this.#settleWaiters) check();
    })();
    return this.#closed;
  }
}
