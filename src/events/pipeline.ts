/**
 * The event pipeline of one sidecar: a recorder per watched resource (informer → snapshots and
 * outbox, one transaction per batch), the restart catch-up, Helm findings changes, and the
 * relay that drains the outbox into NATS JetStream.
 */
import { randomBytes } from "node:crypto";
import type { MeterProvider } from "@opentelemetry/api";
import type { NatsConnection } from "@nats-io/transport-node";
import type {
  HandlerRegistration,
  InformerFactory,
  InformerLease,
  InformerSpec,
} from "../informer/index.ts";
import type { KubeObject, ResourceId } from "../kube/index.ts";
import { silentLogger, type Logger } from "../logging/index.ts";
import type { LookoutStore, OutboxRow } from "../store/index.ts";
import type { OutgoingEvent } from "./event-types.ts";
import { BatchWriter } from "./batch-writer.ts";
import { validateNumbers } from "./pipeline-options.ts";
import { EventsClosedError } from "./errors.ts";
import { EventSubjectError } from "./nats-errors.ts";
import { helmFindingsEvent, pluginEvent } from "./cloud-event.ts";
import { EventMetrics } from "./metrics.ts";
import { compileRedaction } from "./redact.ts";
import { ResourceRecorder, type OutboxFullPolicy } from "./recorder.ts";
import { OutboxRelay, type NatsConnectionSource, type RelayCounters } from "./relay.ts";
import { ensureStream } from "./stream.ts";
import { escapeToken, helmSubject, resourceSubject, validatePrefix } from "./subject.ts";
import { carryOverVersion } from "./version-carry-over.ts";

/** One watched resource whose changes become events. */
export interface EventResourceSpec {
  readonly resource: ResourceId;
  /** The objects' kind (`Deployment`). */
  readonly kind: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** The informer's LIST page size (shared with other consumers of the same spec). */
  readonly pageSize?: number;
  /** The informer's transform and its identity (see `InformerSpec`). */
  readonly transform?: (obj: KubeObject) => KubeObject;
  readonly transformKey?: string;
}

/** The shared informer a resource's events come from (its spec without `kind`). */
export function informerSpecOf(spec: EventResourceSpec): InformerSpec {
  return {
    resource: spec.resource,
    ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
    ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
    ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
    ...(spec.pageSize === undefined ? {} : { pageSize: spec.pageSize }),
    ...(spec.transform === undefined
      ? {}
      : { transform: spec.transform, transformKey: spec.transformKey ?? "" }),
  };
}

/** One resource attached to a running pipeline ({@link EventPipeline.addResource}). */
export interface EventResourceAttachment {
  /** Resolves when its first list is recorded and its restart catch-up written. */
  readonly synced: Promise<void>;
  /**
   * Stops recording it: its handler is removed, what is pending is written and its informer
   * released. Its snapshots stay, so adding it again catches up on what changed meanwhile.
   * Idempotent.
   */
  remove(): Promise<void>;
}

/** The JetStream stream the pipeline creates or updates at start. */
export interface EventStreamSpec {
  readonly name: string;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  /** Must cover the longest retry span: see docs/events.md. */
  readonly duplicateWindowMs: number;
  readonly storage?: "file" | "memory";
  readonly replicas?: number;
}

/** The options every writer into the outbox shares (see `BatchWriter`). */
interface OutboxWriting {
  readonly maxOutboxRows: number;
  readonly maxOutboxBytes: number;
  readonly fullPolicy: OutboxFullPolicy;
  readonly logger: Logger;
  readonly onCommitted: (rows: readonly OutboxRow[]) => void;
  readonly onPressure: (what: "dropped" | "blocked", count: number) => void;
}

