/**
 * One served resource backed by several caches: the informers of one resource in several
 * namespaces (a namespace list, or namespaces selected by label), or of several watch entries
 * with different selectors. Reads go to every member; an object cached by two members (entries
 * whose selections overlap) is listed once.
 */
import type {
  EventHandler,
  HandlerOptions,
  HandlerRegistration,
  ReadonlyStore,
} from "../informer/index.ts";
import type { RawObject } from "../kube/index.ts";
import type { CacheSource } from "./registry.ts";

/**
 * A {@link CacheSource} over `members` (fixed at construction: build a new one when the set
 * changes). It has synced when every member has; with no member it has synced (nothing to
 * serve: e.g. no namespace matches a selector yet). Its resourceVersion is "" while any member
 * has none, else the lowest of the members' (compared as numbers when all are decimal, as
 * etcd-backed servers give them): the cache holds at least everything up to it, while a higher
 * one would claim changes a lagging member has not received yet. Otherwise it is "" (opaque
 * versions cannot be ordered).
 */
export function compositeSource(members: readonly CacheSource[]): CacheSource {
  if (members.length === 1) return members[0]!;
  const list = [...members];
  return {
    store: compositeStore(list.map((m) => m.store)),
    get lastSyncResourceVersion(): string {
      return lowestVersion(list.map((m) => m.lastSyncResourceVersion));
    },
    hasSynced: () => list.every((m) => m.hasSynced()),
    // A member that cannot list (a namespace selected later and forbidden) must not make the
    // others unreadable: the cache answers once one member has synced, without the rest.
    canAnswer: () => list.length === 0 || list.some((m) => m.hasSynced()),
    // Known in sync when every member was: the oldest member's time.
    get lastSyncTime(): number | undefined {
      let oldest: number | undefined;
      for (const m of list) {
        const t = m.lastSyncTime;
        if (t === undefined) return undefined;
        if (oldest === undefined || t < oldest) oldest = t;
      }
      return oldest;
    },
    waitForSync: async (signal?: AbortSignal) => {
      await Promise.all(list.map((m) => m.waitForSync?.(signal) ?? Promise.resolve()));
    },
    addEventHandler: (handler: EventHandler, options?: HandlerOptions): HandlerRegistration => {
      const regs = list.flatMap((m) =>
        m.addEventHandler === undefined ? [] : [m.addEventHandler(handler, options)],
      );
      return {
        name: regs[0]?.name ?? options?.name ?? "composite",
        hasSynced: () => regs.every((r) => r.hasSynced()),
        remove: () => {
          for (const r of regs) r.remove();
        },
      };
    },
  };
}

const DECIMAL = /^[0-9]{1,15}$/;

function lowestVersion(versions: readonly string[]): string {
  if (versions.length === 0 || versions.includes("")) return "";
  if (!versions.every((v) => DECIMAL.test(v))) return "";
  let low = versions[0]!;
  for (const v of versions) if (Number(v) < Number(low)) low = v;
  return low;
}

function compositeStore(stores: readonly ReadonlyStore[]): ReadonlyStore {
  return {
    /** The members' sizes added (an object two members cache counts twice). */
    get size(): number {
      let n = 0;
      for (const s of stores) n += s.size;
      return n;
    },
    get: (key) => first(stores, (s) => s.get(key)),
    getByKey: (namespace, name) => first(stores, (s) => s.getByKey(namespace, name)),
    list: () => unique(stores.map((s) => s.list())),
    keys: () => [...new Set(stores.flatMap((s) => s.keys()))],
    byIndex: (indexName, value) => unique(stores.map((s) => s.byIndex(indexName, value))),
    indexNames: () => {
      const [head, ...rest] = stores;
      if (head === undefined) return ["namespace"];
      return head.indexNames().filter((n) => rest.every((s) => s.indexNames().includes(n)));
    },
  };
}

/** The objects of `lists`, each key once (the first member's copy). */
function unique(lists: RawObject[][]): RawObject[] {
  if (lists.length === 1) return lists[0]!;
  const seen = new Set<string>();
  return lists.flat().filter((o) => {
    const key = `${o.namespace}/${o.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function first(
  stores: readonly ReadonlyStore[],
  read: (s: ReadonlyStore) => RawObject | undefined,
): RawObject | undefined {
  for (const s of stores) {
    const found = read(s);
    if (found !== undefined) return found;
  }
  return undefined;
}
