/**
 * The series of the scrape benchmark, as plain data every contender is fed from: the product's
 * mix. About 60% of the samples are a Helm-findings-like gauge (13 labels), 10% counters (informer
 * events by resource and type), 30% histograms with 10 buckets (13 samples per point: 11 buckets
 * with `+Inf`, `_sum`, `_count`). "Series" counts samples, as Prometheus counts series.
 */

/** The scope label every sample carries (the OTel exporter adds it; the others copy it). */
export const SCOPE = "kube-lookout/bench";
/** Histogram bucket boundaries (10). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** One gauge or counter point. */
export interface ValuePoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}
/** One histogram point: the observations that make it (every contender records the same). */
export interface HistogramPoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly observations: readonly number[];
}

/** The benchmark's series. OTel names are dotted; `prom` names are what a scrape shows. */
export interface ScrapeSeries {
  readonly gauge: {
    otel: string;
    prom: string;
    help: string;
    labelNames: string[];
    points: ValuePoint[];
  };
  readonly counter: {
    otel: string;
    prom: string;
    help: string;
    labelNames: string[];
    points: ValuePoint[];
  };
  readonly histogram: {
    otel: string;
    prom: string;
    help: string;
    labelNames: string[];
    points: HistogramPoint[];
  };
  /** Samples in a scrape (without `target_info`). */
  readonly samples: number;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = [
  "Ingress",
  "Deployment",
  "CronJob",
  "PodDisruptionBudget",
  "HorizontalPodAutoscaler",
];
const TYPES = ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"];

/** Builds about `total` samples in the product's mix, deterministic for a `seed`. */
export function buildSeries(total: number, seed = 1): ScrapeSeries {
  const random = prng(seed);
  const gaugeCount = Math.round(total * 0.6);
  const counterCount = Math.round(total * 0.1);
  const histogramCount = Math.max(1, Math.round((total - gaugeCount - counterCount) / 13));
  const gaugeLabels = [
    "k8s_namespace_name",
    "helm_release_name",
    "helm_chart_name",
    "helm_chart_version",
    "k8s_object_kind",
    "k8s_object_name",
    "k8s_api_version",
    "k8s_api_version_replacement",
    "deprecated_in",
    "removed_in",
    "target",
    "status",
    "source",
  ];
  const gauge: ValuePoint[] = [];
  for (let i = 0; i < gaugeCount; i++) {
    const release = `release-${Math.floor(i / 6)}`;
    const kind = KINDS[i % KINDS.length] ?? "Ingress";
    gauge.push({
      labels: {
        k8s_namespace_name: `team-${Math.floor(i / 60)}`,
        helm_release_name: release,
        helm_chart_name: `chart-${Math.floor(i / 30)}`,
        helm_chart_version: `1.${i % 17}.${i % 5}`,
        k8s_object_kind: kind,
        k8s_object_name: `${release}-${kind.toLowerCase()}-${i % 6}`,
        k8s_api_version: "networking.k8s.io/v1beta1",
        k8s_api_version_replacement: "networking.k8s.io/v1",
        deprecated_in: "v1.19.0",
        removed_in: "v1.22.0",
        target: i % 2 === 0 ? "v1.22.0" : "v1.25.0",
        status: i % 3 === 0 ? "deprecated" : "removed",
        source: "manifest",
      },
      value: 1,
    });
  }
  const counter: ValuePoint[] = [];
  for (let i = 0; i < counterCount; i++)
    counter.push({
      labels: {
        k8s_resource: `group-${Math.floor(i / 5)}.example.com/v1/things`,
        k8s_watch_event_type: TYPES[i % 5] ?? "ADDED",
      },
      value: Math.floor(random() * 1e6),
    });
  const histogram: HistogramPoint[] = [];
  for (let i = 0; i < histogramCount; i++) {
    const observations: number[] = [];
    for (let j = 0; j < 20; j++) observations.push(Math.round(random() * random() * 8000) / 1000);
    histogram.push({ labels: { k8s_resource: `group-${i}.example.com/v1/things` }, observations });
  }
  return {
    gauge: {
      otel: "kube_lookout.bench.findings",
      prom: "kube_lookout_bench_findings",
      help: "Findings.",
      labelNames: gaugeLabels,
      points: gauge,
    },
    counter: {
      otel: "kube_lookout.bench.events",
      prom: "kube_lookout_bench_events_total",
      help: "Events.",
      labelNames: ["k8s_resource", "k8s_watch_event_type"],
      points: counter,
    },
    histogram: {
      otel: "kube_lookout.bench.duration",
      prom: "kube_lookout_bench_duration",
      help: "Durations.",
      labelNames: ["k8s_resource"],
      points: histogram,
    },
    samples: gaugeCount + counterCount + histogramCount * (BUCKETS.length + 3),
  };
}