/** Options of an {@link EventPipeline}. */
export interface EventPipelineOptions {
  readonly store: LookoutStore;
  readonly informers: InformerFactory;
  readonly nats: NatsConnectionSource;
  readonly resources: readonly EventResourceSpec[];
  /** Subject prefix (`kl`). */
  readonly prefix: string;
  /** The cluster's name: a subject token and `ce-source`. */
  readonly cluster: string;
  /** The stream to ensure; undefined: it is managed elsewhere (or `mode: "core"`). */
  readonly stream?: EventStreamSpec;
  readonly mode?: "jetstream" | "core";
  readonly includeObject?: boolean;
  /** Drop updates that change only `status`; default false. */
  readonly dropStatusOnly?: boolean;
  /** Drop updates that change only `metadata.resourceVersion`/`managedFields`; default true. */
  readonly dropMetadataNoise?: boolean;
  /** JSON pointers removed from every object before it is stored or published. */
  readonly dropFields?: readonly string[];
  /** HMAC key of Secret value hashes; default: a random key kept in the store. */
  readonly hashKey?: Uint8Array;
  readonly batchSize?: number;
  readonly batchDelayMs?: number;
  readonly maxOutboxRows?: number;
  readonly maxOutboxBytes?: number;
  readonly fullPolicy?: OutboxFullPolicy;
  readonly maxInFlight?: number;
  readonly ackTimeoutMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Where the instruments are created (docs/metrics.md); default the global provider. */
  readonly meterProvider?: MeterProvider;
  /** Each delivered event's delay from change to ack (ms). */
  readonly onDelivered?: (delayMs: number, duplicate: boolean) => void;
  /** Events dropped by the drop-oldest policy, or writes held (outbox or disk full). */
  readonly onPressure?: (what: "dropped" | "blocked", count: number) => void;
}

/** A Helm release whose findings changed (the Helm checker's `FindingsChange`). */
export interface HelmFindingsChange {
  readonly namespace: string;
  readonly release: string;
  readonly revision: number | undefined;
  readonly findings: readonly unknown[];
  readonly at: number;
}

const HASH_KEY = "events.hashKey";

/** A resource being recorded. */
interface Attached {
  readonly recorder: ResourceRecorder;
  readonly lease: InformerLease;
  readonly registration: HandlerRegistration;
  readonly stop: AbortController;
}

async function detach(a: Attached): Promise<void> {
  a.stop.abort();
  a.registration.remove();
  await a.recorder.close();
  await a.lease.release();
}

/** The running pipeline. */
export class EventPipeline {
  readonly #o: EventPipelineOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #relay: OutboxRelay;
  /**
   * Helm and plugin events: written at once, or held and retried (in order) while the outbox
   * is at its bound or the store is full, as the recorders' changes are.
   */
  readonly #loose: BatchWriter;
  #looseFlushing: Promise<void> | undefined;
  /** What every writer into the outbox shares: the bound, its policy, and the hand-over. */
  readonly #outboxWriting: OutboxWriting;
  readonly #metrics: EventMetrics;
  readonly #attached = new Set<Attached>();
  readonly #abort = new AbortController();
  #redaction: ((object: unknown, resource: ResourceId) => unknown) | undefined;
  #started: Promise<void> | undefined;

