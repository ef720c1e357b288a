/**
 * The recorder's writer: snapshot changes and events queued in the order they happened, written
 * in one transaction per batch (size and delay bounded), under the outbox bound (block or
 * drop-oldest) and through a full store (smaller prefixes, retried). Committed rows go to
 * `onCommitted` (the relay).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logging/index.ts";
import {
  outboxRowBytes,
  type LookoutStore,
  type OutboxInsert,
  type OutboxRow,
} from "../store/index.ts";
import type { OutgoingEvent } from "./event-types.ts";

/** What the recorder does when the outbox is at its bound. */
export type OutboxFullPolicy = "block" | "drop-oldest";

/** A snapshot change: `put` a new state, or remove (no `put`). */
export interface SnapshotOp {
  readonly namespace: string;
  readonly name: string;
  readonly put?: { uid: string; resourceVersion: string; hash: string; object: string };
}

/** Options of a {@link BatchWriter}. */
export interface BatchWriterOptions {
  readonly store: LookoutStore;
  /** The snapshot rows' resource key (`v1/pods`). */
  readonly resourceKey: string;
  /** Events per transaction at most. */
  readonly batchSize: number;
  /** A partial batch is written after this many ms. */
  readonly batchDelayMs: number;
  readonly maxOutboxRows: number;
  readonly maxOutboxBytes: number;
  readonly fullPolicy: OutboxFullPolicy;
  readonly logger: Logger;
  /** Called after each committed batch with its outbox rows (handed to the relay). */
  readonly onCommitted?: ((rows: readonly OutboxRow[]) => void) | undefined;
  /** Called when events were dropped (drop-oldest policy) or writes are held. */
  readonly onPressure?: ((what: "dropped" | "blocked", count: number) => void) | undefined;
  /**
   * Asked after a full batch is written: a promise makes the caller wait for it before the
   * next change (the relay's pacing, `OutboxRelay.paced`).
   */
  readonly pace?: (() => Promise<void> | undefined) | undefined;
}

/** Queues and writes one resource's snapshot changes and events. */
export class BatchWriter {
  readonly #o: BatchWriterOptions;
  /** Snapshot changes and events not yet written, in the order they happened. */
  #pending: (SnapshotOp | OutgoingEvent)[] = [];
  #pendingEvents = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #writeError: unknown;
  #blocked = false;

  constructor(options: BatchWriterOptions) {
    this.#o = options;
  }

  /** Events queued and not yet written. */
  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  /** Queues a snapshot change. */
  pushSnapshot(op: SnapshotOp): void {
    this.#pending.push(op);
  }

  /**
   * The newest queued snapshot change of a key: `{ json }` (undefined json for a removal), or
   * undefined when none is queued.
   */
  queuedSnapshot(namespace: string, name: string): { json: string | undefined } | undefined {
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const op = this.#pending[i]!;
      if (!("msgId" in op) && op.namespace === namespace && op.name === name) {
        return { json: op.put?.object };
      }
    }
    return undefined;
  }

  /** Writes the pending batch now (waiting while the outbox or disk is full). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      if (this.#write()) return;
      if (this.#closed) return;
      // oxlint-disable-next-line eslint/no-await-in-loop -- waits for room
      await sleep(100);
    }
  }

  /** Writes what is pending (best effort) and stops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write();
  }

  /**
   * Writes now when a batch is full, else within `batchDelayMs`; a promise while held, or while
   * the relay asks to wait (`pace`).
   */
  maybeFlush(): Promise<void> | void {
    if (this.#pendingEvents >= this.#o.batchSize || this.#pending.length >= this.#o.batchSize * 3) {
      if (this.#write()) return this.#o.pace?.();
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

  /** Queues an event (after the snapshot changes queued before it). */
  pushEvent(event: OutgoingEvent): void {
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
      let n: number;
      try {
        n = this.#roomFor(Math.min(size, this.#pending.length));
      } catch (err) {
        // Reading the outbox's size (or dropping its oldest rows) failed: held like a write.
        this.#failed(err, this.#pendingEvents);
        return false;
      }
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
          if (item.put === undefined)
            store.snapshots.remove(this.#o.resourceKey, item.namespace, item.name);
          else {
            store.snapshots.put({
              resource: this.#o.resourceKey,
              namespace: item.namespace,
              name: item.name,
              ...item.put,
            });
          }
        }
        if (events.length > 0) ids = store.outbox.append(events.map(toInsert));
      });
    } catch (err) {
      this.#failed(err, events.length);
      return isStoreFull(err) ? "full" : "failed";
    }
    this.#pending.splice(0, n);
    if (this.#writeError !== undefined && this.#pending.length === 0) {
      this.#o.logger.info("events: writing again; every held change is written", {
        resource: this.#o.resourceKey,
      });
      this.#writeError = undefined;
    }
    this.#pendingEvents -= events.length;
    if (ids.length > 0) {
      this.#o.onCommitted?.(ids.map((id, i) => toRow(id, events[i]!)));
    }
    return "ok";
  }

  /** A failed write: logged once until writing works again, reported as pressure. */
  #failed(err: unknown, held: number): void {
    if (this.#writeError === undefined) {
      this.#o.logger.error("events: cannot write changes; holding them and retrying", {
        resource: this.#o.resourceKey,
        pending: this.#pending.length,
        err,
      });
    }
    this.#writeError = err;
    this.#o.onPressure?.("blocked", held);
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
      const size = outboxRowBytes(item);
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
              resource: this.#o.resourceKey,
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
        o.logger.info("events: the outbox has room again", { resource: this.#o.resourceKey });
      }
      return take;
    }
    const dropped = { rows: 0, bytes: 0 };
    const overRows = (): number => stats.rows - dropped.rows + events - o.maxOutboxRows;
    const overBytes = (): number => stats.bytes - dropped.bytes + bytes - o.maxOutboxBytes;
    // Rows differ in size: drop by the average, then again while still over (rarely twice).
    while ((overRows() > 0 || overBytes() > 0) && dropped.rows < stats.rows) {
      const avg = stats.bytes / stats.rows;
      const drop = Math.max(overRows(), Math.ceil(overBytes() / Math.max(avg, 1)), 1);
      const step = o.store.outbox.dropOldest(drop);
      if (step.rows === 0) break;
      dropped.rows += step.rows;
      dropped.bytes += step.bytes;
    }
    if (dropped.rows > 0) {
      o.logger.warn("events: outbox full, dropped the oldest events", {
        dropped: dropped.rows,
        bytes: dropped.bytes,
        rows: stats.rows - dropped.rows,
        storedBytes: stats.bytes - dropped.bytes,
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
