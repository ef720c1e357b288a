/**
 * Our Prometheus text (0.0.4) serializer of collected OpenTelemetry data. It writes what
 * `@opentelemetry/exporter-prometheus` 0.301.0's `PrometheusSerializer` writes (same family
 * names, `# HELP` / `# UNIT` / `# TYPE`, `target_info`, `otel_scope_*` labels, histogram
 * `_count`, `_sum`, `_bucket` order) about three times faster: label names and family names are
 * sanitized once and cached, values are escaped only when they need it, and each sample is one
 * string concatenation (docs/adr/0006-own-prometheus-serializer.md). A test compares both
 * serializers' output on the same data.
 */
import type { Attributes } from "@opentelemetry/api";
import {
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { prometheusName, type InstrumentKind } from "./prometheus-name.ts";

const NEEDS_ESCAPE = /[\\\n"]/;
const INVALID = /[^a-z0-9_]/gi;
const UNDERSCORES = /_{2,}/g;

function escapeText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeValue(v: unknown): string {
  const s = typeof v === "string" ? v : v === undefined ? "" : (JSON.stringify(v) ?? "");
  return NEEDS_ESCAPE.test(s) ? escapeText(s).replace(/"/g, '\\"') : s;
}

function numberText(v: number): string {
  return v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : `${v}`;
}

type PromType = "counter" | "gauge" | "histogram";

function promType(m: MetricData): PromType | undefined {
  if (m.dataPointType === DataPointType.SUM) return m.isMonotonic ? "counter" : "gauge";
  if (m.dataPointType === DataPointType.GAUGE) return "gauge";
  if (m.dataPointType === DataPointType.HISTOGRAM) return "histogram";
  return undefined; // exponential histograms: skipped (the exporter writes only their metadata)
}

interface FamilyPart {
  readonly metric: MetricData;
  /** `otel_scope_name="…"` (and version, schema URL), to append to each sample's labels. */
  readonly scopeLabels: string;
}
interface Family {
  readonly type: PromType;
  help: string;
  unit: string;
  readonly parts: FamilyPart[];
  /** Two metrics of different types share the name: the family is dropped, as the exporter does. */
  conflict: boolean;
}

/** Serializes collections to Prometheus text. Keeps caches of sanitized names (bounded by the instruments and attribute keys seen). */
export class PrometheusText {
  readonly #labelNames = new Map<string, string>();
  readonly #familyNames = new Map<string, string>();

  #labelName(key: string): string {
    let out = this.#labelNames.get(key);
    if (out === undefined) {
      out = key.replace(INVALID, "_").replace(UNDERSCORES, "_");
      if (this.#labelNames.size < 10_000) this.#labelNames.set(key, out);
    }
    return out;
  }

  #familyName(m: MetricData, type: PromType): string {
    const key = `${type}\u0000${m.descriptor.name}`;
    let out = this.#familyNames.get(key);
    if (out === undefined) {
      const kind: InstrumentKind =
        type === "counter" ? "Counter" : type === "histogram" ? "Histogram" : "Gauge";
      out = prometheusName(escapeText(m.descriptor.name), kind);
      if (this.#familyNames.size < 10_000) this.#familyNames.set(key, out);
    }
    return out;
  }

  #labels(attributes: Attributes): string {
    let out = "";
    for (const key in attributes) {
      out += `${out === "" ? "" : ","}${this.#labelName(key)}="${escapeValue(attributes[key])}"`;
    }
    return out;
  }

  /** The text of one collection, as `PrometheusSerializer#serialize` would write it. */
  serialize(rm: ResourceMetrics): string {
    let out = "";
    for (const chunk of this.chunks(rm)) out += chunk;
    return out;
  }

  /**
   * The same text in pieces of about `chunkChars` characters (cut at line ends), so a caller can
   * write each and let the event loop run in between: a large scrape never blocks it for long.
   */
  *chunks(rm: ResourceMetrics, chunkChars = 64 * 1024): Generator<string, void, undefined> {
    const families = this.#families(rm);
    const resource = this.#labels(rm.resource.attributes);
    let out = `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${resource === "" ? "" : `{${resource}}`} 1\n`;
    let any = false;
    for (const [name, f] of families) {
      if (f.conflict) continue;
      any = true;
      out += `# HELP ${name} ${escapeText(f.help || "description missing")}\n`;
      if (f.unit) out += `# UNIT ${name} ${escapeText(f.unit)}\n`;
      out += `# TYPE ${name} ${f.type}\n`;
      for (const { metric, scopeLabels } of f.parts) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          for (const p of metric.dataPoints) {
            out += this.#histogram(name, p, scopeLabels);
            if (out.length >= chunkChars) {
              yield out;
              out = "";
            }
          }
        } else if (metric.dataPointType !== DataPointType.EXPONENTIAL_HISTOGRAM) {
          for (const p of metric.dataPoints) {
            const own = this.#labels(p.attributes);
            out += `${name}{${own === "" ? "" : `${own},`}${scopeLabels}} ${numberText(p.value)}\n`;
            if (out.length >= chunkChars) {
              yield out;
              out = "";
            }
          }
        }
      }
    }
    if (!any) out += "# no registered metrics";
    if (out !== "") yield out;
  }

  /** The families of a collection, in first-seen order, with type conflicts marked. */
  #families(rm: ResourceMetrics): Map<string, Family> {
    const families = new Map<string, Family>();
    for (const sm of rm.scopeMetrics) {
      let scopeLabels = `otel_scope_name="${escapeValue(sm.scope.name)}"`;
      if (sm.scope.schemaUrl)
        scopeLabels += `,otel_scope_schema_url="${escapeValue(sm.scope.schemaUrl)}"`;
      if (sm.scope.version) scopeLabels += `,otel_scope_version="${escapeValue(sm.scope.version)}"`;
      for (const metric of sm.metrics) {
        const type = promType(metric);
        if (type === undefined) continue;
        const name = this.#familyName(metric, type);
        const family = families.get(name);
        if (family === undefined) {
          families.set(name, {
            type,
            help: metric.descriptor.description,
            unit: metric.descriptor.unit,
            parts: [{ metric, scopeLabels }],
            conflict: false,
          });
        } else if (family.type === type) {
          family.help ||= metric.descriptor.description;
          family.unit ||= metric.descriptor.unit;
          family.parts.push({ metric, scopeLabels });
        } else {
          family.conflict = true;
        }
      }
    }
    return families;
  }

  #histogram(name: string, p: DataPoint<Histogram>, scopeLabels: string): string {
    const own = this.#labels(p.attributes);
    const labels = own === "" ? scopeLabels : `${own},${scopeLabels}`;
    const h = p.value;
    let out = `${name}_count{${labels}} ${numberText(h.count)}\n`;
    if (h.sum !== undefined) out += `${name}_sum{${labels}} ${numberText(h.sum)}\n`;
    const { boundaries, counts } = h.buckets;
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i] ?? 0;
      const bound = boundaries[i];
      const le = bound === undefined || bound === Infinity ? "+Inf" : String(bound);
      out += `${name}_bucket{${labels},le="${le}"} ${cumulative}\n`;
      if (bound === Infinity) break;
    }
    return out;
  }
}
