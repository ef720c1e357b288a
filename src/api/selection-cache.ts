/**
 * Remembers list answers per resource, namespace and selectors for as long as the cache stays
 * at the same version (resourceVersion, size and change count: `ResourceEntry.version()`): the
 * selected objects (references, never copies) and,
 * within a byte budget, the encoded body chunks. Repeated identical lists (a dashboard polling,
 * many replicas of a client) then skip the scan, the matching, the sort and the encoding. The
 * informer's resourceVersion changes with every event it applies, and the change count with
 * every change its handlers are told of (a relist at the same resourceVersion too, a moment
 * later), so an entry is not served for a cache that changed. At most {@link MAX_ENTRIES} entries, least recently used evicted
 * first; kept bodies never exceed the budget in total.
 */
import type { RawObject } from "../kube/index.ts";

/** How many selections are kept. */
export const MAX_ENTRIES = 64;

/** One remembered list answer. */
export interface ListEntry {
  readonly version: string;
  readonly items: readonly RawObject[];
  /** The encoded body, once one was written whole within the budget. */
  chunks: readonly Buffer[] | undefined;
  bytes: number;
}

/** An LRU of list answers, valid while their cache's version is unchanged. */
export class SelectionCache {
  readonly #entries = new Map<string, ListEntry>();
  readonly #budget: number;
  #bodyBytes = 0;

  /** `bodyBudget`: bytes of kept bodies in total (0 keeps none). */
  constructor(bodyBudget: number) {
    this.#budget = bodyBudget;
  }

  /** Bytes of kept bodies. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /**
   * The entry for `key` while the cache is still at `version`; otherwise a new one from
   * `compute()` (remembered unless `version` is undefined).
   */
  get(key: string, version: string | undefined, compute: () => RawObject[]): ListEntry {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#drop(key, hit);
      if (version !== undefined && hit.version === version) {
        this.#entries.set(key, hit);
        this.#bodyBytes += hit.bytes;
        return hit;
      }
    }
    const entry: ListEntry = {
      version: version ?? "",
      items: compute(),
      chunks: undefined,
      bytes: 0,
    };
    if (version === undefined) return entry;
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_ENTRIES) this.#evictOldest();
    return entry;
  }

  /** True when a body of `bytes` more may still be collected for a new entry. */
  fits(bytes: number): boolean {
    return bytes <= this.#budget;
  }

  /**
   * Keeps `chunks` (`bytes` in total) as `entry`'s body when it fits the budget, evicting the
   * least recently used bodies to make room. A no-op for an entry no longer remembered.
   */
  keepBody(key: string, entry: ListEntry, chunks: readonly Buffer[], bytes: number): void {
    if (bytes > this.#budget || this.#entries.get(key) !== entry || entry.chunks !== undefined) {
      return;
    }
    for (const e of this.#entries.values()) {
      if (this.#bodyBytes + bytes <= this.#budget) break;
      if (e.chunks === undefined || e === entry) continue;
      this.#bodyBytes -= e.bytes;
      e.chunks = undefined;
      e.bytes = 0;
    }
    if (this.#bodyBytes + bytes > this.#budget) return;
    entry.chunks = chunks;
    entry.bytes = bytes;
    this.#bodyBytes += bytes;
  }

  #drop(key: string, entry: ListEntry): void {
    this.#entries.delete(key);
    this.#bodyBytes -= entry.bytes;
  }

  #evictOldest(): void {
    const oldest = this.#entries.entries().next();
    if (oldest.done !== true) this.#drop(oldest.value[0], oldest.value[1]);
  }
}
