/**
 * An in-memory OpenTelemetry reader for tests: a MeterProvider whose data points are collected
 * on demand, shut down after the test.
 */
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type DataPoint,
} from "@opentelemetry/sdk-metrics";

/**
 * Cumulative, or with `gaugeDelta` cumulative but for gauges: DELTA there, as the /metrics pull
 * reader does, which for a gauge changes no value but makes the SDK export only the attribute
 * sets observed at this collection (a cumulative gauge keeps every set it ever saw, so a gone
 * series would stay).
 */
class TestReader extends MetricReader {
  constructor(gaugeDelta: boolean) {
    super({
      aggregationTemporalitySelector: (type) =>
        gaugeDelta && (type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE)
          ? AggregationTemporality.DELTA
          : AggregationTemporality.CUMULATIVE,
    });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A MeterProvider with a reader; `points(name)` collects the data points of one instrument. */
export interface Metrics {
  readonly provider: MeterProvider;
  points(name: string): Promise<DataPoint<unknown>[]>;
}

/** A provider with an in-memory reader, shut down after the test (see TestReader for `gaugeDelta`). */
export function testMetrics(
  t: { after(fn: () => unknown): void },
  options: { readonly gaugeDelta?: boolean } = {},
): Metrics {
  const reader = new TestReader(options.gaugeDelta ?? false);
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  return {
    provider,
    async points(name) {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, "metric collection failed");
      const out: DataPoint<unknown>[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name === name) out.push(...metric.dataPoints);
        }
      }
      return out;
    },
  };
}
