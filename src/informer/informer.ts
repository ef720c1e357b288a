/**
 * The shared informer: a reflector feeding a store, and event handlers each with their own
 * queue. See {@link Informer}.
 */
import { formatResourceId, rawObjectFromObject, type RawObject } from "../kube/index.ts";
import { codeOf } from "./classify.ts";
import { InformerClosedError, InvalidInformerOptionError, TransformFailedError } from "./errors.ts";
import type { EventHandler, HandlerOptions, HandlerRegistration } from "./handler-queue.ts";
import { HandlerQueue, Kind } from "./handler-queue.ts";
import { Deltas } from "./deltas.ts";
import type { InformerOptions, ResolvedOptions } from "./options.ts";
import { resolveOptions } from "./options.ts";
import type { ReflectorTarget } from "./reflector.ts";
import { Reflector } from "./reflector.ts";
import type { IndexFunc, ReadonlyStore } from "./store.ts";
import { namespaceIndex, objectKey, Store } from "./store.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

const MIN_RESYNC_MS = 1000;

/**
 * A client-go-grade informer for one resource (optionally one namespace and selectors).
 *
 * - Lists (paged, or streamed with WatchList), then watches, and never gives up: failures go to
 *   the logger and the metrics hook, then it retries with backoff.
 * - Keeps RawObjects in {@link store}, keyed `namespace/name`, with a `namespace` index and
 *   any custom ones.
 * - Notifies handlers (`addEventHandler`), each through its own unbounded queue.
 *
 * Identity is namespace/name, not UID: a delete and re-create between two observations (e.g.
 * across a relist) arrives as `onUpdate(old, new)` with `old.uid !== new.uid`.
 *
 * The constructor validates options (`LOOKOUT_INFORMER_INVALID_OPTION`) and does no I/O.
 */
export class Informer implements AsyncDisposable {
  readonly #o: ResolvedOptions;
  readonly #store = new Store((err) => this.#report(err, "index"));
  readonly #reflector: Reflector;
  readonly #resourceName: string;
  readonly #handlers: HandlerQueue[] = [];
  readonly #deltas: Deltas;
  readonly #abort = new AbortController();
  readonly #waiters = new Set<{ resolve: () => void; reject: (err: unknown) => void }>();
  #handlerSeq = 0;
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #synced = false;
  #resyncTimer: unknown;
  #onUserAbort: (() => void) | undefined;

