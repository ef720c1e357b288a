/**
 * The shape of a catalogue entry (catalogue.ts holds the table) and the helpers that build one.
 */
import type { InstrumentKind, PrometheusType } from "./prometheus-name.ts";

/** The part of kube-lookout an instrument belongs to (one meter scope each). */
export type Component =
  "helm" | "informer" | "store" | "outbox" | "relay" | "scan-pool" | "plugins" | "cli";

/** One instrument, as the catalogue describes it. */
export interface InstrumentSpec {
  /** OpenTelemetry instrument name, e.g. `kube_lookout.helm.findings`. */
  readonly name: string;
  readonly kind: InstrumentKind;
  /** UCUM unit (`s`, `By`, `1`) or an annotation in braces (`{release}`). */
  readonly unit: string;
  /** Attribute keys on every data point (the series' label names). */
  readonly attributes: readonly string[];
  /** What one data point means. */
  readonly meaning: string;
  readonly component: Component;
  /**
   * `implemented`: code creating it exists (the informer's in `informerMetrics()`, handed to the
   * informer's `metrics` option); `planned`: the name its component's wiring will use.
   */
  readonly status: "implemented" | "planned";
  /** Explicit histogram bucket boundaries (histograms only), set by a view. */
  readonly buckets?: readonly number[];
  /**
   * The code creating the histogram sets its buckets (the instrument's advice, from its own
   * config: a plugin's `buckets`), so no view sets `buckets`, which are only its default; a
   * `histogramBuckets` entry for it still does.
   */
  readonly bucketsByAdvice?: boolean;
}

/** An {@link InstrumentSpec} with the names it has in a Prometheus scrape. */
export interface CatalogueEntry extends InstrumentSpec {
  /** The metric family name in a scrape (`kube_lookout_helm_scans_total`). */
  readonly prometheusName: string;
  readonly prometheusType: PrometheusType;
}

/** An entry before its section (component and status) is applied. */
export type Draft = Omit<InstrumentSpec, "component" | "status">;

/** Stamps a section's component and status on its entries. */
export function section(
  component: Component,
  status: InstrumentSpec["status"],
  drafts: readonly Draft[],
): InstrumentSpec[] {
  const out: InstrumentSpec[] = [];
  for (const d of drafts) out.push({ ...d, component, status });
  return out;
}

/** One instrument of a section: name, kind, unit, attributes, meaning, buckets (histograms). */
export function spec(
  name: string,
  kind: InstrumentKind,
  unit: string,
  attributes: readonly string[],
  meaning: string,
  buckets?: readonly number[],
): Draft {
  return { name, kind, unit, attributes, meaning, ...(buckets === undefined ? {} : { buckets }) };
}
