/**
 * Serving a list: choosing the state (current, exact RV, or a paging snapshot) from the
 * RV/limit/continue table of the API concepts doc, and building the page body by concatenating
 * stored JSON texts.
 */
import type { StoredObject, ResourceTable } from "./stored.ts";
import { sortedObjects } from "./stored.ts";
import type { ObjectStore } from "./store.ts";
import type { ParsedListOptions } from "./list-options.ts";
import { parseRv } from "./list-options.ts";
import { decodeContinue, encodeContinue } from "./continue-token.ts";
import { badRequest, expired } from "./status.ts";
import { groupVersion } from "../kube/resource.ts";

const CONTINUE_EXPIRED =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

interface Snapshot {
  readonly objects: StoredObject[];
  createdAt: number;
}

/** Paging snapshots: the sorted objects of a table at the first page's RV, kept for the TTL. */
export class Snapshots {
  readonly #byKey = new Map<string, Snapshot>();
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(ttlMs: number, clock: () => number) {
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  #prune(): void {
    const now = this.#clock();
    for (const [k, s] of this.#byKey) if (now - s.createdAt > this.#ttlMs) this.#byKey.delete(k);
  }

  /**
   * Keeps `objects` as the state of `table` at `rv`. Its age counts from the first page of a
   * list: later pages (`firstPage` false) never extend it; a new list starting at the same RV
   * (`firstPage` true) restarts it, since the pages share the snapshot.
   */
  keep(table: ResourceTable, rv: number, objects: StoredObject[], firstPage: boolean): void {
    this.#prune();
    const key = `${table.id}@${rv}`;
    const s = this.#byKey.get(key);
    if (s === undefined) this.#byKey.set(key, { objects, createdAt: this.#clock() });
    else if (firstPage) s.createdAt = this.#clock();
  }

  /** The kept state, or undefined when it expired or never existed. */
  find(table: ResourceTable, rv: number): StoredObject[] | undefined {
    this.#prune();
    return this.#byKey.get(`${table.id}@${rv}`)?.objects;
  }

  /** Expires every snapshot: outstanding continue tokens get 410. */
  clear(): void {
    this.#byKey.clear();
  }
}

/** First index in sorted `objects` whose key is >= `key`. */
function lowerBound(objects: readonly StoredObject[], key: string): number {
  let lo = 0;
  let hi = objects.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (objects[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when `o` passes the namespace and selectors of a list/watch. */
export function matches(
  o: StoredObject,
  namespace: string,
  opts: Pick<ParsedListOptions, "labelMatcher" | "fieldMatcher">,
): boolean {
  if (namespace !== "" && o.namespace !== namespace) return false;
  if (opts.labelMatcher !== undefined && !opts.labelMatcher(o.labels)) return false;
  if (opts.fieldMatcher !== undefined && !opts.fieldMatcher(o.object)) return false;
  return true;
}

/** What the RV/limit/continue table resolved a list request to. */
export interface ListPlan {
  /** Sorted state to read from. */
  readonly objects: StoredObject[];
  /** The list's metadata.resourceVersion. */
  readonly rv: number;
  /** Key to start at (inclusive). */
  readonly start: string;
  readonly limit: number | undefined;
}

/**
 * Resolves the list request to a state. Returns `{ waitFor }` when the requested RV is newer
 * than the store's (the caller waits, then retries or answers 504). Throws 400/410 SimErrors.
 */
export function planList(
  store: ObjectStore,
  snapshots: Snapshots,
  table: ResourceTable,
  opts: ParsedListOptions,
): ListPlan | { readonly waitFor: number } {
  if (opts.continueToken !== undefined) {
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== "0") {
      throw badRequest("specifying resource version is not allowed when using continue");
    }
    const token = decodeContinue(opts.continueToken);
    if (token.rv === -1) {
      return { objects: sortedObjects(table), rv: store.rv, start: token.start, limit: opts.limit };
    }
    const objects = snapshots.find(table, token.rv);
    if (objects === undefined) {
      throw expired(CONTINUE_EXPIRED, encodeContinue(-1, token.start));
    }
    return { objects, rv: token.rv, start: token.start, limit: opts.limit };
  }
  const rvText = opts.resourceVersion;
  if (rvText === undefined) {
    return { objects: sortedObjects(table), rv: store.rv, start: "", limit: opts.limit };
  }
  if (rvText === "0") {
    // "Any": served from the watch cache, which ignores limit.
    return { objects: sortedObjects(table), rv: store.rv, start: "", limit: undefined };
  }
  const rv = parseRv(rvText);
  if (rv > store.rv) return { waitFor: rv };
  const exact =
    opts.resourceVersionMatch === "Exact" ||
    (opts.resourceVersionMatch === undefined && opts.limit !== undefined);
  if (!exact) {
    return { objects: sortedObjects(table), rv: store.rv, start: "", limit: opts.limit };
  }
  return { objects: store.stateAt(table, rv), rv, start: "", limit: opts.limit };
}

/**
 * Builds the JSON body of one list page, keeping a snapshot when it hands out a token. With
 * `metadataApiVersion` (e.g. `meta.k8s.io/v1`) the page is a `PartialObjectMetadataList` of
 * `PartialObjectMetadata` items (same paging, RV and selector rules); otherwise whole objects.
 */
export function renderList(
  table: ResourceTable,
  plan: ListPlan,
  namespace: string,
  opts: ParsedListOptions,
  snapshots: Snapshots,
  metadataApiVersion?: string,
): string {
  const { objects } = plan;
  let i = lowerBound(objects, plan.start);
  let end = objects.length;
  if (namespace !== "" && table.def.namespaced) {
    i = Math.max(i, lowerBound(objects, `${namespace}/`));
    end = lowerBound(objects, `${namespace}0`); // "0" sorts right after "/"
  }
  const parts: string[] = [];
  const limit = plan.limit ?? Number.POSITIVE_INFINITY;
  let lastKey = "";
  for (; i < end && parts.length < limit; i++) {
    const o = objects[i]!;
    if (!matches(o, namespace, opts)) continue;
    parts.push(metadataApiVersion === undefined ? o.json : o.partialJson(metadataApiVersion));
    lastKey = o.key;
  }
  let meta = `"resourceVersion":"${plan.rv}"`;
  if (i < end && plan.limit !== undefined) {
    if (plan.rv !== -1) snapshots.keep(table, plan.rv, objects, opts.continueToken === undefined);
    meta += `,"continue":"${encodeContinue(plan.rv, `${lastKey}\u0000`)}"`;
    if (!opts.hasSelectors) meta += `,"remainingItemCount":${end - i}`;
  }
  if (metadataApiVersion !== undefined) {
    return `{"kind":"PartialObjectMetadataList","apiVersion":"${metadataApiVersion}","metadata":{${meta}},"items":[${parts.join(",")}]}`;
  }
  const def = table.def;
  const listKind = def.listKind ?? `${def.kind}List`;
  return `{"kind":"${listKind}","apiVersion":"${groupVersion(def)}","metadata":{${meta}},"items":[${parts.join(",")}]}`;
}
