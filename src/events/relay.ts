/**
 * The relay: drains the outbox into NATS. Rows go out in id order with several publishes in
 * flight, but never two of one object at once, so each object's events stay in order even when
 * a publish fails and is retried. A row is deleted only after its JetStream ack (a `duplicate`
 * ack counts: the server already has it). While NATS is down it backs off and resumes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { Backoff } from "../informer/index.ts";
import type { Logger } from "../logging/index.ts";
import type { OutboxRepository, OutboxRow } from "../store/index.ts";
import { fitMessage, messageSize, type SizedMessage } from "./oversize.ts";

/** Rows handed over in memory at most; beyond, the relay reads them from the table. */
const MAX_HANDED_OVER = 10_000;

/**
 * Handed-over rows not yet published beyond which the recorders are asked to wait
 * ({@link OutboxRelay.paced}), until this many are left: {@link PACE_RESUME}.
 */
const PACE_AT = 2_000;
const PACE_RESUME = 500;

/** Acknowledged rows are deleted at least this often (ms) while draining. */
const ACK_EVERY_MS = 100;

/** Rows whose body is within this many bytes of `max_payload` are measured with headers. */
const MAX_HEADER_BYTES = 8192;

/** Where the relay gets its connection (a `NatsLink`). */
export interface NatsConnectionSource {
  connection(): NatsConnection | undefined;
  waitForConnection(signal: AbortSignal): Promise<NatsConnection>;
}

/** Options of an {@link OutboxRelay}. */
export interface RelayOptions {
  readonly outbox: OutboxRepository;
  readonly nats: NatsConnectionSource;
  /** `jetstream` (default): acked, deduplicated. `core`: plain publish, at most once. */
  readonly mode: "jetstream" | "core";
  /** Publishes in flight at most. */
  readonly maxInFlight: number;
  /** Rows read from the outbox at once. */
  readonly readBatch: number;
  /** How long a JetStream publish waits for its ack (ms). */
  readonly ackTimeoutMs: number;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * Each delivered event: how long from the change to the ack, and from the publish to the ack
   * (ms).
   */
  readonly onDelivered?: (delayMs: number, duplicate: boolean, publishMs: number) => void;
  /** Run once per connection before publishing (creates the stream); a throw is a failure. */
  readonly prepare?: ((nc: NatsConnection) => Promise<void>) | undefined;
  /** A failed publish (retried after a backoff). */
  readonly onFailed?: (err: unknown) => void;
  /**
   * A row over the server's `max_payload`, published without `omitted` (see `oversize.ts`);
   * also logged as a warning.
   */
  readonly onOmitted?: (omitted: readonly string[]) => void;
}

/** What the relay has done since it started. */
export interface RelayCounters {
  readonly delivered: number;
  readonly duplicates: number;
  readonly failures: number;
}

