/**
 * Ours in the scrape benchmark: createTelemetry's MeterProvider and `/metrics` serialization.
 * The findings-like gauge comes from a MetricProducer that builds its points from the source at
 * each collection, as the Helm checker's does; the counter and the histogram go through the API.
 */
import { ValueType, type Attributes } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import { createTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { BUCKETS, SCOPE, type ScrapeSeries } from "./scrape-series.ts";

function findingsProducer(series: ScrapeSeries): MetricProducer {
  const g = series.gauge;
  return {
    collect(): Promise<CollectionResult> {
      const ms = Date.now();
      const time: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6];
      const points: DataPoint<number>[] = [];
      for (const p of g.points) {
        const attributes: Attributes = { ...p.labels };
        points.push({ startTime: time, endTime: time, attributes, value: p.value });
      }
      return Promise.resolve({
        resourceMetrics: {
          resource: emptyResource(),
          scopeMetrics: [
            {
              scope: { name: SCOPE },
              metrics: [
                {
                  descriptor: {
                    name: g.otel,
                    description: g.help,
                    unit: "",
                    valueType: ValueType.INT,
                  },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.GAUGE,
                  dataPoints: points,
                },
              ],
            },
          ],
        },
        errors: [],
      });
    },
  };
}

/** A Telemetry holding `series` (no target_info labels beyond the defaults: env is empty). */
export function oursTelemetry(series: ScrapeSeries): Telemetry {
  const telemetry = createTelemetry({
    env: {},
    serviceVersion: "0.0.0",
    metricProducers: [findingsProducer(series)],
    histogramBuckets: { [series.histogram.otel]: [...BUCKETS] },
    cardinalityLimit: 100_000,
  });
  const meter = telemetry.meterProvider.getMeter(SCOPE);
  const counter = meter.createCounter(series.counter.otel, { description: series.counter.help });
  for (const p of series.counter.points) counter.add(p.value, p.labels);
  const histogram = meter.createHistogram(series.histogram.otel, {
    description: series.histogram.help,
  });
  for (const p of series.histogram.points)
    for (const v of p.observations) histogram.record(v, p.labels);
  return telemetry;
}
