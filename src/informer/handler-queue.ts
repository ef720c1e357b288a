/**
 * One registered event handler and its own unbounded FIFO of notifications (client-go's
 * processorListener). Ingestion only pushes; the queue drains asynchronously, awaiting a
 * handler's promise before its next notification, so a slow handler delays nobody else.
 */
import type { RawObject } from "../kube/index.ts";
import { HandlerFailedError } from "./errors.ts";
import { RingQueue } from "./ring-queue.ts";

/**
 * Delivered to `onDelete` for an object that vanished while the informer was not watching
 * (found missing on a relist): `object` is the last state the informer knew.
 */
export interface DeletedFinalStateUnknown {
  readonly type: "DeletedFinalStateUnknown";
  readonly key: string;
  readonly object: RawObject;
}

/**
 * Callbacks of one handler. Each may return a promise (any thenable): the next notification to
 * this handler waits for it. A throw or rejection is reported as `LOOKOUT_HANDLER_FAILED` and
 * skipped.
 * Objects are keyed by namespace/name, not UID: a delete and re-create under one key between
 * two observations arrives as `onUpdate` whose objects have different `uid`s.
 */
export interface EventHandler {
  /** A new key. `isInInitialList` is true for objects of the first sync (or a late handler's replay). */
  onAdd?(obj: RawObject, isInInitialList: boolean): void | PromiseLike<void>;
  /** A known key changed; also `onUpdate(obj, obj)`-like calls with the same RV on resync. */
  onUpdate?(oldObj: RawObject, newObj: RawObject): void | PromiseLike<void>;
  /** A key went away: the last state, or a tombstone when the deletion itself was missed. */
  onDelete?(obj: RawObject | DeletedFinalStateUnknown): void | PromiseLike<void>;
}

/** Options of one handler registration. */
export interface HandlerOptions {
  /** Deliver `onUpdate(obj, obj)` for every cached object this often (ms, min 1000). 0 = never. */
  readonly resyncPeriodMs?: number;
  /** Name used in errors and metrics; default `handler-N`. */
  readonly name?: string;
}

/** Returned by `addEventHandler`. */
export interface HandlerRegistration {
  readonly name: string;
  /** True once the informer has synced and every initial add was delivered to this handler. */
  hasSynced(): boolean;
  /** Stops delivery to this handler and drops its queue. Idempotent. */
  remove(): void;
}

/** Notification kinds. */
export const Kind = { add: 0, addInitial: 1, update: 2, delete: 3, deleteTombstone: 4 } as const;
type KindValue = (typeof Kind)[keyof typeof Kind];

const YIELD_EVERY = 512;

/**
 * Internal: a handler with its queue. A notification is one slot in each of three rings:
 * its kind, its object (the new, added or deleted one) and an extra (the old object of an
 * update, the key of a tombstone), so queueing allocates nothing.
 */
export class HandlerQueue {
  readonly name: string;
  readonly resyncPeriodMs: number;
  /** Clock time at which the next resync is due (Infinity when resync is off). */
  nextResyncAt: number;
  readonly #handler: EventHandler;
  readonly #kinds = new RingQueue<KindValue>(1024);
  readonly #objs = new RingQueue<RawObject>(1024);
  readonly #extras = new RingQueue<RawObject | string | undefined>(1024);
  readonly #onError: (err: HandlerFailedError) => void;
  #draining = false;
  #stopped = false;
  #initialEnqueued = false;
  #initialPending = 0;

  constructor(
    name: string,
    handler: EventHandler,
    resyncPeriodMs: number,
    now: number,
    onError: (err: HandlerFailedError) => void,
  ) {
    this.name = name;
    this.#handler = handler;
    this.resyncPeriodMs = resyncPeriodMs;
    this.nextResyncAt = resyncPeriodMs > 0 ? now + resyncPeriodMs : Number.POSITIVE_INFINITY;
    this.#onError = onError;
  }

  /** Pending notifications. */
  get depth(): number {
    return this.#kinds.length;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Queues a notification and makes sure the drain loop runs. `extra` is the old object of an
   * update, or the key of a tombstone (`deleteTombstone`, `obj` = last known state).
   */
  push(kind: KindValue, obj: RawObject, extra?: RawObject | string): void {
    if (this.#stopped) return;
    if (kind === Kind.addInitial) this.#initialPending++;
    this.#kinds.push(kind);
    this.#objs.push(obj);
    this.#extras.push(extra);
    if (!this.#draining) {
      this.#draining = true;
      void this.#drain();
    }
  }

  /** Called once every initial add for this handler has been queued. */
  markInitialEnqueued(): void {
    this.#initialEnqueued = true;
  }

  hasSynced(): boolean {
    return this.#initialEnqueued && this.#initialPending === 0 && !this.#stopped;
  }

  /** Drops the queue; nothing more is delivered. */
  stop(): void {
    this.#stopped = true;
    this.#kinds.clear();
    this.#objs.clear();
    this.#extras.clear();
  }

  /** Delivers one notification; returns the handler's result (maybe a promise). */
  #deliver(kind: KindValue, obj: RawObject, extra: RawObject | string | undefined): unknown {
    const h = this.#handler;
    switch (kind) {
      case Kind.add:
      case Kind.addInitial:
        return h.onAdd?.(obj, kind === Kind.addInitial);
      case Kind.update:
        return typeof extra === "object" ? h.onUpdate?.(extra, obj) : undefined;
      case Kind.delete:
        return h.onDelete?.(obj);
      default:
        return h.onDelete?.({
          type: "DeletedFinalStateUnknown",
          key: typeof extra === "string" ? extra : "",
          object: obj,
        });
    }
  }

  async #drain(): Promise<void> {
    // Start after the current synchronous ingestion step.
    await Promise.resolve();
    let sinceYield = 0;
    while (!this.#stopped && this.#kinds.length > 0) {
      const kind = this.#kinds.shift()!;
      const obj = this.#objs.shift()!;
      const extra = this.#extras.shift();
      try {
        const pending = this.#deliver(kind, obj, extra);
        // Any thenable, not only a native Promise: a foreign one's rejection must be reported.
        if (isThenable(pending)) {
          sinceYield = 0;
          // oxlint-disable-next-line eslint/no-await-in-loop -- one notification at a time, in order
          await pending;
        } else if (++sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          // oxlint-disable-next-line eslint/no-await-in-loop -- let I/O run between batches
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        if (!this.#stopped) this.#onError(new HandlerFailedError(this.name, callbackOf(kind), err));
      } finally {
        if (kind === Kind.addInitial) this.#initialPending--;
      }
    }
    this.#draining = false;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    "then" in value &&
    typeof value.then === "function"
  );
}

function callbackOf(kind: KindValue): "onAdd" | "onUpdate" | "onDelete" {
  return kind <= Kind.addInitial ? "onAdd" : kind === Kind.update ? "onUpdate" : "onDelete";
}
