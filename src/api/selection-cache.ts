/**
 * Remembers list answers per resource, namespace and selectors for as long as the cache stays
 * at the same resourceVersion (and size): the selected objects (references, never copies) and,
 * within a byte budget, the encoded body chunks. Repeated identical lists (a dashboard polling,
 * many replicas of a client) then skip the scan, the matching, the sort and the encoding. The
 * informer's resourceVersion changes with every change it applies, so an entry is never served
 * for a cache that changed. At most {@link MAX_ENTRIES} entries, least recently used evicted
 * first; kept bodies never exceed the budget in total.
 */
import type { RawObject } from "../kube/index.ts";

/** How many selections are kept. */
export const MAX_ENTRIES = 64;

/** One remembered list answer. */
export interface ListEntry {
  readonly rv: string;
  readonly size: number;
  readonly items: readonly RawObject[];
  /** The encoded body, once one was written whole within the budget. */
  chunks: readonly Buffer[] | undefined;
  bytes: number;
}

/** An LRU of list answers, valid while their cache's resourceVersion and size are unchanged. */
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
   * The entry for `key` while the cache is still at `rv` with `size` objects; otherwise a new
   * one from `compute()` (remembered unless `rv` is "").
   */
  get(key: string, rv: string, size: number, compute: () => RawObject[]): ListEntry {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#drop(key, hit);
      if (hit.rv === rv && hit.size === size && rv !== "") {
        this.#entries.set(key, hit);
        this.#bodyBytes += hit.bytes;
        return hit;
      }
    }
    const entry: ListEntry = { rv, size, items: compute(), chunks: undefined, bytes: 0 };
    if (rv === "") return entry;
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
