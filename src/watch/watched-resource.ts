/**
 * What the composition root watches: the watched resources as configured, and the members they
 * expand to (one informer each: a namespace list and a namespace selector give one per
 * namespace). Pure, but for compiling `dropFields` to check them.
 */
import { compileDropFields, type EventResourceSpec } from "../events/index.ts";
import type { InformerLease } from "../informer/index.ts";
import { formatResourceId } from "../kube/index.ts";
import { LookoutInvalidResourcesError } from "./errors.ts";

/** One watched resource and what it feeds. */
export interface WatchedResource extends EventResourceSpec {
  /** Whether the resource lives in namespaces (default true). */
  readonly namespaced?: boolean;
  /** Publish its changes as events (default true when events are on). */
  readonly events?: boolean;
  /** Serve it from the cache API (default true). */
  readonly cache?: boolean;
  /** Hand it to the plugins as one of the watched resources (default true). */
  readonly metrics?: boolean;
  /**
   * Watch the namespaces whose labels match this label selector, one informer each, following
   * namespaces as they are created, deleted or relabelled (instead of `namespace`).
   */
  readonly namespaceSelector?: string;
  /** JSON pointers (RFC 6901) removed from every object before it is cached or published. */
  readonly dropFields?: readonly string[];
}

/** What a reconfiguration changed. */
export interface WatchUpdate {
  /** Watches started (new, or changed and restarted). */
  readonly started: number;
  /** Watches stopped (removed, or changed and restarted). */
  readonly stopped: number;
  /** Watches left running. */
  readonly kept: number;
}

/** One running watch of the composition root. */
export interface Member {
  readonly key: string;
  /** The resource with a concrete namespace (or none), without `namespaceSelector`. */
  readonly spec: WatchedResource;
  readonly lease: InformerLease;
}

/** The namespaces a selector selects now; undefined until known. */
export interface NamespaceLookup {
  selected(selector: string): readonly string[] | undefined;
}

/** The identity of a member: any difference is another watch. */
export function memberKey(r: WatchedResource): string {
  return JSON.stringify([
    formatResourceId(r.resource),
    r.namespace ?? "",
    r.labelSelector ?? "",
    r.fieldSelector ?? "",
    r.pageSize ?? 0,
    r.dropFields ?? [],
    r.transformKey ?? "",
    r.kind,
    r.namespaced ?? true,
    r.events ?? true,
    r.cache ?? true,
    r.metrics ?? true,
  ]);
}

/** The members of `resources`, namespace selectors expanded to what `lookup` selects now. */
export function memberSpecs(
  resources: readonly WatchedResource[],
  lookup: NamespaceLookup,
): WatchedResource[] {
  const out: WatchedResource[] = [];
  for (const r of resources) {
    if (r.namespaceSelector === undefined) {
      out.push(r);
      continue;
    }
    const { namespaceSelector, ...rest } = r;
    for (const namespace of lookup.selected(namespaceSelector) ?? []) {
      out.push({ ...rest, namespace });
    }
  }
  return out;
}

/**
 * Checks a watched-resource list. Throws `LookoutInvalidResourcesError` naming every problem:
 * a missing resource, both `namespace` and `namespaceSelector`, a namespace (or selector) on a
 * cluster-scoped resource, a bad `dropFields` pointer, two entries feeding the cache with one
 * resource in two versions (one route serves one), and two entries feeding events whose
 * selections may overlap (one resource in any versions, and the same namespace or no fixed
 * namespace, `""` included, on one side): each object's changes must be recorded once.
 */
export function checkResources(resources: readonly WatchedResource[]): void {
  if (!Array.isArray(resources)) {
    throw new LookoutInvalidResourcesError([
      `resources: expected an array, got ${typeof resources}`,
    ]);
  }
  const problems: string[] = [];
  const eventful = new Map<string, { at: string; namespace: string | undefined }[]>();
  const servedVersion = new Map<string, { at: string; version: string }>();
  resources.forEach((r, i) => {
    const at = `resources[${i}]`;
    if (typeof r?.resource !== "object" || r.resource === null) {
      problems.push(`${at}.resource: expected { group, version, resource }`);
      return;
    }
    if (r.namespace !== undefined && r.namespaceSelector !== undefined) {
      problems.push(`${at}: namespace and namespaceSelector are exclusive`);
    }
    if (
      r.namespaced === false &&
      ((r.namespace !== undefined && r.namespace !== "") || r.namespaceSelector !== undefined)
    ) {
      problems.push(
        `${at}: ${formatResourceId(r.resource)} is cluster-scoped: no namespace applies`,
      );
    }
    if (r.pageSize !== undefined && !(Number.isSafeInteger(r.pageSize) && r.pageSize >= 1)) {
      problems.push(`${at}.pageSize: expected an integer ≥ 1, got ${String(r.pageSize)}`);
    }
    try {
      compileDropFields(r.dropFields ?? []);
    } catch (error: unknown) {
      problems.push(`${at}.dropFields: ${error instanceof Error ? error.message : String(error)}`);
    }
    // One resource in any of its versions: the same objects, served on one route.
    const objects = `${r.resource.group}/${r.resource.resource}`;
    if (r.cache !== false) {
      const other = servedVersion.get(objects);
      if (other !== undefined && other.version !== r.resource.version) {
        problems.push(
          `${at}: the cache API serves ${r.resource.resource} in one version; ${other.at} has ${other.version}, this one ${r.resource.version}`,
        );
      } else servedVersion.set(objects, { at, version: r.resource.version });
    }
    if (r.events === false) return;
    const id = formatResourceId(r.resource);
    // "" is every namespace, as for the informer.
    const fixed = r.namespaceSelector === undefined && r.namespace !== "" ? r.namespace : undefined;
    const seen = eventful.get(objects) ?? [];
    for (const other of seen) {
      if (fixed === undefined || other.namespace === undefined || other.namespace === fixed) {
        problems.push(
          `${at}: its events may repeat those of ${other.at} (${id}${fixed === undefined ? "" : ` in ${fixed}`}); ` +
            "give one of them events: false, or split them by namespace",
        );
      }
    }
    seen.push({ at, namespace: fixed });
    eventful.set(objects, seen);
  });
  if (problems.length > 0) throw new LookoutInvalidResourcesError(problems);
}
