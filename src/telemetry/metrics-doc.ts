/**
 * docs/metrics.md, generated from the catalogue. Tables are padded the way prettier formats
 * Markdown, so the generated file passes `prettier --check` as is.
 */
import { catalogue, type CatalogueEntry, type Component } from "./catalogue.ts";

/** Where the generated file lives, relative to the repository root. */
export const METRICS_DOC_PATH = "docs/metrics.md";

const SECTIONS: readonly { component: Component; title: string; scope: string }[] = [
  { component: "helm", title: "Helm checker", scope: "kube-lookout/helm" },
  { component: "informer", title: "Informer", scope: "kube-lookout/informer" },
  { component: "store", title: "Store", scope: "kube-lookout/store" },
  { component: "outbox", title: "Outbox", scope: "kube-lookout/outbox" },
  { component: "relay", title: "Relay (JetStream publisher)", scope: "kube-lookout/relay" },
  { component: "scan-pool", title: "Scan pool", scope: "kube-lookout/scan-pool" },
  {
    component: "plugins",
    title: "Plugins",
    scope: "kube-lookout/plugins (the host), kube-lookout/plugin/<name> (each plugin)",
  },
  { component: "cli", title: "Sidecar runner (`kube-lookout run`)", scope: "kube-lookout/cli" },
];

const INTRO = `# Metrics

<!-- GENERATED from src/telemetry/catalogue.ts by \`node src/telemetry/write-docs.ts\` (run it with the project's Node 24: \`npx node src/telemetry/write-docs.ts\`). Do not edit by hand: test/telemetry/metrics-doc.test.ts fails when this file differs from what the catalogue generates. -->

Every instrument kube-lookout exports. Names follow the OpenTelemetry semantic conventions
(dotted, unit in the instrument's \`unit\`, \`k8s.*\` attribute names); the Prometheus column
is the metric family a scrape shows, by the rules \`@opentelemetry/exporter-prometheus\` 0.301.0
applies: characters outside \`[a-zA-Z0-9_]\` become \`_\`, counters end in \`_total\`, and the unit
is NOT appended (it appears as a \`# UNIT\` comment). A histogram family has \`_bucket\`, \`_sum\`
and \`_count\` samples. Every sample also carries \`otel_scope_name\` (the scope in each section's
title), and a \`target_info\` series carries the resource.

Status \`planned\` marks an instrument whose component does not create it yet: the name, unit and
attributes here are the contract its wiring implements.

## Getting the metrics

The composition root calls \`createTelemetry()\` (src/telemetry/sdk.ts); library code only takes
a \`MeterProvider\` from \`@opentelemetry/api\`.

- Prometheus: \`telemetry.handleMetrics(req, res)\` answers a scrape on the sidecar's own HTTP
  server (one port for \`/metrics\`, health and the cache API); text format 0.0.4.
- OTLP HTTP: on when \`otlp\` is configured or \`OTEL_EXPORTER_OTLP_ENDPOINT\` /
  \`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT\` is set; interval \`otlp.intervalMs\` or
  \`OTEL_METRIC_EXPORT_INTERVAL\` (default 60000 ms), timeout \`OTEL_METRIC_EXPORT_TIMEOUT\`
  (default 30000 ms; cut to the interval when longer) or \`otlp.timeoutMs\` (refused when longer
  than the interval); \`OTEL_EXPORTER_OTLP_HEADERS\` is honoured. Gauges are pushed with delta
  temporality, as \`/metrics\` reads them: the series of something gone stop with the next push.
- Informers: pass \`informerMetrics(meter)\` (src/telemetry/informer-metrics.ts, meter scope
  \`kube-lookout/informer\`) as an informer's \`metrics\` option and register its
  \`metricProducer\`; call \`forget(resource)\` when an informer stops, and its gauges leave
  \`/metrics\` at the next scrape.
- Embedded: hand your own \`MeterProvider\` to the components, and register the Helm checker's
  \`metricProducer\` with your reader (\`metricProducers\`).

Resource attributes, lowest precedence first: \`service.name\` \`kube-lookout\`,
\`service.version\` (the package's) and, when \`POD_NAME\` is set, \`service.instance.id\`
\`<POD_NAMESPACE>.<POD_NAME>\` (so replicas pushing through one collector stay apart);
\`OTEL_RESOURCE_ATTRIBUTES\`; the downward API: \`POD_NAME\`
→ \`k8s.pod.name\`, \`POD_NAMESPACE\` → \`k8s.namespace.name\`, \`NODE_NAME\` → \`k8s.node.name\`;
\`OTEL_SERVICE_NAME\`; then the options \`resourceAttributes\`, \`clusterName\`
(\`k8s.cluster.name\`) and \`serviceName\`. Set the downward-API variables in the pod spec:

\`\`\`yaml
env:
  - name: POD_NAME
    valueFrom: { fieldRef: { fieldPath: metadata.name } }
  - name: POD_NAMESPACE
    valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
  - name: NODE_NAME
    valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
\`\`\`

## Cardinality

No pod or object names as attributes, except where a bounded, documented set is the point (the
Helm findings: one series per object with a finding). Every instrument has a limit on its
attribute sets (\`cardinalityLimit\`, default 2000, per instrument with \`cardinalityLimits\`);
past it the SDK folds new sets into one \`otel.metric.overflow="true"\` series. The limit does not
apply to data of a MetricProducer (the Helm findings), which answers from current state: a
series whose object is gone is gone at the next scrape. Histogram buckets are set by views from
the catalogue (\`histogramBuckets\` overrides them), except stream-delay's, which the plugin's
\`buckets\` config sets (the catalogue's are its default).

## Scrape speed

\`/metrics\` is read by a pull reader of ours and written by a serializer of ours that produces
exactly what the exporter's \`PrometheusSerializer\` does, about three times faster, in chunks
that let the event loop run ([adr/0006](adr/0006-own-prometheus-serializer.md)).
\`npm run bench -- scrape\` measures scrapes per second of 5,000 series in the product's mix
against prom-client's registry holding the same series and a plain-loop serializer (the limit),
and the worst event-loop delay of the serving process.
`;

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function code(text: string): string {
  return `\`${text}\``;
}

/** A Markdown table padded as prettier pads it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function row(e: CatalogueEntry): string[] {
  const meaning =
    e.buckets === undefined ? e.meaning : `${e.meaning} Buckets: ${e.buckets.join(", ")}.`;
  return [
    code(e.name),
    code(e.prometheusName),
    e.kind,
    code(e.unit),
    e.attributes.length === 0 ? "—" : e.attributes.map(code).join(", "),
    e.status,
    cell(meaning),
  ];
}

/** The full text of docs/metrics.md. */
export function renderMetricsDoc(): string {
  const parts = [INTRO];
  for (const s of SECTIONS) {
    const entries = catalogue.filter((e) => e.component === s.component);
    parts.push(
      `## ${s.title} (${code(s.scope)})\n\n${table(
        ["Instrument", "Prometheus", "Type", "Unit", "Attributes", "Status", "Meaning"],
        entries.map(row),
      )}\n`,
    );
  }
  return parts.join("\n");
}
