/**
 * Applying changes to the store and turning them into handler notifications (client-go
 * controller.go `processDeltas` with a RealFIFO): watch events one by one, and a relist as one
 * Replace. An update whose resourceVersion did not change is a sync and goes only to handlers
 * whose resync is due.
 */
import type { RawObject } from "../kube/index.ts";
import { Kind, type HandlerQueue } from "./handler-queue.ts";
import type { Store } from "./store.ts";

type KindValue = (typeof Kind)[keyof typeof Kind];

/** Internal: the store plus the handlers it notifies. */
export class Deltas {
  readonly #store: Store;
  readonly #handlers: readonly HandlerQueue[];
  readonly #now: () => number;

  constructor(store: Store, handlers: readonly HandlerQueue[], now: () => number) {
    this.#store = store;
    this.#handlers = handlers;
    this.#now = now;
  }

  /** One watch event. A DELETED for an unknown key is dropped (client-go DeltaFIFO). */
  apply(type: "ADDED" | "MODIFIED" | "DELETED", key: string, obj: RawObject): void {
    if (type === "DELETED") {
      // The event carries the last state: that is what onDelete gets.
      if (this.#store.delete(key) !== undefined) this.#notify(Kind.delete, obj);
      return;
    }
    this.#upsert(key, obj, Kind.add);
  }

  /**
   * A relist: listed objects are added or updated (same RV: a sync), known keys not listed are
   * deleted with a `DeletedFinalStateUnknown` tombstone carrying the last known state.
   * `initial` marks adds as `isInInitialList`.
   */
  replace(items: Map<string, RawObject>, initial: boolean): void {
    const store = this.#store;
    const addKind = initial ? Kind.addInitial : Kind.add;
    for (const [key, obj] of items) this.#upsert(key, obj, addKind);
    // After the upserts, the store holds the union: anything beyond `items` has vanished.
    if (store.size > items.size) {
      const gone: string[] = [];
      for (const [key] of store.entries()) if (!items.has(key)) gone.push(key);
      for (const key of gone) this.#notify(Kind.deleteTombstone, store.delete(key)!, key);
    }
  }

  #upsert(key: string, obj: RawObject, addKind: KindValue): void {
    const old = this.#store.set(key, obj);
    if (old === undefined) this.#notify(addKind, obj);
    else if (old.resourceVersion !== obj.resourceVersion) this.#notify(Kind.update, obj, old);
    else this.#sync(old, obj);
  }

  #notify(kind: KindValue, obj: RawObject, extra?: RawObject | string): void {
    for (const h of this.#handlers) h.push(kind, obj, extra);
  }

  #sync(old: RawObject, obj: RawObject): void {
    const now = this.#now();
    for (const h of this.#handlers) if (h.nextResyncAt <= now) h.push(Kind.update, obj, old);
  }
}
