/**
 * The recorder: an informer handler that turns each change of one resource into a snapshot
 * change and an outbox event, written together in one transaction per batch. At start, the
 * stored snapshots are the state before the restart: the first list is diffed against them
 * (changes made while the sidecar was down become events; unchanged objects give none).
 */
import { hash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { DeletedFinalStateUnknown, EventHandler } from "../informer/index.ts";
import type { RawObject, ResourceId } from "../kube/index.ts";
import { groupVersion } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { LookoutStore, OutboxInsert, OutboxRow, SnapshotMeta } from "../store/index.ts";
import { onlyMetadataNoise, onlyStatusChanged } from "./change-filter.ts";
import { resourceEvent } from "./cloud-event.ts";
import type { ChangeType, OutgoingEvent, ResourceChange } from "./event-types.ts";

/** What the recorder does when the outbox is at its bound. */
export type OutboxFullPolicy = "block" | "drop-oldest";

/** Options of a {@link ResourceRecorder}. */
export interface RecorderOptions {
  readonly store: LookoutStore;
  readonly resource: ResourceId;
  /** The resource's kind (list items carry none): set on objects that lack it. */
  readonly kind: string;
  /** Transforms an object before it is stored or published (Secret values → hashes). */
  readonly transform: (object: unknown, resource: ResourceId) => unknown;
  /** The subject of a change. */
  readonly subject: (change: ResourceChange) => string;
  /** `ce-source`: the cluster's name. */
  readonly source: string;
  readonly includeObject: boolean;
  /** Drop updates that change only `status` (the snapshot is still updated). */
  readonly dropStatusOnly: boolean;
  /**
   * Drop updates that change only `metadata.resourceVersion` or `metadata.managedFields`
   * (the snapshot is still updated). Default true.
   */
  readonly dropMetadataNoise?: boolean;
  /** Events per transaction at most. */
  readonly batchSize: number;
  /** A partial batch is written after this many ms. */
  readonly batchDelayMs: number;
  readonly maxOutboxRows: number;
  readonly maxOutboxBytes: number;
  readonly fullPolicy: OutboxFullPolicy;
  readonly logger: Logger;
  readonly now: () => number;
  /** Called after each committed batch with its outbox rows (handed to the relay). */
  readonly onCommitted?: (rows: readonly OutboxRow[]) => void;
  /** Called when events were dropped (drop-oldest policy) or writes are blocked. */
  readonly onPressure?: (what: "dropped" | "blocked", count: number) => void;
}

/** The stored key of a resource: `apps/v1/deployments`, `v1/pods`. */
export function resourceKey(resource: ResourceId): string {
  return `${groupVersion(resource)}/${resource.resource}`;
}

interface SnapshotOp {
  readonly namespace: string;
  readonly name: string;
  /** Undefined: remove. */
  readonly put?: { uid: string; resourceVersion: string; hash: string; object: string };
}

/**
 * One resource's recorder; register it with `informer.addEventHandler(recorder)`. Writes are
 * synchronous SQLite transactions; a full outbox (block policy) or a full disk makes the handler
 * wait (its informer queue holds the changes) until there is room again.
 */
export class ResourceRecorder implements EventHandler {
  readonly #o: RecorderOptions;
  readonly #key: string;
  /** What is stored (or about to be, in the pending batch), by `namespace/name`. */
  readonly #known: Map<string, SnapshotMeta>;
  /** Keys seen in the first list: stored keys not among them were deleted while down. */
  readonly #seenInitial = new Set<string>();
  /** Snapshot changes and events not yet written, in the order they happened. */
  #pending: (SnapshotOp | OutgoingEvent)[] = [];
  #pendingEvents = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #writeError: unknown;
  #blocked = false;

  constructor(options: RecorderOptions) {
    this.#o = options;
    this.#key = resourceKey(options.resource);
    this.#known = options.store.snapshots.loadMeta(this.#key);
  }

  /** Objects stored for this resource (after the pending batch). */
  get size(): number {
    return this.#known.size;
  }

  onAdd(obj: RawObject, isInInitialList: boolean): Promise<void> | void {
    const key = `${obj.namespace}/${obj.name}`;
    if (isInInitialList) this.#seenInitial.add(key);
    const known = this.#known.get(key);
    if (known !== undefined && known.uid === obj.uid) {
      if (known.resourceVersion === obj.resourceVersion) return undefined;
      // Changed while the sidecar was down (or a relist saw it anew): diff against the store.
      return this.#modified(obj, this.#storedObject(obj.namespace, obj.name));
    }
    if (known !== undefined) this.#deletedStored(obj.namespace, obj.name, known);
    return this.#record("added", obj, this.#transform(obj), undefined);
  }

  onUpdate(oldObj: RawObject, newObj: RawObject): Promise<void> | void {
    const key = `${newObj.namespace}/${newObj.name}`;
    const known = this.#known.get(key);
    if (
      known !== undefined &&
      known.uid === newObj.uid &&
      known.resourceVersion === newObj.resourceVersion
    ) {
      return undefined; // a resync, or already recorded
    }
    if (known !== undefined && known.uid !== newObj.uid) {
      this.#deletedStored(newObj.namespace, newObj.name, known);
      return this.#record("added", newObj, this.#transform(newObj), undefined);
    }
    if (known === undefined) {
      return this.#record("added", newObj, this.#transform(newObj), undefined);
    }
    const previous =
      oldObj.uid === known.uid && oldObj.resourceVersion === known.resourceVersion
        ? this.#transform(oldObj)
        : this.#storedObject(newObj.namespace, newObj.name);
    return this.#modified(newObj, previous);
  }

  onDelete(obj: RawObject | DeletedFinalStateUnknown): Promise<void> | void {
    const raw = "type" in obj ? obj.object : obj;
    const key = `${raw.namespace}/${raw.name}`;
    const known = this.#known.get(key);
    if (known === undefined) return undefined; // never recorded: nothing to say
    return this.#record("deleted", raw, this.#transform(raw), undefined);
  }

  /**
   * After the first list was delivered: every stored object that was not in it was deleted
   * while the sidecar was down, and becomes a `deleted` event from its stored state.
   */
  finishCatchUp(): Promise<void> | void {
    let wait: Promise<void> | void = undefined;
    // Deleting the current entry while iterating a Map is safe.
    for (const [key, meta] of this.#known) {
      if (this.#seenInitial.has(key)) continue;
      this.#deletedStored(meta.namespace, meta.name, meta);
      wait = this.#maybeFlush();
    }
    this.#seenInitial.clear();
    return wait;
  }

  /** Writes the pending batch now (waiting while the outbox or disk is full). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // oxlint-disable-next-line eslint/no-await-in-loop -- retried until written or closed
    while (this.#pending.length > 0) {
      if (this.#write()) return;
      if (this.#closed) return;
      // oxlint-disable-next-line eslint/no-await-in-loop -- waits for room
      await sleep(100);
    }
  }

  /** Writes what is pending (best effort) and stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write();
  }

  /** The object with its apiVersion and kind (list items lack them), transformed. */
  #transform(obj: RawObject): unknown {
    const { apiVersion, kind, ...rest } = obj.object;
    return this.#o.transform(
      {
        apiVersion: apiVersion ?? groupVersion(this.#o.resource),
        kind: kind ?? this.#o.kind,
        ...rest,
      },
      this.#o.resource,
    );
  }

  #modified(obj: RawObject, previous: unknown): Promise<void> | void {
    const transformed = this.#transform(obj);
    if (previous !== undefined) {
      if (
        (this.#o.dropMetadataNoise !== false && onlyMetadataNoise(previous, transformed)) ||
        (this.#o.dropStatusOnly && onlyStatusChanged(previous, transformed))
      ) {
        this.#snapshot(obj, JSON.stringify(transformed));
        return this.#maybeFlush();
      }
    }
    return this.#record("modified", obj, transformed, previous);
  }

  #record(
    type: ChangeType,
    obj: RawObject,
    transformed: unknown,
    previous: unknown,
  ): Promise<void> | void {
    const change: ResourceChange = {
      type,
      resource: this.#o.resource,
      apiVersion: apiVersionOf(transformed, this.#o.resource),
      kind: kindOf(transformed),
      namespace: obj.namespace,
      name: obj.name,
      uid: obj.uid,
      resourceVersion: obj.resourceVersion,
      object: transformed,
      ...(type === "modified" && previous !== undefined ? { previous } : {}),
      observedAt: this.#o.now(),
    };
    // Serialized once, for the body and the snapshot.
    const json =
      type === "deleted" && !this.#o.includeObject ? undefined : JSON.stringify(transformed);
    // The event goes before the snapshot change: if a full store splits them over two
    // transactions, a crash in between re-publishes (deduplicated), it never loses the event.
    this.#pushEvent(
      resourceEvent(change, {
        source: this.#o.source,
        subject: this.#o.subject(change),
        includeObject: this.#o.includeObject,
        ...(json === undefined ? {} : { objectJson: json }),
      }),
    );
    if (type === "deleted") this.#forget(obj.namespace, obj.name);
    else this.#snapshot(obj, json ?? JSON.stringify(transformed));
    return this.#maybeFlush();
  }

  /** A `deleted` event for a stored object (its last stored state). */
  #deletedStored(namespace: string, name: string, meta: SnapshotMeta): void {
    const object = this.#storedObject(namespace, name);
    const raw = { namespace, name, uid: meta.uid, resourceVersion: meta.resourceVersion };
    const change: ResourceChange = {
      type: "deleted",
      resource: this.#o.resource,
      apiVersion: apiVersionOf(object, this.#o.resource),
      kind: kindOf(object),
      ...raw,
      object,
      observedAt: this.#o.now(),
    };
    this.#pushEvent(
      resourceEvent(change, {
        source: this.#o.source,
        subject: this.#o.subject(change),
        includeObject: this.#o.includeObject,
      }),
    );
    this.#forget(namespace, name);
  }

  /** Records the object's new state; `json` is its transformed JSON. */
  #snapshot(obj: RawObject, json: string): void {
    const meta: SnapshotMeta = {
      namespace: obj.namespace,
      name: obj.name,
      uid: obj.uid,
      resourceVersion: obj.resourceVersion,
      hash: hash("sha256", json, "hex").slice(0, 32),
    };
    this.#known.set(`${obj.namespace}/${obj.name}`, meta);
    this.#pending.push({
      namespace: obj.namespace,
      name: obj.name,
      put: { ...meta, object: json },
    });
  }

  #forget(namespace: string, name: string): void {
    this.#known.delete(`${namespace}/${name}`);
    this.#pending.push({ namespace, name });
  }

  /** The stored object of a key (pending writes first), parsed; undefined when absent. */
  #storedObject(namespace: string, name: string): unknown {
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const op = this.#pending[i]!;
      if (!("msgId" in op) && op.namespace === namespace && op.name === name) {
        return op.put === undefined ? undefined : JSON.parse(op.put.object);
      }
    }
    const row = this.#o.store.snapshots.get(this.#key, namespace, name);
    return row === undefined ? undefined : JSON.parse(row.object);
  }

  #maybeFlush(): Promise<void> | void {
    if (this.#pendingEvents >= this.#o.batchSize || this.#pending.length >= this.#o.batchSize * 3) {
      if (this.#write()) return undefined;
      return this.flush();
    }
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#write()) void this.flush();
      }, this.#o.batchDelayMs);
      this.#timer.unref();
    }
    return undefined;
  }

  #pushEvent(event: OutgoingEvent): void {
    this.#pending.push(event);
    this.#pendingEvents++;
  }

  /**
   * Writes what is pending, in transactions of snapshot changes and events in their order.
   * When the store is full, smaller prefixes are tried (down to one change), so a batch larger
   * than the room left still goes in as acknowledged events free space. False when nothing more
   * could be written (retry later).
   */
  #write(): boolean {
    let size = this.#pending.length;
    while (this.#pending.length > 0) {
      const n = this.#roomFor(Math.min(size, this.#pending.length));
      if (n === 0) return false;
      const written = this.#writePrefix(n);
      if (written === "ok") continue;
      if (written === "full" && n > 1) {
        size = Math.ceil(n / 2);
        continue;
      }
      return false;
    }
    return true;
  }

  /** One transaction of the first `n` pending items. */
  #writePrefix(n: number): "ok" | "full" | "failed" {
    const { store } = this.#o;
    const items = this.#pending.slice(0, n);
    const events = items.filter((i): i is OutgoingEvent => "msgId" in i);
    let ids: number[] = [];
    try {
      store.transaction(() => {
        for (const item of items) {
          if ("msgId" in item) continue;
          if (item.put === undefined) store.snapshots.remove(this.#key, item.namespace, item.name);
          else {
            store.snapshots.put({
              resource: this.#key,
              namespace: item.namespace,
              name: item.name,
              ...item.put,
            });
          }
        }
        if (events.length > 0) ids = store.outbox.append(events.map(toInsert));
      });
    } catch (err) {
      if (this.#writeError === undefined) {
        this.#o.logger.error("events: cannot write changes; holding them and retrying", {
          resource: this.#key,
          pending: this.#pending.length,
          err,
        });
      }
      this.#writeError = err;
      this.#o.onPressure?.("blocked", events.length);
      return isStoreFull(err) ? "full" : "failed";
    }
    this.#pending.splice(0, n);
    if (this.#writeError !== undefined && this.#pending.length === 0) {
      this.#o.logger.info("events: writing again; every held change is written", {
        resource: this.#key,
      });
      this.#writeError = undefined;
    }
    this.#pendingEvents -= events.length;
    if (ids.length > 0) {
      this.#o.onCommitted?.(ids.map((id, i) => toRow(id, events[i]!)));
    }
    return "ok";
  }

  /**
   * How many of the first `n` pending items may be written under the outbox bound (rows and
   * bytes). Block policy: as many events as there is room for; 0 when there is none (the caller
   * waits). Drop-oldest: at most a bound's worth of events, after dropping as many of the oldest
   * rows as needed (logged and reported).
   */
  #roomFor(n: number): number {
    const o = this.#o;
    const stats = o.store.outbox.stats();
    const block = o.fullPolicy === "block";
    const rowsAllowed = block ? o.maxOutboxRows - stats.rows : o.maxOutboxRows;
    const bytesAllowed = block ? o.maxOutboxBytes - stats.bytes : o.maxOutboxBytes;
    let events = 0;
    let bytes = 0;
    let take = 0;
    for (; take < n; take++) {
      const item = this.#pending[take]!;
      if (!("msgId" in item)) continue;
      const size = item.body.byteLength + item.subject.length + 64;
      if (events + 1 > rowsAllowed || bytes + size > bytesAllowed) break;
      events++;
      bytes += size;
    }
    if (take === 0) {
      if (block) {
        if (!this.#blocked) {
          this.#blocked = true;
          o.logger.error(
            "events: the outbox is at its bound; holding new changes until NATS acknowledges older ones",
            {
              resource: this.#key,
              rows: stats.rows,
              bytes: stats.bytes,
              pending: this.#pendingEvents,
            },
          );
        }
        o.onPressure?.("blocked", this.#pendingEvents);
        return 0;
      }
      take = 1; // one event larger than the whole bound: written anyway
    }
    if (block) {
      if (this.#blocked) {
        this.#blocked = false;
        o.logger.info("events: the outbox has room again", { resource: this.#key });
      }
      return take;
    }
    const overRows = stats.rows + events - o.maxOutboxRows;
    const overBytes = stats.bytes + bytes - o.maxOutboxBytes;
    if (overRows > 0 || overBytes > 0) {
      const avg = stats.rows === 0 ? 1 : stats.bytes / stats.rows;
      const drop = Math.max(overRows, Math.ceil(overBytes / Math.max(avg, 1)));
      const dropped = o.store.outbox.dropOldest(drop);
      o.logger.warn("events: outbox full, dropped the oldest events", {
        dropped: dropped.rows,
        bytes: dropped.bytes,
      });
      o.onPressure?.("dropped", dropped.rows);
    }
    return take;
  }
}

function isStoreFull(err: unknown): boolean {
  return (
    typeof err === "object" && err !== null && "code" in err && err.code === "LOOKOUT_STORE_FULL"
  );
}

function toRow(id: number, e: OutgoingEvent): OutboxRow {
  return { id, ...toInsert(e) };
}

function toInsert(e: OutgoingEvent): OutboxInsert {
  return {
    subject: e.subject,
    msgId: e.msgId,
    orderKey: e.orderKey,
    headers: e.headers,
    body: e.body,
    observedAt: e.observedAt,
  };
}

function apiVersionOf(object: unknown, resource: ResourceId): string {
  if (typeof object === "object" && object !== null && "apiVersion" in object) {
    const v: unknown = object.apiVersion;
    if (typeof v === "string" && v !== "") return v;
  }
  return groupVersion(resource);
}

function kindOf(object: unknown): string {
  if (typeof object === "object" && object !== null && "kind" in object) {
    const v: unknown = object.kind;
    if (typeof v === "string") return v;
  }
  return "";
}