  constructor(options: EventPipelineOptions) {
    validatePrefix(options.prefix);
    validateNumbers(options);
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    const nats = options.nats;
    this.#metrics = new EventMetrics(options.meterProvider, {
      outbox: () => options.store.outbox.stats(),
      connected: () =>
        "state" in nats ? nats.state === "connected" : nats.connection() !== undefined,
      now: this.#now,
    });
    const metrics = this.#metrics;
    // The connection the stream was last ensured on. A failed drain forgets it, so the next
    // attempt ensures the stream again: a server back without it (memory storage, an emptyDir,
    // a deleted stream) keeps the connection object but answers every publish "no responders".
    let prepared: NatsConnection | undefined;
    // The connection the stream's differing settings were last reported on.
    let warnedOn: NatsConnection | undefined;
    const stream = options.stream;
    this.#relay = new OutboxRelay({
      outbox: options.store.outbox,
      nats: options.nats,
      mode: options.mode ?? "jetstream",
      maxInFlight: options.maxInFlight ?? 256,
      readBatch: 1000,
      ackTimeoutMs: options.ackTimeoutMs ?? 5000,
      logger: this.#logger,
      now: this.#now,
      onDelivered: (delayMs, duplicate, publishMs) => {
        metrics.delivered(publishMs / 1000, duplicate);
        options.onDelivered?.(delayMs, duplicate);
      },
      onFailed: (err) => {
        prepared = undefined;
        metrics.failed(err);
      },
      onOmitted: (omitted) => metrics.omitted(omitted),
      prepare:
        stream === undefined || options.mode === "core"
          ? undefined
          : async (nc) => {
              if (prepared === nc) return;
              const subjects = [`${options.prefix}.>`];
              const { created, updated, differences } = await ensureStream(nc, {
                ...stream,
                subjects,
              });
              if (created || updated) {
                this.#logger.info("events: stream ready", {
                  stream: stream.name,
                  created,
                  subjects,
                });
              }
              // Re-ensured after every failed publish: warn once per connection, not per retry.
              // Another user of the stream with other limits makes this come back.
              if (differences.length > 0 && warnedOn !== nc) {
                this.#logger.warn(
                  "events: the stream's settings differed from the configuration; set them (storage cannot change)",
                  {
                    stream: stream.name,
                    fields: differences.map((d) => d.field),
                    differences,
                  },
                );
                warnedOn = nc;
              }
              prepared = nc;
            },
    });
    this.#outboxWriting = {
      maxOutboxRows: options.maxOutboxRows ?? 1_000_000,
      maxOutboxBytes: options.maxOutboxBytes ?? 1024 * 1024 * 1024,
      fullPolicy: options.fullPolicy ?? "block",
      logger: this.#logger,
      onCommitted: (rows) => {
        metrics.appended(rows.length);
        this.#relay.offer(rows);
      },
      onPressure: (what, count) => {
        if (what === "dropped") metrics.dropped(count);
        options.onPressure?.(what, count);
      },
    };
    this.#loose = new BatchWriter({
      ...this.#outboxWriting,
      store: options.store,
      resourceKey: "helm and plugin events",
      batchSize: 1,
      batchDelayMs: 0,
    });
  }

  /**
   * Starts the informers and the relay; resolves when every resource has synced and its restart
   * catch-up is recorded. Memoized.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    this.#relay.start();
    await Promise.all(this.#o.resources.map((spec) => this.addResource(spec).synced));
  }

  /**
   * Starts recording one more resource (live reconfiguration): a recorder on the shared
   * informer of `spec`, with its restart catch-up. Throws `EventsClosedError`
   * (`LOOKOUT_EVENTS_CLOSED`) after `close()`.
   */
  addResource(spec: EventResourceSpec): EventResourceAttachment {
    if (this.#abort.signal.aborted) throw new EventsClosedError("add a resource");
    const o = this.#o;
    this.#redaction ??= compileRedaction({
      hashKey: o.hashKey ?? this.#storedHashKey(),
      ...(o.dropFields === undefined ? {} : { dropFields: o.dropFields }),
    });
    const busy = new Set([...this.#attached].map((a) => a.recorder.key));
    carryOverVersion(o.store, spec.resource, spec.namespace, busy, this.#logger);
    const recorder = new ResourceRecorder({
      store: o.store,
      resource: spec.resource,
      ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
      kind: spec.kind,
      transform: this.#redaction,
      subject: (c) =>
        resourceSubject({
          prefix: o.prefix,
          cluster: o.cluster,
          resource: c.resource,
          namespace: c.namespace,
          name: c.name,
          type: c.type,
        }),
      source: o.cluster,
      includeObject: o.includeObject ?? true,
      dropStatusOnly: o.dropStatusOnly ?? false,
      dropMetadataNoise: o.dropMetadataNoise ?? true,
      batchSize: o.batchSize ?? 500,
      batchDelayMs: o.batchDelayMs ?? 50,
      now: this.#now,
      ...this.#outboxWriting,
      pace: () => this.#relay.paced(),
    });
    const lease = o.informers.acquire(informerSpecOf(spec));
    const registration = lease.informer.addEventHandler(recorder, { name: "events" });
    const stop = new AbortController();
    const entry: Attached = { recorder, lease, registration, stop };
    this.#attached.add(entry);
    void lease.informer.start();
    const synced = this.#catchUp(recorder, registration, stop.signal);
    let removed: Promise<void> | undefined;
    return {
      synced,
      remove: () => {
        removed ??= (async () => {
          if (!this.#attached.delete(entry)) return;
          await detach(entry);
        })();
        return removed;
      },
    };
  }

  /** Waits until the first list was delivered to the recorder, then records the deletions. */
  async #catchUp(
    recorder: ResourceRecorder,
    registration: HandlerRegistration,
    stopped: AbortSignal,
  ): Promise<void> {
    const signal = this.#abort.signal;
    while (!registration.hasSynced()) {
      if (signal.aborted || stopped.aborted) return;
      // oxlint-disable-next-line eslint/no-await-in-loop -- polls the handler's sync
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await recorder.finishCatchUp();
    await recorder.flush();
  }

  /** Records a Helm release's findings change as an event. */
  recordHelm(change: HelmFindingsChange): void {
    const o = this.#o;
    const event = helmFindingsEvent(
      {
        namespace: change.namespace,
        release: change.release,
        revision: change.revision,
        findings: change.findings,
        observedAt: change.at,
      },
      {
        source: o.cluster,
        subject: helmSubject({
          prefix: o.prefix,
          cluster: o.cluster,
          namespace: change.namespace,
          release: change.release,
        }),
      },
    );
    this.#append(event);
  }

  /**
   * Publishes a plugin's message (the plugins' `EventPublisher`): on
   * `<prefix>.<cluster>.<tokens…>`, each token escaped like every subject token (so names with
   * dots stay one token); `ce-type` `io.kube-lookout.<first token>`, `ce-subject` the other
   * tokens joined by `/`. A string is split on dots: pass an array when a token (a name) may
   * hold a dot. Goes through the outbox like every event. Throws
   * `LOOKOUT_EVENTS_INVALID_SUBJECT` for an empty token, or a first token that resource and
   * Helm subjects use (`core`, `helm`).
   */
  publish(tokens: string | readonly string[], body: unknown): void {
    const o = this.#o;
    const parts = typeof tokens === "string" ? tokens.split(".") : [...tokens];
    if (parts[0] === "core" || parts[0] === "helm") {
      throw new EventSubjectError("token", parts[0], "a first token other than core and helm");
    }
    const escaped = parts.map((t) => escapeToken(t));
    const subject = [o.prefix, escapeToken(o.cluster), ...escaped].join(".");
    this.#append(
      pluginEvent(
        { kind: parts[0]!, ceSubject: parts.slice(1).join("/"), body, observedAt: this.#now() },
        { source: o.cluster, subject },
      ),
    );
  }

  /**
   * One event in its own transaction, handed to the relay; held and retried every 100 ms (in
   * order with later ones) while the outbox is at its bound or the store is full.
   */
  #append(event: OutgoingEvent): void {
    this.#loose.pushEvent(event);
    this.#flushLoose();
  }

  /** Writes the held Helm and plugin events, or starts the one loop that retries them. */
  #flushLoose(): void {
    if (this.#looseFlushing !== undefined) return; // the running loop writes them in order
    const held = this.#loose.maybeFlush();
    if (held === undefined) return;
    this.#looseFlushing = held
      .catch((err: unknown) => {
        this.#logger.error("events: held Helm and plugin events could not be written", { err });
      })
      .finally(() => {
        this.#looseFlushing = undefined;
        // Queued after the loop's last write, before this ran: write them now.
        if (this.#loose.pendingEvents > 0 && !this.#abort.signal.aborted) this.#flushLoose();
      });
  }

  /** What the relay delivered so far. */
  get counters(): RelayCounters {
    return this.#relay.counters;
  }

  /**
   * Stops recording, writes pending batches, lets the relay deliver the outbox for up to
   * `flushTimeoutMs` (default 0: not at all; what is left is published by the next start), then
   * stops the relay and releases the informers. Idempotent.
   */
  async close(options: { readonly flushTimeoutMs?: number } = {}): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    const attached = [...this.#attached];
    this.#attached.clear();
    for (const a of attached) a.registration.remove();
    await Promise.all(attached.map((a) => a.recorder.close()));
    this.#loose.close();
    await this.#drain(options.flushTimeoutMs ?? 0);
    await this.#relay.close();
    this.#metrics.close();
    await Promise.all(attached.map((a) => a.lease.release()));
  }

  /** Waits while the relay delivers the outbox, up to `timeoutMs` (or the store closing). */
  async #drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const backlog = (): number => {
      try {
        return this.#o.store.outbox.stats().rows;
      } catch {
        return 0; // the store was closed under us: nothing more can be delivered
      }
    };
    const t0 = performance.now();
    let left = backlog();
    while (Date.now() < deadline && left > 0) {
      // oxlint-disable-next-line eslint/no-await-in-loop -- polls the relay's progress
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = backlog();
    }
    if (left > 0) {
      this.#logger.warn(
        "events: outbox flush deadline reached; the next start publishes the rest",
        {
          rows: left,
          waitedMs: Math.round(performance.now() - t0),
          flushTimeoutMs: timeoutMs,
        },
      );
    }
  }

  #storedHashKey(): Uint8Array {
    const kv = this.#o.store.kv;
    const stored = kv.get(HASH_KEY);
    if (stored !== undefined) return Buffer.from(stored, "base64");
    const key = randomBytes(32);
    kv.set(HASH_KEY, key.toString("base64"));
    return key;
  }
}
