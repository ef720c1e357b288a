/**
 * The resources the cache API serves: each a cache (an Informer, or anything with its read
 * side) under a route name: the plural for the core group (`pods`), `plural.group` otherwise
 * (`deployments.apps`), as kubectl names them.
 */
import type { ResourceId } from "../kube/index.ts";
import type {
  EventHandler,
  HandlerOptions,
  HandlerRegistration,
  ReadonlyStore,
} from "../informer/index.ts";
import { groupVersion } from "../kube/index.ts";
import { ApiInvalidOptionError } from "./errors.ts";

/** The read side of an informer the API needs. An `Informer` satisfies it. */
export interface CacheSource {
  /** The cache (with the `namespace` index every informer has). */
  readonly store: ReadonlyStore;
  /**
   * The resourceVersion the cache is at; "" before the first sync. The API remembers list
   * answers while it, the store's size and the change count (see `addEventHandler`) stay the
   * same.
   */
  readonly lastSyncResourceVersion: string;
  /** True once the first list has been applied. */
  hasSynced(): boolean;
  /**
   * Optional: true when the cache can answer although `hasSynced()` is false (a composite of
   * several informers, once one of them has synced). Without it, answers wait for `hasSynced()`
   * (503 before).
   */
  canAnswer?(): boolean;
  /**
   * Optional (an Informer has it): when the cache was last known in sync (ms since epoch),
   * undefined before its first sync. The `X-Kube-Lookout-Synced-At` header shows it.
   */
  readonly lastSyncTime?: number | undefined;
  /**
   * Optional: resolves when the cache first syncs. When present and `syncedAt` is not given,
   * the API records that moment as the cache's sync time.
   */
  waitForSync?(signal?: AbortSignal): Promise<void>;
  /**
   * Optional (an Informer has it): the API registers one handler that counts changes, so that
   * a change that leaves the resourceVersion as it was (a relist that repairs the cache at the
   * same resourceVersion) still ends remembered answers. Without it, the resourceVersion must
   * change whenever the store changes.
   */
  addEventHandler?(handler: EventHandler, options?: HandlerOptions): HandlerRegistration;
}

/** One served resource. */
export interface ServedResource {
  readonly resource: ResourceId;
  /** The objects' kind, e.g. `Pod`. */
  readonly kind: string;
  /** The list's kind; default `${kind}List`. */
  readonly listKind?: string;
  readonly namespaced: boolean;
  readonly informer: CacheSource;
  /**
   * When the cache was last known in sync with the API server (ms since epoch). Default: the
   * source's `lastSyncTime` (an Informer's last list or watch event), else the time of the first
   * sync seen through `informer.waitForSync()` (unknown when the source has neither).
   */
  readonly syncedAt?: () => number | undefined;
}

/** A served resource resolved for serving. */
export interface ResourceEntry extends ServedResource {
  /** The route name: `pods`, `deployments.apps`. */
  readonly route: string;
  readonly listKind: string;
  readonly apiVersion: string;
  readonly isSecret: boolean;
  /** The sync time: `syncedAt()` or the recorded first sync. */
  lastSyncedAt(): number | undefined;
  /**
   * What remembered answers are valid for: resourceVersion, size and change count; undefined
   * before the first sync (nothing is remembered then).
   */
  version(): string | undefined;
}

/** The route name of a resource: `pods` (core group) or `deployments.apps`. */
export function routeName(id: ResourceId): string {
  return id.group === "" ? id.resource : `${id.resource}.${id.group}`;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The served resources by route name, and a way to remove the handlers registered for them. */
export interface Registry {
  readonly entries: Map<string, ResourceEntry>;
  /** Removes the change-counting handlers; remembered answers end (idempotent). */
  readonly close: () => void;
}

/**
 * Validates the served resources and indexes them by route name. Throws
 * `ApiInvalidOptionError` (`LOOKOUT_API_INVALID_OPTION`) naming the entry for a missing or
 * malformed field or a route name served twice.
 */
export function buildRegistry(resources: readonly ServedResource[]): Registry {
  if (!Array.isArray(resources)) {
    throw new ApiInvalidOptionError("resources", resources, "an array of served resources");
  }
  const out = new Map<string, ResourceEntry>();
  const registrations: HandlerRegistration[] = [];
  let closed = false;
  resources.forEach((r, i) => {
    const at = `resources[${i}]`;
    const id: unknown = r?.resource;
    if (typeof id !== "object" || id === null) {
      throw new ApiInvalidOptionError(`${at}.resource`, id, "a { group, version, resource }");
    }
    const { group, version, resource } = r.resource;
    if (typeof group !== "string" || (group !== "" && !NAME.test(group))) {
      throw new ApiInvalidOptionError(`${at}.resource.group`, group, 'a DNS subdomain or ""');
    }
    if (typeof version !== "string" || !NAME.test(version)) {
      throw new ApiInvalidOptionError(`${at}.resource.version`, version, "a version like v1");
    }
    if (typeof resource !== "string" || !NAME.test(resource) || resource.includes(".")) {
      throw new ApiInvalidOptionError(`${at}.resource.resource`, resource, "a plural like pods");
    }
    if (typeof r.kind !== "string" || r.kind === "") {
      throw new ApiInvalidOptionError(`${at}.kind`, r.kind, "a kind like Pod");
    }
    if (typeof r.namespaced !== "boolean") {
      throw new ApiInvalidOptionError(`${at}.namespaced`, r.namespaced, "a boolean");
    }
    const src: unknown = r.informer;
    if (typeof src !== "object" || src === null || typeof r.informer.hasSynced !== "function") {
      throw new ApiInvalidOptionError(`${at}.informer`, src, "an Informer (store, hasSynced)");
    }
    const route = routeName(r.resource);
    if (out.has(route)) {
      throw new ApiInvalidOptionError(`${at}.resource`, route, "a resource served only once");
    }
    let firstSync: number | undefined;
    if (r.syncedAt === undefined && typeof r.informer.waitForSync === "function") {
      if (r.informer.hasSynced()) firstSync = Date.now();
      else {
        r.informer.waitForSync().then(
          () => (firstSync = Date.now()),
          () => undefined, // closed before syncing: the sync time stays unknown
        );
      }
    }
    let changes = 0;
    const counted = typeof r.informer.addEventHandler === "function";
    if (counted) {
      const bump = (): void => void changes++;
      registrations.push(
        r.informer.addEventHandler!(
          { onAdd: bump, onUpdate: bump, onDelete: bump },
          { name: `cache-api:${route}` },
        ),
      );
    }
    const source = r.informer;
    out.set(route, {
      ...r,
      route,
      listKind: r.listKind ?? `${r.kind}List`,
      apiVersion: groupVersion(r.resource),
      isSecret: group === "" && resource === "secrets",
      lastSyncedAt: r.syncedAt ?? (() => source.lastSyncTime ?? firstSync),
      version: () => {
        const rv = source.lastSyncResourceVersion;
        if (rv === "" || (counted && closed)) return undefined;
        return `${rv}/${source.store.size}/${changes}`;
      },
    });
  });
  return {
    entries: out,
    close: () => {
      if (closed) return;
      closed = true;
      for (const r of registrations) r.remove();
      registrations.length = 0;
    },
  };
}
