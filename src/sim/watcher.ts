/**
 * One open watch connection: filters events for its namespace and selectors (with the
 * cacher's enter/leave semantics), queues wire lines and writes them in large chunks,
 * respecting backpressure (buffer on a full socket, resume on 'drain', never drop). A client
 * that reads too slowly for its queue to stay under the cap is ended, as the apiserver's
 * cacher terminates watchers whose buffer is full: it sees a clean end and watches again.
 */
import type { ServerResponse } from "node:http";
import { groupVersion } from "../kube/resource.ts";
import type { LabelMatcher, FieldMatcher } from "../selectors/index.ts";
import { StoredObject, type ResourceTable, type StoredEvent } from "./stored.ts";
import { matches } from "./list-serve.ts";

const CHUNK_BYTES = 1 << 20;

/** What a watcher filters on. */
export interface WatchFilter {
  readonly namespace: string;
  readonly labelMatcher: LabelMatcher | undefined;
  readonly fieldMatcher: FieldMatcher | undefined;
}

/** An open watch. Created by the HTTP layer, registered in the hub. */
export class Watcher {
  readonly table: ResourceTable;
  readonly opened: number;
  readonly #res: ServerResponse;
  readonly #filter: WatchFilter;
  readonly #selective: boolean;
  readonly #pending: string[] = [];
  /** Index of the first unsent line in #pending. */
  #head = 0;
  /** Characters queued in #pending from #head on (the JSON is ASCII but for string values). */
  #pendingChars = 0;
  /** Of #pendingChars, those of the initial backlog (initial state or replayed history). */
  #backlogChars = 0;
  /** False while the initial backlog is queued: the cap applies to live events only. */
  #live = false;
  readonly #maxPendingChars: number;
  #blocked = false;
  #ending = false;
  #closed = false;
  #stalled = false;
  /** Events with rv <= this are not sent (already covered by the initial state). */
  #fromRv: number;
  /** Events left to drop (fault injection). */
  dropCount = 0;
  readonly #onClose: (w: Watcher) => void;
  readonly #timers: NodeJS.Timeout[] = [];
  /** meta.k8s.io version of a metadata-only watch; undefined for whole objects. */
  readonly #metadataApiVersion: string | undefined;

  constructor(
    table: ResourceTable,
    res: ServerResponse,
    filter: WatchFilter,
    fromRv: number,
    opened: number,
    onClose: (w: Watcher) => void,
    maxBufferBytes: number,
    metadataApiVersion?: string,
  ) {
    this.#metadataApiVersion = metadataApiVersion;
    this.table = table;
    this.#maxPendingChars = maxBufferBytes;
    this.#res = res;
    this.#filter = filter;
    this.#selective = filter.labelMatcher !== undefined || filter.fieldMatcher !== undefined;
    this.#fromRv = fromRv;
    this.opened = opened;
    this.#onClose = onClose;
    res.on("drain", () => {
      this.#blocked = false;
      this.flush();
    });
    res.on("close", () => this.#cleanup());
  }

  /** True once the connection is closed or ending. */
  get done(): boolean {
    return this.#closed || this.#ending;
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
    this.#dropPending();
    this.#onClose(this);
  }

  #dropPending(): void {
    this.#pending.length = 0;
    this.#head = 0;
    this.#pendingChars = 0;
    this.#backlogChars = 0;
  }

  /** Registers a timer cleared when the watch closes. */
  addTimer(t: NodeJS.Timeout): void {
    t.unref();
    this.#timers.push(t);
  }

