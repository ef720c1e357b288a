/**
 * The open watches of a cluster, by resource table. Dispatches each stored event to the
 * watchers of its table; inside `batch` the lines queue up and each watcher gets them as a
 * few large writes when the batch ends.
 */
import type { ResourceTable, StoredEvent } from "./stored.ts";
import type { Watcher } from "./watcher.ts";

/** Watchers by table, dispatch and batching. */
export class WatchHub {
  readonly #byTable = new Map<ResourceTable, Set<Watcher>>();
  readonly #dirty = new Set<Watcher>();
  #batchDepth = 0;

  /** Adds an open watcher. */
  add(w: Watcher): void {
    let set = this.#byTable.get(w.table);
    if (set === undefined) {
      set = new Set();
      this.#byTable.set(w.table, set);
    }
    set.add(w);
  }

  /** Removes a watcher (on close). */
  remove(w: Watcher): void {
    this.#byTable.get(w.table)?.delete(w);
    this.#dirty.delete(w);
  }

  /** Open watchers, optionally of one table, oldest first. */
  watchers(table?: ResourceTable): Watcher[] {
    const out: Watcher[] = [];
    for (const [t, set] of this.#byTable) {
      if (table !== undefined && t !== table) continue;
      for (const w of set) if (!w.done) out.push(w);
    }
    return out.sort((a, b) => a.opened - b.opened);
  }

  /** Sends `event` to the watchers of its table (deferred inside a batch). */
  dispatch(event: StoredEvent): void {
    const set = this.#byTable.get(event.table);
    if (set === undefined || set.size === 0) return;
    for (const w of set) {
      w.offer(event);
      if (this.#batchDepth > 0) this.#dirty.add(w);
      else w.flush();
    }
  }

  /** Runs `fn`; events it causes are written when the outermost batch returns (or throws). */
  batch<T>(fn: () => T): T {
    this.#batchDepth++;
    try {
      return fn();
    } finally {
      this.#batchDepth--;
      if (this.#batchDepth === 0) {
        const dirty = [...this.#dirty];
        this.#dirty.clear();
        for (const w of dirty) w.flush();
      }
    }
  }

  /** Destroys every watch connection. */
  destroyAll(): void {
    for (const set of this.#byTable.values()) for (const w of Array.from(set)) w.destroy();
    this.#byTable.clear();
    this.#dirty.clear();
  }
}
