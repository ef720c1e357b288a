/**
 * The recorder: an informer handler that turns each change of one resource into a snapshot
 * change and an outbox event, written together in one transaction per batch. At start, the
 * stored snapshots are the state before the restart: the first list is diffed against them
 * (changes made while the sidecar was down become events; unchanged objects give none).
 */
import { hash } from "node:crypto";
import type { DeletedFinalStateUnknown, EventHandler } from "../informer/index.ts";
import type { RawObject, ResourceId } from "../kube/index.ts";
import { groupVersion } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { LookoutStore, OutboxRow, SnapshotMeta } from "../store/index.ts";
import { BatchWriter, type OutboxFullPolicy } from "./batch-writer.ts";
import { onlyMetadataNoise, onlyStatusChanged } from "./change-filter.ts";
import { resourceEvent } from "./cloud-event.ts";
import type { ChangeType, ResourceChange } from "./event-types.ts";

export type { OutboxFullPolicy } from "./batch-writer.ts";

/** Options of a {@link ResourceRecorder}. */
export interface RecorderOptions {
  readonly store: LookoutStore;
  readonly resource: ResourceId;
  /**
   * The namespace the recorder's informer watches; undefined: all. Only stored snapshots of
   * this namespace take part in the restart catch-up, so recorders of one resource in several
   * namespaces do not record each other's objects as deleted.
   */
  readonly namespace?: string;
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
  /** Asked after each full batch: a promise holds the next change until it resolves. */
  readonly pace?: () => Promise<void> | undefined;
}

/** The stored key of a resource: `apps/v1/deployments`, `v1/pods`. */
export function resourceKey(resource: ResourceId): string {
  return `${groupVersion(resource)}/${resource.resource}`;
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
  /** Until {@link finishCatchUp}: every key that shows up counts as present. */
  #catchingUp = true;
  /** Snapshot changes and events not yet written, in the order they happened. */
  readonly #writer: BatchWriter;

  constructor(options: RecorderOptions) {
    this.#o = options;
    this.#key = resourceKey(options.resource);
    const stored = options.store.snapshots.loadMeta(this.#key);
    const ns = options.namespace;
    if (ns !== undefined && ns !== "") {
      for (const [key, meta] of stored) if (meta.namespace !== ns) stored.delete(key);
    }
    this.#known = stored;
    this.#writer = new BatchWriter({
      store: options.store,
      resourceKey: this.#key,
      batchSize: options.batchSize,
      batchDelayMs: options.batchDelayMs,
      maxOutboxRows: options.maxOutboxRows,
      maxOutboxBytes: options.maxOutboxBytes,
      fullPolicy: options.fullPolicy,
      logger: options.logger,
      onCommitted: options.onCommitted,
      onPressure: options.onPressure,
      pace: options.pace,
    });
  }

  /** Writes the pending batch now (waiting while the outbox or disk is full). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Writes what is pending (best effort) and stops. */
  close(): Promise<void> {
    this.#writer.close();
    return Promise.resolve();
  }

  /** The resource's stored key ({@link resourceKey}). */
  get key(): string {
    return this.#key;
  }

  /** Objects stored for this resource (after the pending batch). */
  get size(): number {
    return this.#known.size;
  }

  onAdd(obj: RawObject, isInInitialList: boolean): Promise<void> | void {
    const key = `${obj.namespace}/${obj.name}`;
    // An object added after the first list but before the catch-up finished exists too.
    if (isInInitialList || this.#catchingUp) this.#seenInitial.add(key);
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
    if (this.#catchingUp) this.#seenInitial.add(key);
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
    // The id names the state the deletion ends, the last one recorded, not the deletion's own
    // resourceVersion: a replica that was down meanwhile finds the same deletion at its restart
    // from that stored state, and gives the same id (the object is the final state as seen).
    const ended = { ...raw, resourceVersion: known.resourceVersion };
    return this.#record("deleted", ended, this.#transform(raw), undefined);
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
      wait = this.#writer.maybeFlush();
    }
    this.#seenInitial.clear();
    this.#catchingUp = false;
    return wait;
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
        return this.#writer.maybeFlush();
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
    this.#writer.pushEvent(
      resourceEvent(change, {
        source: this.#o.source,
        subject: this.#o.subject(change),
        includeObject: this.#o.includeObject,
        ...(json === undefined ? {} : { objectJson: json }),
      }),
    );
    if (type === "deleted") this.#forget(obj.namespace, obj.name);
    else this.#snapshot(obj, json ?? JSON.stringify(transformed));
    return this.#writer.maybeFlush();
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
    this.#writer.pushEvent(
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
    this.#writer.pushSnapshot({
      namespace: obj.namespace,
      name: obj.name,
      put: { ...meta, object: json },
    });
  }

  #forget(namespace: string, name: string): void {
    this.#known.delete(`${namespace}/${name}`);
    this.#writer.pushSnapshot({ namespace, name });
  }

  /** The stored object of a key (pending writes first), parsed; undefined when absent. */
  #storedObject(namespace: string, name: string): unknown {
    const queued = this.#writer.queuedSnapshot(namespace, name);
    if (queued !== undefined)
      return queued.json === undefined ? undefined : JSON.parse(queued.json);
    const row = this.#o.store.snapshots.get(this.#key, namespace, name);
    return row === undefined ? undefined : JSON.parse(row.object);
  }
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
