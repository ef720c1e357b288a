/**
 * The limit of the scrape benchmark: the same points serialized to the Prometheus text format
 * (0.0.4) with a plain loop, nothing else (no collection, no aggregation, no HTTP).
 */
import { BUCKETS, SCOPE, type ScrapeSeries } from "./scrape-series.ts";

const NEEDS_ESCAPE = /[\\"\n]/;

function escape(value: string): string {
  return NEEDS_ESCAPE.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
    : value;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  let out = "";
  for (const key in labels) out += `${key}="${escape(labels[key] ?? "")}",`;
  return `${out}otel_scope_name="${SCOPE}"`;
}

/** The exposition text of `series`. */
export function serializeLimit(series: ScrapeSeries): string {
  const { gauge, counter, histogram } = series;
  let out = `# HELP ${gauge.prom} ${gauge.help}\n# TYPE ${gauge.prom} gauge\n`;
  for (const p of gauge.points) out += `${gauge.prom}{${labelText(p.labels)}} ${p.value}\n`;
  out += `# HELP ${counter.prom} ${counter.help}\n# TYPE ${counter.prom} counter\n`;
  for (const p of counter.points) out += `${counter.prom}{${labelText(p.labels)}} ${p.value}\n`;
  out += `# HELP ${histogram.prom} ${histogram.help}\n# TYPE ${histogram.prom} histogram\n`;
  const counts: number[] = Array.from({ length: BUCKETS.length + 1 }, () => 0);
  for (const p of histogram.points) {
    counts.fill(0);
    let sum = 0;
    for (const v of p.observations) {
      sum += v;
      let i = 0;
      while (i < BUCKETS.length && v > (BUCKETS[i] ?? 0)) i++;
      counts[i] = (counts[i] ?? 0) + 1;
    }
    const labels = labelText(p.labels);
    let cumulative = 0;
    for (let i = 0; i <= BUCKETS.length; i++) {
      cumulative += counts[i] ?? 0;
      const le = i < BUCKETS.length ? String(BUCKETS[i]) : "+Inf";
      out += `${histogram.prom}_bucket{${labels},le="${le}"} ${cumulative}\n`;
    }
    out += `${histogram.prom}_sum{${labels}} ${sum}\n${histogram.prom}_count{${labels}} ${p.observations.length}\n`;
  }
  return out;
}