  /** True when `o` is in this watch's selection. */
  selects(o: StoredObject): boolean {
    return matches(o, this.#filter.namespace, this.#filter);
  }

  /** The JSON text this watch sends for `o`: the whole object or its PartialObjectMetadata. */
  objectJson(o: StoredObject): string {
    const v = this.#metadataApiVersion;
    return v === undefined ? o.json : o.partialJson(v);
  }

  /**
   * Queues a raw line (already framed). Once live, when the unsent live lines pass the cap
   * (the initial backlog aside, as the cacher sends it apart from its bounded input buffer),
   * the unsent lines are dropped and the watch ends after what the socket already holds
   * (whole lines only).
   */
  enqueue(line: string): void {
    if (this.#closed || this.#ending || this.#stalled) return;
    this.#pending.push(line);
    this.#pendingChars += line.length;
    if (!this.#live) {
      this.#backlogChars += line.length;
    } else if (this.#pendingChars - this.#backlogChars > this.#maxPendingChars) {
      this.#dropPending();
      this.end();
    }
  }

  /** Marks the end of the initial backlog: lines queued from now on count against the cap. */
  goLive(): void {
    this.#live = true;
  }

  /** Queues what `event` means for this watch (nothing, or one line). Does not write. */
  offer(event: StoredEvent): void {
    if (event.rv <= this.#fromRv || this.#closed || this.#ending) return;
    const ns = this.#filter.namespace;
    if (ns !== "" && event.object.namespace !== ns) return;
    // Lines are built per watcher as cheap rope strings; the chunk join in flush copies them.
    let type: string | undefined;
    let object = event.object;
    if (!this.#selective) {
      type = event.type;
    } else if (event.type === "ADDED") {
      if (this.selects(event.object)) type = event.type;
    } else if (event.type === "DELETED") {
      if (this.selects(event.prev ?? event.object)) type = event.type;
    } else {
      const was = event.prev !== undefined && this.selects(event.prev);
      const is = this.selects(event.object);
      if (was && is) type = event.type;
      else if (is) type = "ADDED";
      else if (was) {
        // As the API server's cacher: an object leaving the selection is a DELETED of its
        // previous content (the one the watcher selected), at the change's resourceVersion.
        type = "DELETED";
        object = leftAt(event.prev, event.rv);
      }
    }
    if (type === undefined) return;
    if (this.dropCount > 0) {
      this.dropCount--;
      return;
    }
    this.enqueue(`{"type":"${type}","object":${this.objectJson(object)}}\n`);
  }

  /** A BOOKMARK line at `rv`, optionally the initial-events-end one. */
  bookmark(rv: number, initialEventsEnd: boolean): void {
    const def = this.table.def;
    const annotations = initialEventsEnd
      ? `,"annotations":{"k8s.io/initial-events-end":"true"}`
      : "";
    const meta = this.#metadataApiVersion;
    const kind = meta === undefined ? def.kind : "PartialObjectMetadata";
    const apiVersion = meta ?? groupVersion(def);
    this.enqueue(
      `{"type":"BOOKMARK","object":{"kind":"${kind}","apiVersion":"${apiVersion}","metadata":{"resourceVersion":"${rv}"${annotations}}}}\n`,
    );
  }

  /** Writes queued lines in chunks of about 1 MiB until the socket pushes back. */
  flush(): void {
    if (this.#closed || this.#stalled) return;
    const pending = this.#pending;
    let taken = this.#head;
    while (!this.#blocked && taken < pending.length) {
      let size = 0;
      const start = taken;
      while (taken < pending.length && size < CHUNK_BYTES) size += pending[taken++]!.length;
      const chunk = taken - start === 1 ? pending[start]! : pending.slice(start, taken).join("");
      this.#pendingChars -= size;
      this.#backlogChars = Math.max(0, this.#backlogChars - size);
      if (!this.#res.write(chunk)) this.#blocked = true;
    }
    if (taken === pending.length) {
      this.#dropPending();
    } else {
      this.#head = taken;
      // Compact now and then, not on every drain: O(1) amortized per line.
      if (taken > 4096 && taken * 2 > pending.length) {
        pending.splice(0, taken);
        this.#head = 0;
      }
    }
    if (this.#ending && pending.length === 0 && !this.#blocked) this.#res.end();
  }

  /** Ends the stream cleanly once everything queued is written. Idempotent. */
  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
    if (this.#stalled) {
      this.#stalled = false;
      this.#dropPending();
    }
    this.flush();
  }

  /** Fault: writes half of a JSON line, then destroys the socket. */
  breakMidLine(): void {
    if (this.#closed || this.#ending) return;
    this.flush();
    // Nothing more may follow the half line: no queueing, no clean end.
    this.#stalled = true;
    this.#ending = true;
    this.#dropPending();
    const half = `{"type":"MODIFIED","object":{"kind":"${this.table.def.kind}","apiVersion":"${groupVersion(this.table.def)}","metadata":{"na`;
    this.#res.write(half, () => this.#res.destroy());
    // If the client does not read, the write never completes: destroy anyway after a moment.
    this.addTimer(setTimeout(() => this.#res.destroy(), 500));
  }

  /** Fault: stop writing anything, keep the socket open (a half-open connection). */
  stall(): void {
    this.#stalled = true;
    this.#dropPending();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
  }

  /** Destroys the connection at once (server shutdown). */
  destroy(): void {
    this.#res.destroy();
    this.#cleanup();
  }
}

/** `prev`'s content with the resourceVersion `rv`: what a watcher gets when its object leaves. */
function leftAt(prev: StoredObject, rv: number): StoredObject {
  const o = prev.object;
  return new StoredObject({ ...o, metadata: { ...o.metadata, resourceVersion: String(rv) } }, rv);
}
