/**
 * The Helm checker's metrics. Counters, histograms and small gauges go through the
 * OpenTelemetry API (a meter from the injected MeterProvider). The per-finding gauge (and
 * the releases-with-findings gauge, whose target/status sets can vanish too) is a
 * MetricProducer of ours instead: OpenTelemetry JS keeps exporting attribute sets an observable
 * gauge no longer observes (seen with sdk-metrics 3.1.1, test/helm/checker/metrics.test.ts), so a
 * fixed finding would never leave `/metrics`. Register {@link HelmCheckerMetrics.producer} with
 * the reader (`new PrometheusExporter({ metricProducers: [checker.metricProducer] })`).
 */
import {
  metrics as otelMetrics,
  ValueType,
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableGauge,
} from "@opentelemetry/api";
import { emptyResource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type MetricData,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";
import type { HelmFinding } from "../findings.ts";
import { ScanPoolMetrics, type MeteredPool } from "./pool-metrics.ts";

const SCOPE = "kube-lookout/helm";

/** Names of the checker's instruments (the catalogue of docs/metrics.md lists them). */
export const HelmMetricNames = {
  findings: "kube_lookout.helm.findings",
  releases: "kube_lookout.helm.releases",
  releasesWithFindings: "kube_lookout.helm.releases.with_findings",
  scans: "kube_lookout.helm.scans",
  scanDuration: "kube_lookout.helm.scan.duration",
  lastSuccess: "kube_lookout.helm.scan.last_success",
  releaseErrors: "kube_lookout.helm.release.errors",
  checkerErrors: "kube_lookout.helm.checker.errors",
  duplicateDeployed: "kube_lookout.helm.releases.duplicate_deployed",
} as const;

/** What the gauges read at each collection. */
export interface MetricsSnapshot {
  readonly entries: Iterable<{
    readonly findings: readonly HelmFinding[];
    readonly errors: readonly unknown[];
  }>;
  readonly duplicates: number;
  readonly lastFullScanAt: number | undefined;
}

/** An integer gauge's data, as a MetricProducer hands it to the reader. */
function gauge(
  name: string,
  description: string,
  unit: string,
  dataPoints: DataPoint<number>[],
): MetricData {
  return {
    descriptor: { name, description, unit, valueType: ValueType.INT },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints,
  };
}

/** The stable label set of one finding (no timestamps, no revision: they would churn series). */
export function findingAttributes(f: HelmFinding): Attributes {
  return {
    "k8s.namespace.name": f.namespace,
    "helm.release.name": f.release,
    "helm.chart.name": f.chart,
    "helm.chart.version": f.chartVersion,
    "k8s.object.kind": f.kind,
    "k8s.object.name": f.name,
    "k8s.api_version": f.apiVersion,
    "k8s.api_version.replacement": f.replacementApi ?? "",
    deprecated_in: f.deprecatedIn ?? "",
    removed_in: f.removedIn ?? "",
    target: f.target,
    status: f.status,
    source: f.source,
  };
}

/**
 * The instruments. Construction registers the observable gauges (and, given the checker's scan
 * pool, the pool's instruments: pool-metrics.ts); {@link close} removes their callbacks. The
 * findings producer answers from `snapshot()` at each collection, so a finding that is gone is
 * gone at the next scrape.
 */
export class HelmCheckerMetrics {
  readonly #scans: Counter;
  readonly #duration: Histogram;
  readonly #releaseErrors: Counter;
  readonly #checkerErrors: Counter;
  readonly #gauges: ObservableGauge[];
  readonly #callback: BatchObservableCallback;
  readonly #meter: Meter;
  readonly #snapshot: () => MetricsSnapshot;
  readonly #pool: ScanPoolMetrics | undefined;
  #lastSuccess: number | undefined;
  /** The per-finding gauge, for the reader's `metricProducers`. */
  readonly producer: MetricProducer;

  constructor(
    provider: MeterProvider | undefined,
    snapshot: () => MetricsSnapshot,
    pool?: MeteredPool,
  ) {
    this.#snapshot = snapshot;
    this.#pool = pool === undefined ? undefined : new ScanPoolMetrics(pool, provider);
    const meter = (provider ?? otelMetrics.getMeterProvider()).getMeter(SCOPE);
    this.#meter = meter;
    this.#scans = meter.createCounter(HelmMetricNames.scans, {
      description: "Helm scans completed, by mode (full or incremental).",
      unit: "{scan}",
    });
    this.#duration = meter.createHistogram(HelmMetricNames.scanDuration, {
      description: "Duration of Helm scans, by mode.",
      unit: "s",
      advice: {
        explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      },
    });
    this.#releaseErrors = meter.createCounter(HelmMetricNames.releaseErrors, {
      description:
        "Release revisions that could not be fully checked, by error code (counted once per revision and code).",
      unit: "{error}",
    });
    this.#checkerErrors = meter.createCounter(HelmMetricNames.checkerErrors, {
      description: "Errors of the checker itself (version read, store, extra rows), by code.",
      unit: "{error}",
    });
    const releases = meter.createObservableGauge(HelmMetricNames.releases, {
      description: "Helm releases checked.",
      unit: "{release}",
      valueType: ValueType.INT,
    });
    const lastSuccess = meter.createObservableGauge(HelmMetricNames.lastSuccess, {
      description: "When the last full scan succeeded (Unix time).",
      unit: "s",
    });
    const duplicates = meter.createObservableGauge(HelmMetricNames.duplicateDeployed, {
      description: "Releases with more than one revision in status deployed.",
      unit: "{release}",
      valueType: ValueType.INT,
    });
    this.#gauges = [releases, lastSuccess, duplicates];
    this.#callback = (result) => {
      const snap = this.#snapshot();
      let count = 0;
      for (const _ of snap.entries) count++;
      result.observe(releases, count);
      result.observe(duplicates, snap.duplicates);
      const at = snap.lastFullScanAt ?? this.#lastSuccess;
      if (at !== undefined) result.observe(lastSuccess, at / 1000);
    };
    meter.addBatchObservableCallback(this.#callback, this.#gauges);
    this.producer = { collect: () => Promise.resolve(this.#collectFindings()) };
  }

  /** Records a completed scan. */
  scanned(summary: { readonly mode: string; readonly durationMs: number }, now: number): void {
    this.#scans.add(1, { mode: summary.mode });
    this.#duration.record(summary.durationMs / 1000, { mode: summary.mode });
    if (summary.mode === "full") this.#lastSuccess = now;
  }

  /** Counts a release error (the caller counts each revision and code once). */
  releaseError(code: string): void {
    this.#releaseErrors.add(1, { "error.type": code });
  }

  /** Counts an error of the checker itself. */
  checkerError(code: string): void {
    this.#checkerErrors.add(1, { "error.type": code });
  }

  /**
   * The per-finding gauge and the releases-with-findings gauge, from the current findings: an
   * attribute set that is gone is not reported (see the module comment).
   */
  #collectFindings(): CollectionResult {
    const ms = Date.now();
    const time: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6];
    const points: DataPoint<number>[] = [];
    const seen = new Set<string>();
    const perTarget = new Map<string, { target: string; status: string; n: number }>();
    for (const e of this.#snapshot().entries) {
      const counted = new Set<string>();
      for (const f of e.findings) {
        const attributes = findingAttributes(f);
        const key = JSON.stringify(attributes);
        if (!seen.has(key)) {
          seen.add(key); // the same object twice in a manifest is one series
          points.push({ startTime: time, endTime: time, attributes, value: 1 });
        }
        const slotKey = `${f.target}\u0000${f.status}`;
        if (counted.has(slotKey)) continue;
        counted.add(slotKey);
        const slot = perTarget.get(slotKey) ?? { target: f.target, status: f.status, n: 0 };
        slot.n++;
        perTarget.set(slotKey, slot);
      }
    }
    const releases: DataPoint<number>[] = [...perTarget.values()].map((slot) => ({
      startTime: time,
      endTime: time,
      attributes: { target: slot.target, status: slot.status },
      value: slot.n,
    }));
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [
          {
            scope: { name: SCOPE },
            metrics: [
              gauge(
                HelmMetricNames.findings,
                "One series per object of a Helm release using an API deprecated or removed at a target version (value 1).",
                "{finding}",
                points,
              ),
              gauge(
                HelmMetricNames.releasesWithFindings,
                "Releases with at least one deprecated or removed API, by target and status.",
                "{release}",
                releases,
              ),
            ],
          },
        ],
      },
      errors: [],
    };
  }

  /** Removes the gauges' callbacks (the pool's too). Idempotent. */
  close(): void {
    this.#meter.removeBatchObservableCallback(this.#callback, this.#gauges);
    this.#pool?.close();
  }
}