/** Drains the outbox until {@link close}. */
export class OutboxRelay {
  readonly #o: RelayOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #wake: PromiseWithResolvers<void> = Promise.withResolvers();
  #running: Promise<void> | undefined;
  #delivered = 0;
  #duplicates = 0;
  #failures = 0;
  #failing = false;
  #trusted = false;
  #handedOver: OutboxRow[] = [];
  #handedHead = 0;
  /** The id of the last row dispatched since the table was last read from its oldest row. */
  #lastDispatched = 0;
  /** Rows the current drain took from the hand-over and has not published yet. */
  #taking = 0;
  #pace: PromiseWithResolvers<void> | undefined;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#backoff = new Backoff({
      initialMs: 500,
      maxMs: 30_000,
      resetAfterMs: 60_000,
      now: options.now,
    });
  }

  get counters(): RelayCounters {
    return { delivered: this.#delivered, duplicates: this.#duplicates, failures: this.#failures };
  }

  /** Starts draining (idempotent). */
  start(): void {
    this.#running ??= this.#run().catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.#o.logger.error("events: relay stopped", { err });
    });
  }

  /** New rows were committed: look now instead of at the next poll. */
  wake(): void {
    this.#wake.resolve();
  }

  /** Stops after the publishes in flight settle (their rows stay if unacknowledged). */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#wake.resolve();
    this.#checkPace();
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let nc: NatsConnection;
      try {
        // oxlint-disable-next-line eslint/no-await-in-loop -- one connection at a time
        nc = await this.#o.nats.waitForConnection(signal);
      } catch {
        return;
      }
      let ok = false;
      try {
        // Not bounded by the abort itself (a JetStream API request): closing does not wait.
        // oxlint-disable-next-line eslint/no-await-in-loop -- once per connection
        await untilAborted(this.#o.prepare?.(nc) ?? Promise.resolve(), signal);
        if (signal.aborted) return;
        // oxlint-disable-next-line eslint/no-await-in-loop -- drains until a failure
        ok = await this.#drain(nc, signal);
      } catch (err) {
        this.#noteFailure(err);
        this.#distrust();
      }
      if (signal.aborted) return;
      if (ok) {
        // Idle: wait for new rows, or poll (rows written by another process, a missed wake).
        // oxlint-disable-next-line eslint/no-await-in-loop -- idle wait
        await Promise.race([
          this.#wake.promise,
          sleep(1000, undefined, { signal }).catch(() => {}),
        ]);
        this.#wake = Promise.withResolvers();
      } else {
        const delay = this.#backoff.next();
        // oxlint-disable-next-line eslint/no-await-in-loop -- backoff while NATS fails
        await sleep(delay, undefined, { signal }).catch(() => {});
      }
    }
  }

  /**
   * Rows just committed by the recorder, handed over in memory so that the relay does not read
   * them back. Taken only while the relay is caught up with the outbox table (`#trusted`): then
   * every row it has not dispatched yet is in this queue, in id order. Beyond
   * {@link MAX_HANDED_OVER} rows, or after a failure, it reads the table again.
   */
  offer(rows: readonly OutboxRow[]): void {
    if (this.#trusted) {
      if (this.#handedOver.length - this.#handedHead + rows.length > MAX_HANDED_OVER) {
        this.#distrust();
      } else {
        for (const row of rows) this.#handedOver.push(row);
      }
    }
    this.wake();
  }

  /**
   * Pacing for the writers. Undefined while the relay keeps up with the rows handed over to it;
   * past {@link PACE_AT} rows not yet published, a promise that resolves once it is down to
   * {@link PACE_RESUME}, or once it stops taking rows in memory (a failure, NATS down, closing:
   * then the outbox table holds the backlog, as the bound allows). A recorder that waits on it
   * leaves its informer's queue to hold the changes, and the thread to the relay: without it, a
   * burst of changes is all written before the relay publishes much of it, and the relay falls
   * back to reading the rows from the table, which costs more per event than the hand-over.
   */
  paced(): Promise<void> | undefined {
    if (!this.#trusted || this.#abort.signal.aborted || this.#queued() <= PACE_AT) {
      return undefined;
    }
    this.#pace ??= Promise.withResolvers();
    return this.#pace.promise;
  }

  /** Handed-over rows not yet published. */
  #queued(): number {
    return this.#handedOver.length - this.#handedHead + this.#taking;
  }

  #checkPace(): void {
    if (this.#pace === undefined) return;
    if (this.#trusted && !this.#abort.signal.aborted && this.#queued() > PACE_RESUME) return;
    this.#pace.resolve();
    this.#pace = undefined;
  }

  /** Forget the in-memory rows and what was dispatched: read the table from its oldest row. */
  #distrust(): void {
    this.#trusted = false;
    this.#handedOver = [];
    this.#handedHead = 0;
    this.#lastDispatched = 0;
    this.#taking = 0;
    this.#checkPace();
  }

  /** The next rows to publish, oldest first: handed over in memory, or read from the table. */
  #take(limit: number): OutboxRow[] {
    if (!this.#trusted) {
      const rows = this.#o.outbox.read(this.#lastDispatched, limit);
      // Caught up: from now on every commit is handed over (all of this is one thread).
      if (rows.length === 0) this.#trusted = true;
      return rows;
    }
    const out: OutboxRow[] = [];
    while (out.length < limit && this.#handedHead < this.#handedOver.length) {
      const row = this.#handedOver[this.#handedHead++]!;
      if (row.id > this.#lastDispatched) out.push(row);
    }
    if (this.#handedHead === this.#handedOver.length) {
      this.#handedOver = [];
      this.#handedHead = 0;
    }
    return out;
  }

  /**
   * Publishes rows as they come, oldest first, until there is nothing to read and nothing in
   * flight. Resolves true then, false after a failure (rows not acked stay in the table and are
   * read again from the oldest).
   */
  async #drain(nc: NatsConnection, signal: AbortSignal): Promise<boolean> {
    const js = this.#o.mode === "jetstream" ? jetstream(nc) : undefined;
    const inFlight = new Map<string, Promise<boolean>>();
    const acked: number[] = [];
    let failed = false;
    let ackedAt = performance.now();
    const flushAcks = (): void => {
      ackedAt = performance.now();
      if (acked.length === 0) return;
      const ids = acked.splice(0);
      this.#o.outbox.ack(ids);
    };
    try {
      while (!signal.aborted && !failed) {
        // Deletes are batched (one transaction, one fsync each): acked rows that stay a little
        // longer are only sent again after a crash, and JetStream drops those as duplicates.
        if (acked.length >= this.#o.readBatch || performance.now() - ackedAt >= ACK_EVERY_MS) {
          flushAcks();
        }
        const rows = this.#take(this.#o.readBatch);
        this.#taking = this.#trusted ? rows.length : 0;
        if (rows.length === 0) {
          if (inFlight.size === 0) break;
          // Wait for new rows or for a publish to settle, whichever comes first.
          // oxlint-disable-next-line eslint/no-await-in-loop -- waits for work
          await Promise.race([this.#wake.promise, ...inFlight.values()]);
          this.#wake = Promise.withResolvers();
          continue;
        }
        for (const row of rows) {
          this.#lastDispatched = row.id;
          // One publish per object at a time keeps each object's events in order.
          const same = inFlight.get(row.orderKey);
          // oxlint-disable-next-line eslint/no-await-in-loop -- per-object order
          if (same !== undefined && !((await untilAborted(same, signal)) ?? true)) {
            failed = !signal.aborted;
          }
          if (inFlight.size >= this.#o.maxInFlight) {
            // A full window waits until half of it is acked, then publishes a burst: publishes
            // made in one go leave in one socket write (nats.js flushes on a microtask).
            const low = Math.floor(this.#o.maxInFlight / 2);
            while (inFlight.size > low && !signal.aborted) {
              // oxlint-disable-next-line eslint/no-await-in-loop -- the in-flight window
              await untilAborted(Promise.race(inFlight.values()), signal);
            }
          }
          if (failed || signal.aborted) break;
          // Published from here on (a failure or an abort above distrusts: no row is queued then).
          if (this.#taking > 0) {
            this.#taking--;
            this.#checkPace();
          }
          const sentAt = performance.now();
          const p = this.#publish(nc, js, row).then(
            (duplicate) => {
              acked.push(row.id);
              this.#delivered++;
              if (duplicate) this.#duplicates++;
              this.#o.onDelivered?.(
                this.#o.now() - row.observedAt,
                duplicate,
                performance.now() - sentAt,
              );
              return true;
            },
            (err: unknown) => {
              failed = true;
              this.#noteFailure(err);
              return false;
            },
          );
          inFlight.set(row.orderKey, p);
          void p.finally(() => {
            if (inFlight.get(row.orderKey) === p) inFlight.delete(row.orderKey);
          });
        }
      }
      // Closing does not wait for acks still due: those rows stay and are sent again (JetStream
      // drops the copies by message id).
      await untilAborted(Promise.all(inFlight.values()), signal);
      if (this.#o.mode === "core" && !failed && !signal.aborted) await nc.flush();
    } finally {
      flushAcks();
      if (failed || signal.aborted) this.#distrust();
    }
    if (!failed && this.#failing) {
      this.#failing = false;
      this.#o.logger.info("events: publishing again");
    }
    return !failed;
  }

  /** Publishes one row; resolves with whether JetStream called it a duplicate. */
  async #publish(
    nc: NatsConnection,
    js: JetStreamClient | undefined,
    row: OutboxRow,
  ): Promise<boolean> {
    let message: SizedMessage = row;
    const max = nc.info?.max_payload;
    // A row too big for the server would fail at every attempt and hold back its object.
    if (max !== undefined && row.body.length + MAX_HEADER_BYTES > max) {
      // JetStream's publish adds the `Nats-Msg-Id` header line.
      const msgIdLine = js === undefined ? 0 : 15 + Buffer.byteLength(row.msgId);
      const fitted = fitMessage(row, max - msgIdLine);
      if (fitted.omitted.length > 0) {
        message = fitted;
        this.#o.onOmitted?.(fitted.omitted);
        this.#o.logger.warn("events: event over the server's max_payload, sent without some", {
          subject: row.subject,
          msgId: row.msgId,
          bytes: messageSize(row),
          maxPayload: max,
          omitted: fitted.omitted.join(","),
        });
      }
    }
    const h = natsHeaders();
    for (const [k, v] of Object.entries(message.headers)) h.set(k, v);
    if (js === undefined) {
      nc.publish(row.subject, message.body, { headers: h });
      return false;
    }
    const ack = await js.publish(row.subject, message.body, {
      msgID: row.msgId,
      headers: h,
      timeout: this.#o.ackTimeoutMs,
    });
    return ack.duplicate;
  }

  #noteFailure(err: unknown): void {
    this.#failures++;
    this.#o.onFailed?.(err);
    if (!this.#failing) {
      this.#failing = true;
      this.#o.logger.warn("events: publishing failed; the outbox keeps the events and retries", {
        err,
      });
    }
  }
}

/**
 * `p`, or undefined as soon as `signal` aborts. The abort listener is removed when `p` settles,
 * so waiting many times on one long-lived signal keeps nothing alive (racing a promise that
 * never settles would: each race leaves a reaction on it).
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    p.finally(() => signal.removeEventListener("abort", onAbort)).then(resolve, reject);
  });
}
