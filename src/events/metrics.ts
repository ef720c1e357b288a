/**
 * The event pipeline's instruments (names as in the catalogue, docs/metrics.md): the outbox's
 * backlog and its age, rows appended and dropped, and the relay's deliveries, duplicates,
 * failures, messages sent with members omitted, publish-to-ack latency and NATS connection
 * state. Only `@opentelemetry/api`: the MeterProvider is injected (default: the global one).
 */
import {
  metrics as otelMetrics,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableGauge,
} from "@opentelemetry/api";
import type { OutboxStats } from "../store/index.ts";

/** Names of the pipeline's instruments. */
export const EventMetricNames = {
  backlog: "kube_lookout.outbox.backlog",
  backlogAge: "kube_lookout.outbox.backlog.age",
  appended: "kube_lookout.outbox.appended",
  dropped: "kube_lookout.outbox.dropped",
  publishDuration: "kube_lookout.relay.publish.duration",
  delivered: "kube_lookout.relay.delivered",
  duplicates: "kube_lookout.relay.duplicates",
  failures: "kube_lookout.relay.failures",
  omitted: "kube_lookout.relay.omitted",
  connected: "kube_lookout.relay.nats.connected",
} as const;

/** What the gauges read at each collection. */
export interface EventGaugeSources {
  outbox(): OutboxStats;
  connected(): boolean;
  now(): number;
}

/** The instruments; {@link close} removes the gauges' callback. */
export class EventMetrics {
  readonly #appended: Counter;
  readonly #dropped: Counter;
  readonly #publishDuration: Histogram;
  readonly #delivered: Counter;
  readonly #duplicates: Counter;
  readonly #failures: Counter;
  readonly #omitted: Counter;
  readonly #meter: Meter;
  readonly #gauges: ObservableGauge[];
  readonly #callback: BatchObservableCallback;
  readonly #connected: ObservableGauge;
  readonly #connectedCallback: ObservableCallback;

  constructor(provider: MeterProvider | undefined, sources: EventGaugeSources) {
    const outboxMeter = (provider ?? otelMetrics.getMeterProvider()).getMeter(
      "kube-lookout/outbox",
    );
    const relayMeter = (provider ?? otelMetrics.getMeterProvider()).getMeter("kube-lookout/relay");
    this.#meter = outboxMeter;
    this.#appended = outboxMeter.createCounter(EventMetricNames.appended, {
      description: "Rows written to the outbox.",
      unit: "{row}",
    });
    this.#dropped = outboxMeter.createCounter(EventMetricNames.dropped, {
      description: "Rows dropped before publication, by reason.",
      unit: "{row}",
    });
    this.#publishDuration = relayMeter.createHistogram(EventMetricNames.publishDuration, {
      description: "Time from a publish to its JetStream acknowledgement.",
      unit: "s",
    });
    this.#delivered = relayMeter.createCounter(EventMetricNames.delivered, {
      description: "Messages acknowledged by JetStream as stored.",
      unit: "{message}",
    });
    this.#duplicates = relayMeter.createCounter(EventMetricNames.duplicates, {
      description: "Messages JetStream acknowledged as duplicates.",
      unit: "{message}",
    });
    this.#failures = relayMeter.createCounter(EventMetricNames.failures, {
      description: "Publishes that failed and will be retried, by code.",
      unit: "{message}",
    });
    this.#omitted = relayMeter.createCounter(EventMetricNames.omitted, {
      description: "Messages over the server's max_payload, sent without their large members.",
      unit: "{message}",
    });
    const backlog = outboxMeter.createObservableGauge(EventMetricNames.backlog, {
      description: "Outbox rows not yet acknowledged by NATS.",
      unit: "{row}",
    });
    const age = outboxMeter.createObservableGauge(EventMetricNames.backlogAge, {
      description: "Age of the oldest outbox row not yet acknowledged (0 when empty).",
      unit: "s",
    });
    const connected = relayMeter.createObservableGauge(EventMetricNames.connected, {
      description: "1 while the NATS connection is up, 0 otherwise.",
      unit: "1",
    });
    // A batch callback's instruments must come from its meter: the outbox's two gauges share
    // one, the connection gauge has its own.
    this.#gauges = [backlog, age];
    this.#callback = (result) => {
      let stats: OutboxStats;
      try {
        stats = sources.outbox();
      } catch {
        return; // the store is closed: nothing to say
      }
      result.observe(backlog, stats.rows);
      const oldest = stats.oldestObservedAt;
      result.observe(age, oldest === undefined ? 0 : Math.max(0, sources.now() - oldest) / 1000);
    };
    outboxMeter.addBatchObservableCallback(this.#callback, this.#gauges);
    this.#connected = connected;
    this.#connectedCallback = (result) => result.observe(sources.connected() ? 1 : 0);
    connected.addCallback(this.#connectedCallback);
  }

  appended(rows: number): void {
    if (rows > 0) this.#appended.add(rows);
  }

  dropped(rows: number): void {
    if (rows > 0) this.#dropped.add(rows, { reason: "drop_oldest" });
  }

  delivered(publishSeconds: number, duplicate: boolean): void {
    this.#publishDuration.record(publishSeconds);
    if (duplicate) this.#duplicates.add(1);
    else this.#delivered.add(1);
  }

  failed(err: unknown): void {
    this.#failures.add(1, { "error.type": errorType(err) });
  }

  omitted(members: readonly string[]): void {
    this.#omitted.add(1, { "kube_lookout.omitted": members.join(",") });
  }

  close(): void {
    this.#meter.removeBatchObservableCallback(this.#callback, this.#gauges);
    this.#connected.removeCallback(this.#connectedCallback);
  }
}

/** A stable, low-cardinality name for an error: its `code`, else its class name. */
function errorType(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const code: unknown = Reflect.get(err, "code");
    if (typeof code === "string" && code !== "") return code;
    const name: unknown = Reflect.get(err, "name");
    if (typeof name === "string" && name !== "") return name;
  }
  return "unknown";
}
