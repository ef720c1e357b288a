/**
 * The Prometheus names an OpenTelemetry instrument becomes, by the rules
 * `@opentelemetry/exporter-prometheus` 0.301.0 applies (its `PrometheusSerializer`): every
 * character outside `[a-zA-Z0-9_]` becomes `_`, runs of `_` collapse to one, a leading digit gets
 * a `_` prefix, and a monotonic sum (a counter) gets `_total`. That exporter version does NOT
 * append the unit to the name (it writes a `# UNIT` comment instead); test/telemetry checks
 * these names against a real scrape, so an exporter that starts doing so fails the test.
 */

/** How an instrument reaches the reader. */
export const InstrumentKind = {
  counter: "Counter",
  observableCounter: "ObservableCounter",
  upDownCounter: "UpDownCounter",
  observableUpDownCounter: "ObservableUpDownCounter",
  gauge: "Gauge",
  observableGauge: "ObservableGauge",
  histogram: "Histogram",
  /** A gauge handed to the reader by a MetricProducer of ours (not an SDK instrument). */
  producerGauge: "MetricProducer gauge",
} as const;
/** One of {@link InstrumentKind}'s values. */
export type InstrumentKind = (typeof InstrumentKind)[keyof typeof InstrumentKind];

/** The Prometheus metric type an instrument kind is exposed as. */
export type PrometheusType = "counter" | "gauge" | "histogram";

/** The Prometheus `# TYPE` of an instrument of `kind`. */
export function prometheusType(kind: InstrumentKind): PrometheusType {
  switch (kind) {
    case "Counter":
    case "ObservableCounter":
      return "counter";
    case "Histogram":
      return "histogram";
    default:
      return "gauge";
  }
}

/** The metric family name `name` (an OTel instrument name) has in a Prometheus scrape. */
export function prometheusName(name: string, kind: InstrumentKind): string {
  let out = name.replace(/[^a-z0-9_]/gi, "_").replace(/_{2,}/g, "_");
  if (out[0] !== undefined && out[0] >= "0" && out[0] <= "9") out = `_${out}`;
  if (prometheusType(kind) === "counter" && !out.endsWith("_total")) out += "_total";
  return out;
}

/** The sample names a family of `type` has in a scrape (a histogram has three). */
export function sampleNames(family: string, type: PrometheusType): readonly string[] {
  return type === "histogram" ? [`${family}_bucket`, `${family}_sum`, `${family}_count`] : [family];
}
