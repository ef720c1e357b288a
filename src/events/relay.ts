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

/** Acknowledged rows are deleted at least this often (ms) while draining. */
const ACK_EVERY_MS = 100;

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
  /** Each delivered event: how long from the change to the ack (ms). */
  readonly onDelivered?: (delayMs: number, duplicate: boolean) => void;
  /** Run once per connection before publishing (creates the stream); a throw is a failure. */
  readonly prepare?: ((nc: NatsConnection) => Promise<void>) | undefined;
  /** A failed publish (retried after a backoff). */
  readonly onFailed?: (err: unknown) => void;
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
        // oxlint-disable-next-line eslint/no-await-in-loop -- once per connection
        await this.#o.prepare?.(nc);
        // oxlint-disable-next-line eslint/no-await-in-loop -- drains until a failure
        ok = await this.#drain(nc, signal);
      } catch (err) {
        this.#noteFailure(err);
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
   * Publishes every row in the outbox, oldest first. Resolves true when it is empty, false after
   * a failure (rows not acked stay and are read again from the oldest).
   */
  async #drain(nc: NatsConnection, signal: AbortSignal): Promise<boolean> {
    const js = this.#o.mode === "jetstream" ? jetstream(nc) : undefined;
    let after = 0;
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
        const rows = this.#o.outbox.read(after, this.#o.readBatch);
        if (rows.length === 0) break;
        for (const row of rows) {
          after = row.id;
          // One publish per object at a time keeps each object's events in order.
          const same = inFlight.get(row.orderKey);
          // oxlint-disable-next-line eslint/no-await-in-loop -- per-object order
          if (same !== undefined && !(await same)) failed = true;
          while (inFlight.size >= this.#o.maxInFlight) {
            // oxlint-disable-next-line eslint/no-await-in-loop -- the in-flight window
            await Promise.race(inFlight.values());
          }
          if (failed || signal.aborted) break;
          const p = this.#publish(nc, js, row).then(
            (duplicate) => {
              acked.push(row.id);
              this.#delivered++;
              if (duplicate) this.#duplicates++;
              this.#o.onDelivered?.(this.#o.now() - row.observedAt, duplicate);
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
        // Deletes are batched (one transaction, one fsync each): acked rows that stay a little
        // longer are only sent again after a crash, and JetStream drops those as duplicates.
        if (acked.length >= this.#o.readBatch || performance.now() - ackedAt >= ACK_EVERY_MS) {
          flushAcks();
        }
      }
      await Promise.all(inFlight.values());
      if (this.#o.mode === "core" && !failed) await nc.flush();
    } finally {
      flushAcks();
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
    const h = natsHeaders();
    for (const [k, v] of Object.entries(row.headers)) h.set(k, v);
    if (js === undefined) {
      nc.publish(row.subject, row.body, { headers: h });
      return false;
    }
    const ack = await js.publish(row.subject, row.body, {
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