  constructor(options: InformerOptions) {
    this.#o = resolveOptions(options);
    this.#resourceName = formatResourceId(this.#o.resource);
    this.#deltas = new Deltas(this.#store, this.#handlers, this.#o.now);
    this.#store.addIndex("namespace", namespaceIndex);
    for (const [name, fn] of Object.entries(this.#o.indexers)) this.#store.addIndex(name, fn);
    const target: ReflectorTarget = {
      replace: (items) => this.#replace(items),
      apply: (type, key, obj) => this.#apply(type, key, obj),
      prepare: (obj) => this.#prepare(obj),
      report: (err, phase) => this.#report(err, phase),
      log: (level, message, fields) => {
        try {
          this.#o.logger[level](message, { resource: this.#resourceName, ...fields });
        } catch {
          // A logger that throws must not stop the informer.
        }
      },
    };
    this.#reflector = new Reflector(this.#o, target, this.#resourceName);
  }

  /** The cache. Read-only for consumers. */
  get store(): ReadonlyStore {
    return this.#store;
  }

  /** `v1/pods`, `apps/v1/deployments`: the watched resource. */
  get resource(): string {
    return this.#resourceName;
  }

  /** The resourceVersion of the last list, watch event or bookmark applied; "" before sync. */
  get lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion;
  }

  /**
   * When the cache was last known in sync with the API server (the `now` option's ms, epoch ms
   * by default): its last list, or the last watch event after it, bookmarks included (an API
   * server sends one about every minute on a quiet watch). Undefined before the first sync.
   */
  get lastSyncTime(): number | undefined {
    return this.#reflector.lastSyncTime;
  }

  /**
   * Syncs again from a fresh list now (ending the current watch): the cache is replaced and the
   * handlers get the differences (adds, updates with the old state, deletes as tombstones), as
   * after a 410. For a cache found to disagree with the API server (missed events). A no-op
   * before `start()` or after `close()`.
   */
  relist(): void {
    if (this.#started === undefined || this.#closed !== undefined) return;
    this.#reflector.requestRelist();
  }

  /** True once the first list (or streamed list) has been applied to the store. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /**
   * Starts listing and watching. Memoized: every call returns the same promise, which resolves
   * when the informer first syncs, or when it is closed before that. Never rejects. A no-op
   * after `close()`.
   */
  start(): Promise<void> {
    if (this.#started !== undefined) return this.#started;
    if (this.#closed !== undefined || this.#abort.signal.aborted) {
      this.#started = Promise.resolve();
      return this.#started;
    }
    const user = this.#o.signal;
    if (user !== undefined) {
      if (user.aborted) {
        this.#started = Promise.resolve();
        void this.close();
        return this.#started;
      }
      this.#onUserAbort = () => void this.close();
      user.addEventListener("abort", this.#onUserAbort, { once: true });
    }
    this.#loop = this.#reflector.run(this.#abort.signal).catch((err: unknown) => {
      // The reflector never rejects; this is a last-resort guard.
      this.#report(err, "reflector");
    });
    this.#scheduleResync();
    this.#started = this.waitForSync().catch(() => undefined);
    return this.#started;
  }

  /**
   * Resolves once the informer has synced (at once if it has). Rejects with `signal.reason`
   * when `signal` aborts first, and with `LOOKOUT_INFORMER_CLOSED` when the informer closes
   * first. Does not start the informer.
   */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    if (this.#closed !== undefined) return Promise.reject(new InformerClosedError());
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal?.reason as unknown);
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err: unknown) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Registers a handler. It receives the current cache as adds (`isInInitialList` true), then
   * every change, through its own FIFO. Works before or after `start()`. Throws
   * `LOOKOUT_INFORMER_INVALID_OPTION` for a bad `resyncPeriodMs` (values in (0, 1000) become 1000).
   */
  addEventHandler(handler: EventHandler, options: HandlerOptions = {}): HandlerRegistration {
    if (typeof handler !== "object" || handler === null) {
      throw new InvalidInformerOptionError(
        "handler",
        handler,
        "an object with onAdd/onUpdate/onDelete",
      );
    }
    let period = options.resyncPeriodMs ?? 0;
    if (
      typeof period !== "number" ||
      !Number.isFinite(period) ||
      period < 0 ||
      period > MAX_TIMER_MS
    ) {
      throw new InvalidInformerOptionError("resyncPeriodMs", period, "0 to 2^31-1 ms");
    }
    if (period > 0 && period < MIN_RESYNC_MS) period = MIN_RESYNC_MS;
    const name = options.name ?? `handler-${++this.#handlerSeq}`;
    const queue = new HandlerQueue(name, handler, period, this.#o.now(), (err) =>
      this.#report(err, "handler"),
    );
    if (this.#closed !== undefined) {
      queue.stop();
    } else {
      this.#handlers.push(queue);
      if (this.#synced) {
        for (const obj of this.#store.entries()) queue.push(Kind.addInitial, obj[1]);
        queue.markInitialEnqueued();
        this.#reportDepth(queue);
      }
      if (period > 0) this.#scheduleResync();
    }
    return {
      name,
      hasSynced: () => this.#synced && queue.hasSynced(),
      remove: () => {
        queue.stop();
        const i = this.#handlers.indexOf(queue);
        if (i !== -1) this.#handlers.splice(i, 1);
      },
    };
  }

  /**
   * Adds an index, built at once for the cached objects. Throws `LOOKOUT_INFORMER_INVALID_OPTION`
   * when the name is taken or `fn` is not a function. An object `fn` throws for is reported
   * (`LOOKOUT_INFORMER_INDEX_FAILED`) and left out of this index only.
   */
  addIndexer(name: string, fn: IndexFunc): void {
    if (typeof fn !== "function")
      throw new InvalidInformerOptionError(`indexers.${name}`, fn, "a function");
    this.#store.addIndex(name, fn);
  }

  /**
   * Stops everything: aborts the list/watch, stops timers, drops handler queues (nothing more
   * is delivered). Idempotent: every call returns the same promise, resolved once the loop has
   * ended. Never rejects.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#abort.abort(new InformerClosedError());
    if (this.#onUserAbort !== undefined) {
      this.#o.signal?.removeEventListener("abort", this.#onUserAbort);
    }
    if (this.#resyncTimer !== undefined) {
      this.#o.timers.clearTimeout(this.#resyncTimer);
      this.#resyncTimer = undefined;
    }
    for (const h of this.#handlers) h.stop();
    this.#handlers.length = 0;
    for (const w of this.#waiters) w.reject(new InformerClosedError());
    this.#waiters.clear();
    const loop = this.#loop ?? Promise.resolve();
    this.#closed = loop.then(() => undefined);
    return this.#closed;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The transformed object, or undefined (reported) when the transform fails for it. */
  #prepare(obj: RawObject): RawObject | undefined {
    const transform = this.#o.transform;
    if (transform === undefined) return obj;
    try {
      return rawObjectFromObject(transform(obj.object), {
        stripManagedFields: this.#o.stripManagedFields,
      });
    } catch (err) {
      this.#report(new TransformFailedError(objectKey(obj.namespace, obj.name), err), "transform");
      return undefined;
    }
  }

  /** The one error sink: logger, then metrics hook. Never throws (a throwing hook is ignored). */
  #report(err: unknown, phase: string): void {
    try {
      this.#o.logger.warn("informer error", {
        resource: this.#resourceName,
        phase,
        code: codeOf(err),
        error: err,
      });
    } catch {
      // A logger that throws must not stop the informer.
    }
    // Metrics hooks are guarded (guarded-metrics.ts): they never throw here.
    this.#o.metrics.error?.({ resource: this.#resourceName, error: err });
  }

  #reportDepth(h: HandlerQueue): void {
    this.#o.metrics.handlerQueueDepth?.({
      resource: this.#resourceName,
      handler: h.name,
      depth: h.depth,
    });
  }

  #afterChange(): void {
    const m = this.#o.metrics;
    if (m.objectsCached !== undefined) {
      m.objectsCached({ resource: this.#resourceName, count: this.#store.size });
    }
    if (m.handlerQueueDepth !== undefined) for (const h of this.#handlers) this.#reportDepth(h);
  }

  #apply(type: "ADDED" | "MODIFIED" | "DELETED", key: string, obj: RawObject): void {
    if (this.#closed !== undefined) return;
    this.#deltas.apply(type, key, obj);
    this.#afterChange();
  }

  #replace(items: Map<string, RawObject>): void {
    if (this.#closed !== undefined) return;
    const initial = !this.#synced;
    this.#deltas.replace(items, initial);
    if (initial) {
      this.#synced = true;
      for (const h of this.#handlers) h.markInitialEnqueued();
      for (const w of this.#waiters) w.resolve();
      this.#waiters.clear();
    }
    this.#afterChange();
  }

  /** One timer at the smallest due resync; due handlers get onUpdate(obj, obj) for everything. */
  #scheduleResync(): void {
    if (this.#closed !== undefined || (this.#started === undefined && this.#loop === undefined)) {
      return;
    }
    let next = Number.POSITIVE_INFINITY;
    for (const h of this.#handlers) if (h.nextResyncAt < next) next = h.nextResyncAt;
    if (next === Number.POSITIVE_INFINITY) return;
    if (this.#resyncTimer !== undefined) this.#o.timers.clearTimeout(this.#resyncTimer);
    const delay = Math.max(0, next - this.#o.now());
    this.#resyncTimer = this.#o.timers.setTimeout(() => {
      this.#resyncTimer = undefined;
      this.#resync();
      this.#scheduleResync();
    }, delay);
  }

  #resync(): void {
    const now = this.#o.now();
    for (const h of this.#handlers) {
      if (h.nextResyncAt > now) continue;
      h.nextResyncAt = now + h.resyncPeriodMs;
      if (!this.#synced) continue;
      for (const [, obj] of this.#store.entries()) h.push(Kind.update, obj, obj);
      this.#reportDepth(h);
    }
  }
}
