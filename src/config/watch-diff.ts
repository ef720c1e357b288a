/**
 * The pure part of live watch reconfiguration: which watch entries a new configuration adds,
 * removes or changes. The runtime stops and starts informers from this; nothing here does I/O.
 */
import type { WatchEntry } from "./schema.ts";

function namespacesKey(namespaces: WatchEntry["namespaces"]): string {
  if (namespaces === "all") return "all";
  if (Array.isArray(namespaces)) return `list:${[...new Set(namespaces)].sort().join(",")}`;
  return `selector:${normalizeSelector(namespaces.labelSelector)}`;
}

function normalizeSelector(selector: string | undefined): string {
  return (selector ?? "").replace(/\s+/g, "");
}

/**
 * The identity of a watch entry: what the API server is asked to list and watch (group,
 * version, resource, namespaces, label and field selector). Two entries with the same identity
 * are the same watch; whitespace in selectors and the order of a namespace list do not matter.
 */
export function watchIdentity(entry: WatchEntry): string {
  return JSON.stringify([
    entry.group,
    entry.version,
    entry.resource,
    namespacesKey(entry.namespaces),
    normalizeSelector(entry.labelSelector),
    normalizeSelector(entry.fieldSelector),
  ]);
}

/** A watch whose identity stayed but whose other settings (resync, page size, feeds ...) changed. */
export interface ChangedWatch {
  readonly old: WatchEntry;
  readonly next: WatchEntry;
}

/** What {@link diffWatchConfig} found. Each list keeps the order of the list it came from. */
export interface WatchDiff {
  /** In `next` only: start these. */
  readonly added: readonly WatchEntry[];
  /** In `old` only: stop these. */
  readonly removed: readonly WatchEntry[];
  /** Same identity, different settings: restart these. */
  readonly changed: readonly ChangedWatch[];
  /** Same identity and settings: keep their watch running. */
  readonly unchanged: readonly WatchEntry[];
}

function settingsKey(entry: WatchEntry): string {
  return JSON.stringify([
    entry.kind ?? null,
    entry.resyncSeconds,
    entry.pageSize,
    entry.dropFields,
    [...new Set(entry.feeds)].sort(),
  ]);
}

/**
 * Compares two validated watch lists by {@link watchIdentity}. Pure: same inputs, same result;
 * the inputs are not modified. If a list holds two entries of one identity (the schema refuses
 * that), the last one counts.
 */
export function diffWatchConfig(
  old: readonly WatchEntry[],
  next: readonly WatchEntry[],
): WatchDiff {
  const before = new Map(old.map((e) => [watchIdentity(e), e] as const));
  const after = new Map(next.map((e) => [watchIdentity(e), e] as const));
  const added: WatchEntry[] = [];
  const changed: ChangedWatch[] = [];
  const unchanged: WatchEntry[] = [];
  for (const [id, entry] of after) {
    const previous = before.get(id);
    if (previous === undefined) added.push(entry);
    else if (settingsKey(previous) === settingsKey(entry)) unchanged.push(entry);
    else changed.push({ old: previous, next: entry });
  }
  const removed = [...before].filter(([id]) => !after.has(id)).map(([, e]) => e);
  return { added, removed, changed, unchanged };
}
