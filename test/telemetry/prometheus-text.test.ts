/**
 * Our serializer writes exactly what the exporter's PrometheusSerializer writes, on the same
 * collections: the catalogue's instruments, escapes and odd attribute values, scope versions,
 * type conflicts, an empty collection, and the scrape benchmark's series.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { buildSeries } from "../../bench/lib/scrape-series.ts";
import { oursTelemetry } from "../../bench/lib/scrape-ours.ts";
import { PullMetricReader } from "../../src/telemetry/pull-reader.ts";
import { PrometheusText } from "../../src/telemetry/prometheus-text.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

async function collectWith(fill: (provider: MeterProvider) => void): Promise<ResourceMetrics> {
  const reader = new PullMetricReader(2000, []);
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ "service.name": 'a "quoted"\nname', n: 3 }),
  });
  try {
    fill(provider);
    const { resourceMetrics, errors } = await reader.collect();
    assert.deepEqual(errors, []);
    return resourceMetrics;
  } finally {
    await provider.shutdown();
  }
}

void test("same text as PrometheusSerializer: escapes, non-string values, scope versions, conflicts", async () => {
  const rm = await collectWith((p) => {
    const m = p.getMeter("scope/a", "1.2.3");
    m.createCounter("a.counter", { description: "help with \\ and\nnewline", unit: "{x}" }).add(2, {
      s: 'va"l\\ue\nx',
      n: 1.5,
      b: true,
      arr: ["x", "y"],
      "dotted.key-name": "k",
    });
    m.createCounter("already_total").add(1);
    m.createUpDownCounter("updown").add(-3, { a: "1" });
    m.createGauge("gauge.x", { unit: "s" }).record(Infinity, { a: "inf" });
    m.createGauge("gauge.x").record(-Infinity, { a: "minus" });
    m.createHistogram("hist", { advice: { explicitBucketBoundaries: [1, 2, Infinity] } }).record(
      1.5,
    );
    m.createHistogram("hist.default").record(7, { h: "1" });
    p.getMeter("scope/b").createCounter("a.counter").add(5); // same family, second scope
    p.getMeter("scope/c").createHistogram("updown").record(1); // type conflict: dropped
    p.getMeter("9starts")
      .createObservableGauge("9digit")
      .addCallback((r) => r.observe(1));
  });
  assert.equal(new PrometheusText().serialize(rm), new PrometheusSerializer().serialize(rm));
  assert.match(new PrometheusText().serialize(rm), /otel_scope_version="1.2.3"/);
  const empty = await collectWith(() => {});
  assert.equal(new PrometheusText().serialize(empty), new PrometheusSerializer().serialize(empty));
});

void test("same text as PrometheusSerializer on the scrape benchmark's series (a Helm-like producer, counters, histograms)", async (t) => {
  const telemetry = oursTelemetry(buildSeries(600, 7));
  t.after(() => telemetry.shutdown());
  // The telemetry's own reader is internal: collect the same instruments through a second SDK.
  const series = buildSeries(600, 7);
  const rm = await collectWith((p) => {
    const m = p.getMeter("kube-lookout/bench");
    const c = m.createCounter(series.counter.otel);
    for (const x of series.counter.points) c.add(x.value, x.labels);
    const g = m.createObservableGauge(series.gauge.otel);
    g.addCallback((r) => {
      for (const x of series.gauge.points) r.observe(x.value, x.labels);
    });
    const h = m.createHistogram(series.histogram.otel);
    for (const x of series.histogram.points) for (const v of x.observations) h.record(v, x.labels);
  });
  const ours = new PrometheusText().serialize(rm);
  assert.equal(ours, new PrometheusSerializer().serialize(rm));
  assert.ok(ours.split("\n").length > 600);
  // And the Telemetry's scrape has the same samples as a fresh serialization would (sizes match).
  const scraped = await telemetry.scrape();
  assert.ok(Math.abs(scraped.length - ours.length) / ours.length < 0.05);
});
