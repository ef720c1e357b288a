/**
 * The reader behind `/metrics`: collects on demand (each scrape), cumulative temporality (delta
 * for gauges, see below), with
 * a default cardinality limit for every instrument no view covers. The Prometheus exporter's
 * own reader takes no cardinality selector, so we read with this one and serialize with ours,
 * prometheus-text.ts (docs/adr/0006-own-prometheus-serializer.md).
 */
import {
  AggregationTemporality,
  InstrumentType,
  MetricReader,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";

/**
 * Gauges are read with delta temporality: a collection reports only the attribute sets observed
 * in it, so the series of something gone (a deleted workload, a stopped informer) leave
 * `/metrics` at the next scrape. With cumulative temporality the SDK keeps exporting every
 * attribute set a gauge ever had. Everything else is cumulative, as Prometheus expects.
 */
function temporalityOf(type: InstrumentType): AggregationTemporality {
  return isGauge(type) ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
}

/** True for the gauge kinds, which every reader of ours reads with delta temporality. */
export function isGauge(type: InstrumentType): boolean {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE;
}

/** A MetricReader that only collects when asked. Shutdown and flush have nothing to do. */
export class PullMetricReader extends MetricReader {
  /** `cardinalityLimit` applies to every instrument kind; `metricProducers` add data at collection. */
  constructor(cardinalityLimit: number, metricProducers: MetricProducer[]) {
    super({
      cardinalitySelector: () => cardinalityLimit,
      aggregationTemporalitySelector: temporalityOf,
      metricProducers,
    });
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
