/**
 * The event outbox: messages written in the same transaction as the state change they report,
 * read in id order by the relay and deleted once the server has acknowledged them. Ids come from
 * AUTOINCREMENT, so they only grow, even after the newest rows are deleted. The row and byte
 * counts live in `outbox_stats`, updated by the statements here in the same transaction as the
 * rows (one update per appended batch and per deleted range), so they roll back with them.
 * Statements are prepared once.
 */
import type { Statement, Transaction } from "better-sqlite3";
import { StoreBadInputError } from "./errors.ts";
import type { StoreHandle } from "./handle.ts";

/** One message to append. */
export interface OutboxInsert {
  readonly subject: string;
  /** The JetStream `Nats-Msg-Id`. */
  readonly msgId: string;
  /** Messages of one key are published in order. */
  readonly orderKey: string;
  /** Header names to values, stored as one JSON object. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** Epoch ms of the change; an integer. */
  readonly observedAt: number;
}

/** A stored message with its id. `body` is a Buffer (a Uint8Array) of its own. */
export interface OutboxRow extends OutboxInsert {
  readonly id: number;
}

/** The outbox's size. */
export interface OutboxStats {
  readonly rows: number;
  /** Sum over rows of the body's length plus the UTF-8 bytes of the headers JSON and subject. */
  readonly bytes: number;
  /** `observedAt` of the row with the smallest id; undefined when empty. */
  readonly oldestObservedAt: number | undefined;
}

/**
 * The `outbox` table. Every write joins an open `store.transaction(fn)` (as a savepoint) or runs
 * in a transaction of its own. Every member throws `LOOKOUT_STORE_CLOSED` after close; writes
 * throw `LOOKOUT_STORE_BAD_INPUT` (`field` names the value, e.g. `events[3].observedAt`),
 * `LOOKOUT_STORE_FULL` when the size bound or the disk is full, `LOOKOUT_STORE_WRITE_FAILED` for
 * other SQLite errors; nothing of the call is written then.
 */
export interface OutboxRepository {
  /**
   * Appends in order; returns the new ids (ascending), each above every id ever committed.
   * Joins an open `transaction`. Ids of a rolled back append may be handed out again.
   */
  append(events: readonly OutboxInsert[]): number[];
  /** Up to `limit` rows with id > afterId, ascending by id. */
  read(afterId: number, limit: number): OutboxRow[];
  /**
   * Deletes acknowledged rows (unknown ids ignored), in one transaction. With `synchronous`
   * FULL, a transaction of its own commits without waiting for the disk, which is synced right
   * after off the thread: a deletion lost to a power loss only sends its row again, and
   * JetStream drops it as a duplicate within its window.
   */
  ack(ids: readonly number[]): void;
  /** Deletes the oldest `n` rows (the drop-oldest policy); returns what was dropped. */
  dropOldest(n: number): { readonly rows: number; readonly bytes: number };
  /** O(1) counters (rows, bytes) plus the oldest row's observedAt (one indexed read). */
  stats(): OutboxStats;
}

interface StoredRow {
  id: number;
  subject: string;
  msgId: string;
  orderKey: string;
  headers: string;
  body: Buffer;
  observedAt: number;
}

interface StatsRow {
  rows: number;
  bytes: number;
  oldest: number | null;
}

type InsertBind = [string, string, string, string, Uint8Array, number];

/** A row's counted size: the body's bytes plus the headers' and subject's UTF-8 bytes. */
const ROW_BYTES = "length(body) + octet_length(headers) + octet_length(subject)";

/**
 * The bytes an event will count for in {@link OutboxStats.bytes} once appended (as the outbox
 * counts them: the body, the headers as stored (JSON) and the subject, in UTF-8), so that a
 * writer can keep the outbox under a byte bound before it writes.
 */
export function outboxRowBytes(e: Pick<OutboxInsert, "subject" | "headers" | "body">): number {
  return rowBytes(e.subject, JSON.stringify(e.headers), e.body);
}

function rowBytes(subject: string, headersJson: string, body: Uint8Array): number {
  return body.byteLength + Buffer.byteLength(headersJson) + Buffer.byteLength(subject);
}

