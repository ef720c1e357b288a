/**
 * The reader behind `/metrics`: collects on demand (each scrape), cumulative temporality, with
 * a default cardinality limit for every instrument no view covers. The Prometheus exporter's
 * own reader takes no cardinality selector, so we read with this one and serialize with ours,
 * prometheus-text.ts (docs/adr/0006-own-prometheus-serializer.md).
 */
import { MetricReader, type MetricProducer } from "@opentelemetry/sdk-metrics";

/** A MetricReader that only collects when asked. Shutdown and flush have nothing to do. */
export class PullMetricReader extends MetricReader {
  /** `cardinalityLimit` applies to every instrument kind; `metricProducers` add data at collection. */
  constructor(cardinalityLimit: number, metricProducers: MetricProducer[]) {
    super({ cardinalitySelector: () => cardinalityLimit, metricProducers });
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
