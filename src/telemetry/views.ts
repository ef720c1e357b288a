/**
 * The SDK views: explicit bucket boundaries for the catalogue's histograms (or the configured
 * ones) and per-instrument cardinality limits. One view per instrument name: two views matching
 * one instrument would make two streams of the same name. Instruments with no view get the
 * readers' default limit (their `cardinalitySelector`).
 */
import { AggregationType, InstrumentType, type ViewOptions } from "@opentelemetry/sdk-metrics";
import { catalogue } from "./catalogue.ts";

/** What {@link buildViews} takes (from the resolved options). */
export interface ViewInput {
  readonly cardinalityLimit: number;
  readonly cardinalityLimits: ReadonlyMap<string, number>;
  readonly histogramBuckets: ReadonlyMap<string, readonly number[]>;
}

/** The views for `input`: a histogram view per known histogram, a limit view per override. */
export function buildViews(input: ViewInput): ViewOptions[] {
  const buckets = new Map<string, readonly number[]>();
  for (const e of catalogue) {
    if (e.buckets !== undefined && e.bucketsByAdvice !== true) buckets.set(e.name, e.buckets);
  }
  for (const [name, b] of input.histogramBuckets) buckets.set(name, b);
  const views: ViewOptions[] = [];
  for (const [name, boundaries] of buckets) {
    views.push({
      instrumentName: name,
      instrumentType: InstrumentType.HISTOGRAM,
      aggregation: {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...boundaries] },
      },
      // A view's storage does not ask the reader: the limit must be set here.
      aggregationCardinalityLimit: input.cardinalityLimits.get(name) ?? input.cardinalityLimit,
    });
  }
  for (const [name, limit] of input.cardinalityLimits) {
    if (buckets.has(name)) continue;
    views.push({ instrumentName: name, aggregationCardinalityLimit: limit });
  }
  return views;
}
