/**
 * Telemetry: the OpenTelemetry SDK setup of the composition root (MeterProvider, resource,
 * views, Prometheus pull and OTLP push) and the catalogue of every instrument kube-lookout has.
 */
export { createTelemetry, PROMETHEUS_CONTENT_TYPE } from "./sdk.ts";
export type { Telemetry } from "./sdk.ts";
export { DEFAULT_CARDINALITY_LIMIT, otlpEndpointInEnv } from "./options.ts";
export type { OtlpOptions, TelemetryOptions } from "./options.ts";
export { ResourceEnv, parseResourceAttributes, resourceAttributes } from "./resource.ts";
export { catalogue, findInstrument, findPrometheusFamily } from "./catalogue.ts";
export type { CatalogueEntry, Component, InstrumentSpec } from "./catalogue.ts";
export { InstrumentKind, prometheusName, prometheusType, sampleNames } from "./prometheus-name.ts";
export type { PrometheusType } from "./prometheus-name.ts";
export { INFORMER_SCOPE, informerMetrics } from "./informer-metrics.ts";
export type { InformerMetricsAdapter, InformerMetricsOptions } from "./informer-metrics.ts";
export { METRICS_DOC_PATH, renderMetricsDoc } from "./metrics-doc.ts";
export {
  InvalidTelemetryOptionError,
  TelemetryClosedError,
  TelemetryCollectError,
} from "./errors.ts";