/** The {@link OutboxRepository} over one connection. */
export class SqliteOutbox implements OutboxRepository {
  readonly #handle: StoreHandle;
  readonly #insert: Statement<InsertBind>;
  readonly #read: Statement<[number, number], StoredRow>;
  /** Deletes the rows of an id range; returns each deleted row's counted bytes. */
  readonly #deleteRange: Statement<[number, number], number>;
  /** Deletes the `n` oldest rows; returns each deleted row's counted bytes. */
  readonly #dropOldest: Statement<[number], number>;
  readonly #count: Statement<[number, number]>;
  readonly #stats: Statement<[], StatsRow>;
  readonly #append: Transaction<(rows: readonly InsertBind[], bytes: number) => number[]>;
  readonly #ack: Transaction<(ids: readonly number[]) => void>;
  readonly #drop: Transaction<(n: number) => { rows: number; bytes: number }>;
  readonly #syncNormal: Statement<[]>;
  readonly #syncFull: Statement<[]>;

  constructor(handle: StoreHandle) {
    this.#handle = handle;
    const db = handle.db;
    this.#insert = db.prepare<InsertBind>(
      `INSERT INTO outbox (subject, msg_id, order_key, headers, body, observed_at)
        VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#read = db.prepare<[number, number], StoredRow>(
      `SELECT id, subject, msg_id AS msgId, order_key AS orderKey, headers, body,
          observed_at AS observedAt
        FROM outbox WHERE id > ? ORDER BY id LIMIT ?`,
    );
    this.#deleteRange = db
      .prepare<[number, number], number>(
        `DELETE FROM outbox WHERE id BETWEEN ? AND ? RETURNING ${ROW_BYTES}`,
      )
      .pluck();
    this.#dropOldest = db
      .prepare<[number], number>(
        `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)
          RETURNING ${ROW_BYTES}`,
      )
      .pluck();
    this.#count = db.prepare<[number, number]>(
      "UPDATE outbox_stats SET rows = rows + ?, bytes = bytes + ? WHERE singleton = 0",
    );
    this.#stats = db.prepare<[], StatsRow>(
      `SELECT rows, bytes, (SELECT observed_at FROM outbox ORDER BY id LIMIT 1) AS oldest
        FROM outbox_stats WHERE singleton = 0`,
    );
    this.#append = db.transaction((rows: readonly InsertBind[], bytes: number) => {
      const ids: number[] = [];
      for (const bind of rows) ids.push(Number(this.#insert.run(...bind).lastInsertRowid));
      this.#count.run(rows.length, bytes);
      return ids;
    });
    this.#ack = db.transaction((ids: readonly number[]) => {
      // Acknowledged ids come mostly in runs (the relay acks in id order, a window at a time):
      // one range delete per run of consecutive ids.
      const sorted = [...new Set(ids)].sort((a, b) => a - b);
      let rows = 0;
      let bytes = 0;
      for (let i = 0; i < sorted.length;) {
        const from = sorted[i]!;
        let to = from;
        while (i + 1 < sorted.length && sorted[i + 1] === to + 1) to = sorted[++i]!;
        i++;
        for (const b of this.#deleteRange.all(from, to)) {
          rows++;
          bytes += b;
        }
      }
      if (rows > 0) this.#count.run(-rows, -bytes);
    });
    this.#syncNormal = db.prepare<[]>("PRAGMA synchronous = NORMAL");
    this.#syncFull = db.prepare<[]>("PRAGMA synchronous = FULL");
    this.#drop = db.transaction((n: number) => {
      let rows = 0;
      let bytes = 0;
      for (const b of this.#dropOldest.all(n)) {
        rows++;
        bytes += b;
      }
      if (rows > 0) this.#count.run(-rows, -bytes);
      return { rows, bytes };
    });
  }

  append(events: readonly OutboxInsert[]): number[] {
    return this.#handle.write("outbox", "outbox.append", () => {
      if (!Array.isArray(events)) {
        throw new StoreBadInputError("events", events, "must be an array");
      }
      const rows: InsertBind[] = [];
      let bytes = 0;
      for (const [i, e] of events.entries()) {
        const bind = bindOf(i, e);
        bytes += rowBytes(bind[0], bind[3], bind[4]);
        rows.push(bind);
      }
      return rows.length === 0 ? [] : this.#append(rows, bytes);
    });
  }

  read(afterId: number, limit: number): OutboxRow[] {
    this.#handle.assertOpen();
    checkCount("afterId", afterId);
    checkCount("limit", limit);
    const out: OutboxRow[] = [];
    for (const row of this.#read.iterate(afterId, limit)) {
      out.push({
        id: row.id,
        subject: row.subject,
        msgId: row.msgId,
        orderKey: row.orderKey,
        headers: parseHeaders(row.id, row.headers),
        body: row.body,
        observedAt: row.observedAt,
      });
    }
    return out;
  }

  ack(ids: readonly number[]): void {
    this.#handle.write("outbox", "outbox.ack", () => {
      if (!Array.isArray(ids)) throw new StoreBadInputError("ids", ids, "must be an array");
      for (const [i, id] of ids.entries()) checkCount(`ids[${i}]`, id);
      if (ids.length === 0) return;
      const h = this.#handle;
      // Inside a caller's transaction the deletion commits with it, as that one does.
      if (h.synchronous !== "FULL" || h.db.inTransaction) {
        this.#ack(ids);
        return;
      }
      this.#syncNormal.run();
      try {
        this.#ack(ids);
      } finally {
        this.#syncFull.run();
      }
      h.walSync?.request();
    });
  }

  dropOldest(n: number): { readonly rows: number; readonly bytes: number } {
    return this.#handle.write("outbox", "outbox.dropOldest", () => {
      checkCount("n", n);
      return n === 0 ? { rows: 0, bytes: 0 } : this.#drop(n);
    });
  }

  stats(): OutboxStats {
    this.#handle.assertOpen();
    const s = this.#stats.get();
    if (s === undefined) throw new Error("outbox_stats has no row");
    return { rows: s.rows, bytes: s.bytes, oldestObservedAt: s.oldest ?? undefined };
  }
}

/** Checks one event and returns its parameters; cheap (typeof checks, one JSON.stringify). */
function bindOf(i: number, e: OutboxInsert): InsertBind {
  if (typeof e !== "object" || e === null) {
    throw new StoreBadInputError(`events[${i}]`, e, "must be an object");
  }
  const { subject, msgId, orderKey, headers, body, observedAt } = e;
  if (typeof subject !== "string" || subject === "") {
    throw new StoreBadInputError(`events[${i}].subject`, subject, "must be a non-empty string");
  }
  if (typeof msgId !== "string") {
    throw new StoreBadInputError(`events[${i}].msgId`, msgId, "must be a string");
  }
  if (typeof orderKey !== "string") {
    throw new StoreBadInputError(`events[${i}].orderKey`, orderKey, "must be a string");
  }
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw new StoreBadInputError(`events[${i}].headers`, headers, "must be an object");
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") {
      throw new StoreBadInputError(`events[${i}].headers.${name}`, value, "must be a string");
    }
  }
  if (!(body instanceof Uint8Array)) {
    throw new StoreBadInputError(`events[${i}].body`, body, "must be a Uint8Array");
  }
  if (!Number.isSafeInteger(observedAt)) {
    throw new StoreBadInputError(`events[${i}].observedAt`, observedAt, "must be an integer");
  }
  return [subject, msgId, orderKey, JSON.stringify(headers), body, observedAt];
}

function checkCount(field: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new StoreBadInputError(field, value, "must be a non-negative integer");
  }
}

/** The stored headers JSON, checked to be an object of strings (the store wrote it so). */
function parseHeaders(id: number, text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`outbox row ${id}: headers are not a JSON object`);
  }
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "string") {
      throw new TypeError(`outbox row ${id}: header ${name} is not a string`);
    }
    entries.push([name, value]);
  }
  return Object.fromEntries(entries);
}
