/**
 * The catalogue against a real scrape: every instrument, created as the catalogue describes it,
 * shows up under the Prometheus name, type and unit the catalogue computes; the scrape passes
 * promtool. And docs/metrics.md is what the catalogue generates.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { ValueType, type Meter } from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type MetricData } from "@opentelemetry/sdk-metrics";
import { HelmMetricNames } from "../../src/helm/index.ts";
import {
  catalogue,
  createTelemetry,
  findPrometheusFamily,
  METRICS_DOC_PATH,
  renderMetricsDoc,
  type CatalogueEntry,
} from "../../src/telemetry/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { families, promtoolCheck } from "./scrape-support.ts";

after(assertNoActiveHandles);

function attributesOf(e: CatalogueEntry): Record<string, string> {
  return Object.fromEntries(e.attributes.map((a) => [a, "x"]));
}

/** Creates `e` as its component would and records one value. */
function create(meter: Meter, e: CatalogueEntry): void {
  const opts = { unit: e.unit, description: e.meaning };
  const attrs = attributesOf(e);
  switch (e.kind) {
    case "Counter":
      return meter.createCounter(e.name, opts).add(1, attrs);
    case "UpDownCounter":
      return meter.createUpDownCounter(e.name, opts).add(1, attrs);
    case "Gauge":
      return meter.createGauge(e.name, opts).record(1, attrs);
    case "Histogram":
      // As its creator does when it sets the buckets itself (stream-delay, from its config).
      return meter
        .createHistogram(e.name, {
          ...opts,
          ...(e.bucketsByAdvice === true && e.buckets !== undefined
            ? { advice: { explicitBucketBoundaries: [...e.buckets] } }
            : {}),
        })
        .record(0.3, attrs);
    case "ObservableGauge":
      meter.createObservableGauge(e.name, opts).addCallback((r) => r.observe(1, attrs));
      return;
    case "ObservableCounter":
      meter.createObservableCounter(e.name, opts).addCallback((r) => r.observe(1, attrs));
      return;
    case "ObservableUpDownCounter":
      meter.createObservableUpDownCounter(e.name, opts).addCallback((r) => r.observe(1, attrs));
      return;
    case "MetricProducer gauge":
      return; // produced below
  }
}

void test("every catalogue instrument appears in a scrape under its Prometheus name, type and unit; promtool passes", async (t) => {
  const produced: MetricData[] = catalogue
    .filter((e) => e.kind === "MetricProducer gauge")
    .map((e) => ({
      descriptor: { name: e.name, description: e.meaning, unit: e.unit, valueType: ValueType.INT },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: [{ startTime: [0, 0], endTime: [0, 0], attributes: attributesOf(e), value: 1 }],
    }));
  const telemetry = createTelemetry({
    env: {},
    metricProducers: [
      {
        collect: () =>
          Promise.resolve({
            resourceMetrics: {
              resource: emptyResource(),
              scopeMetrics: [{ scope: { name: "kube-lookout/helm" }, metrics: produced }],
            },
            errors: [],
          }),
      },
    ],
  });
  t.after(() => telemetry.shutdown());
  const meter = telemetry.meterProvider.getMeter("kube-lookout/catalogue-test");
  for (const e of catalogue) create(meter, e);
  const text = await telemetry.scrape();
  const f = families(text);
  for (const e of catalogue) {
    const family = f.get(e.prometheusName);
    assert.ok(family !== undefined, `${e.name} → ${e.prometheusName} not in the scrape`);
    assert.equal(family.type, e.prometheusType, e.name);
    assert.equal(family.unit, e.unit, e.name);
    if (e.buckets !== undefined) {
      const les = family.samples.flatMap((s) => /_bucket\{.*le="([^"]+)"/.exec(s)?.[1] ?? []);
      assert.deepEqual(les, [...e.buckets.map(String), "+Inf"], e.name);
    }
    for (const sample of family.samples) {
      const labels = [...sample.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]);
      const expected = new Set(e.attributes.map((a) => a.replace(/[^a-zA-Z0-9_]/g, "_")));
      for (const l of labels)
        if (l !== "otel_scope_name" && l !== "le")
          assert.ok(expected.has(l ?? ""), `${l} on ${e.name}`);
    }
  }
  // Nothing in the scrape outside the catalogue but the resource.
  for (const name of f.keys())
    assert.ok(name === "target_info" || findPrometheusFamily(name) !== undefined, name);
  assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });
});

void test("catalogue: unique names, the Helm checker's instruments exactly, histograms have buckets", () => {
  const names = catalogue.map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  const prom = catalogue.map((e) => e.prometheusName);
  assert.equal(new Set(prom).size, prom.length);
  assert.deepEqual(
    catalogue
      .filter((e) => e.component === "helm")
      .map((e) => e.name)
      .sort(),
    Object.values(HelmMetricNames).sort(),
  );
  for (const e of catalogue) {
    assert.match(e.name, /^kube_lookout\.[a-z_]+(\.[a-z_]+)+$/, e.name);
    assert.equal(e.kind === "Histogram", e.buckets !== undefined, e.name);
    assert.ok(!e.attributes.some((a) => a === "k8s.pod.name"), `${e.name}: no pod names`);
  }
});

void test("docs/metrics.md is what the catalogue generates (run `npx node src/telemetry/write-docs.ts`)", () => {
  const onDisk = readFileSync(new URL(`../../${METRICS_DOC_PATH}`, import.meta.url), "utf8");
  assert.equal(onDisk, renderMetricsDoc());
  for (const e of catalogue)
    assert.ok(onDisk.includes(`\`${e.prometheusName}\``), e.prometheusName);
});
