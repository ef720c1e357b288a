/**
 * The OpenTelemetry SDK setup of the sidecar. Only the composition root calls
 * {@link createTelemetry}; library code takes a `MeterProvider` from `@opentelemetry/api`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { setImmediate } from "node:timers/promises";
import type { MeterProvider as ApiMeterProvider } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import type { Resource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  type InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type MetricProducer,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import pkg from "../../package.json" with { type: "json" };
import type { Logger } from "../logging/index.ts";
import { TelemetryClosedError, TelemetryCollectError } from "./errors.ts";
import { resolveTelemetryOptions, type TelemetryOptions } from "./options.ts";
import { ProducerSet } from "./producer-set.ts";
import { PrometheusText } from "./prometheus-text.ts";
import { PullMetricReader, isGauge } from "./pull-reader.ts";
import { buildResource } from "./resource.ts";
import { buildViews } from "./views.ts";

/** The `Content-Type` of a scrape: the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The running SDK: a MeterProvider, its readers, and the `/metrics` handler. */
export interface Telemetry extends AsyncDisposable {
  /** Hand this to library code (`meterProvider` options). */
  readonly meterProvider: ApiMeterProvider;
  /** The resource every metric carries. */
  readonly resource: Resource;
  /** Whether an OTLP exporter pushes (and to where). */
  readonly otlpUrl: string | undefined;
  /**
   * Adds a MetricProducer to every reader (a component built after the provider, like the Helm
   * checker's `metricProducer`). Returns its removal (idempotent). Throws
   * {@link TelemetryClosedError} after {@link shutdown}.
   */
  addMetricProducer(producer: MetricProducer): () => void;
  /**
   * Collects and serializes the Prometheus text of a scrape. Rejects with
   * {@link TelemetryClosedError} after shutdown, {@link TelemetryCollectError} when the
   * collection fails as a whole; partial errors (one producer failed) are logged and the rest
   * is served. Throws TelemetryClosedError when Prometheus was turned off (`prometheus: false`).
   */
  scrape(): Promise<string>;
  /**
   * Answers a scrape on our own HTTP server (mount it at `/metrics`): 200 with the text format,
   * 503 after shutdown or when Prometheus is off, 500 when the collection failed. Never throws.
   */
  handleMetrics(req: IncomingMessage, res: ServerResponse): void;
  /** Flushes the OTLP exporter (one last push) and stops the readers. Idempotent; every caller awaits the same completion. */
  shutdown(): Promise<void>;
}

/**
 * Builds the SDK: a MeterProvider with the resource (service, cluster, downward-API pod,
 * namespace and node, `OTEL_RESOURCE_ATTRIBUTES`), the views of the catalogue, a pull reader for
 * `/metrics` and, when configured, an OTLP HTTP exporter pushing at an interval (its timer does
 * not keep the process alive). Throws {@link InvalidTelemetryOptionError} on bad options or
 * environment, before anything is built. Opens no port: serve {@link Telemetry.handleMetrics}.
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const o = resolveTelemetryOptions(options, pkg.version);
  const producers = new ProducerSet();
  for (const p of o.metricProducers) producers.add(p);
  const readers: IMetricReader[] = [];
  const pull = o.prometheus ? new PullMetricReader(o.cardinalityLimit, [producers]) : undefined;
  if (pull !== undefined) readers.push(pull);
  if (o.otlp !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new GaugeDeltaOtlpExporter({
          url: o.otlp.url,
          headers: { ...o.otlp.headers },
          timeoutMillis: o.otlp.timeoutMs,
        }),
        exportIntervalMillis: o.otlp.intervalMs,
        exportTimeoutMillis: o.otlp.timeoutMs,
        metricProducers: [producers],
        cardinalityLimits: { default: o.cardinalityLimit },
      }),
    );
  }
  const resource = buildResource(o.resource);
  const provider = new MeterProvider({ resource, views: buildViews(o), readers });
  return new TelemetrySdk(provider, resource, producers, pull, o.otlp?.url, o.logger);
}

/**
 * The OTLP exporter with gauges read with delta temporality, as `/metrics` reads them: a push
 * then carries only the attribute sets observed for it, so the series of something gone (a
 * deleted workload) stop with the next push instead of being pushed with their last value for
 * good. OTLP gauges carry no temporality, so receivers see the same points. Other kinds keep the
 * exporter's preference (cumulative, or `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`).
 */
class GaugeDeltaOtlpExporter extends OTLPMetricExporter {
  override selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return isGauge(type) ? AggregationTemporality.DELTA : super.selectAggregationTemporality(type);
  }
}

class TelemetrySdk implements Telemetry {
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  readonly otlpUrl: string | undefined;
  readonly #producers: ProducerSet;
  readonly #pull: PullMetricReader | undefined;
  readonly #serializer = new PrometheusText();
  readonly #logger: Logger;
  #shutdown: Promise<void> | undefined;

  constructor(
    provider: MeterProvider,
    resource: Resource,
    producers: ProducerSet,
    pull: PullMetricReader | undefined,
    otlpUrl: string | undefined,
    logger: Logger,
  ) {
    this.meterProvider = provider;
    this.resource = resource;
    this.#producers = producers;
    this.#pull = pull;
    this.otlpUrl = otlpUrl;
    this.#logger = logger;
  }

  addMetricProducer(producer: MetricProducer): () => void {
    if (this.#shutdown !== undefined) throw new TelemetryClosedError();
    return this.#producers.add(producer);
  }

  async scrape(): Promise<string> {
    return this.#serializer.serialize(await this.#collect());
  }

  async #collect(): Promise<ResourceMetrics> {
    if (this.#shutdown !== undefined || this.#pull === undefined)
      throw new TelemetryClosedError(
        this.#pull === undefined ? "Prometheus is turned off" : undefined,
      );
    let result;
    try {
      result = await this.#pull.collect();
    } catch (err) {
      throw new TelemetryCollectError(err);
    }
    if (result.errors.length > 0)
      this.#logger.warn("metrics collection had errors", { errors: result.errors });
    return result.resourceMetrics;
  }

  handleMetrics(_req: IncomingMessage, res: ServerResponse): void {
    void this.#respond(res);
  }

  /**
   * Writes the scrape in chunks, letting the event loop run between them (a scrape of thousands
   * of series would otherwise block it for tens of ms) and waiting for `drain` when the socket
   * is full. Stops if the client went away.
   */
  async #respond(res: ServerResponse): Promise<void> {
    let rm: ResourceMetrics;
    try {
      rm = await this.#collect();
    } catch (err) {
      const closed = err instanceof TelemetryClosedError;
      if (!closed) this.#logger.error("metrics scrape failed", { error: err });
      res.writeHead(closed ? 503 : 500, { "content-type": "text/plain; charset=utf-8" });
      res.end(closed ? `${err.message}\n` : "metrics collection failed\n");
      return;
    }
    res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    const chunks = this.#serializer.chunks(rm);
    // pipeline waits for `drain` when the socket is full and ends the response; a client that
    // goes away mid-body rejects it with ERR_STREAM_PREMATURE_CLOSE (nothing to do then).
    await pipeline(async function* () {
      for (const chunk of chunks) {
        yield chunk;
        // oxlint-disable-next-line eslint/no-await-in-loop -- yield to the event loop between chunks
        await setImmediate();
      }
    }, res).catch((err: unknown) => {
      const code = err instanceof Error && "code" in err ? err.code : undefined;
      if (code !== "ERR_STREAM_PREMATURE_CLOSE") {
        this.#logger.error("metrics response failed", { error: err });
      }
    });
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.meterProvider.shutdown();
    return this.#shutdown;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
