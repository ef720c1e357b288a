/** The peer of the scrape benchmark: prom-client's Registry holding the same series. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { BUCKETS, SCOPE, type ScrapeSeries } from "./scrape-series.ts";

function withScope(names: string[]): string[] {
  return [...names, "otel_scope_name"];
}

function scoped(labels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...labels, otel_scope_name: SCOPE };
}

/** A prom-client registry with `series` set (values and observations as the others have them). */
export function promClientRegistry(series: ScrapeSeries): Registry {
  const registry = new Registry();
  const gauge = new Gauge({
    name: series.gauge.prom,
    help: series.gauge.help,
    labelNames: withScope(series.gauge.labelNames),
    registers: [registry],
  });
  for (const p of series.gauge.points) gauge.set(scoped(p.labels), p.value);
  const counter = new Counter({
    name: series.counter.prom,
    help: series.counter.help,
    labelNames: withScope(series.counter.labelNames),
    registers: [registry],
  });
  for (const p of series.counter.points) counter.inc(scoped(p.labels), p.value);
  const histogram = new Histogram({
    name: series.histogram.prom,
    help: series.histogram.help,
    labelNames: withScope(series.histogram.labelNames),
    buckets: [...BUCKETS],
    registers: [registry],
  });
  for (const p of series.histogram.points) {
    const labels = scoped(p.labels);
    for (const v of p.observations) histogram.observe(labels, v);
  }
  return registry;
}
