/**
 * The informer's metrics hook (src/informer/metrics.ts) as OpenTelemetry instruments, named as
 * the catalogue names them. Counters and the list-duration histogram go through the meter; the
 * three gauges (objects cached, last event age, handler queue depth) are a MetricProducer of ours
 * answering from the latest reports, so a resource's gauges leave `/metrics` at the next scrape
 * after {@link InformerMetricsAdapter.forget} (an SDK observable gauge would keep exporting them:
 * ADR 0005). Every hook is cheap: a counter add or a map write.
 */
import {
  ValueType,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
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
import type { InformerMetrics, WatchEndReason } from "../informer/index.ts";
import { findInstrument } from "./catalogue.ts";

/** The meter scope the informer's instruments belong to. */
export const INFORMER_SCOPE = "kube-lookout/informer";
const R = "k8s.resource";

/** The hook plus what the composition root needs to export and retire its gauges. */
export interface InformerMetricsAdapter extends Required<InformerMetrics> {
  /** Register with the readers (`telemetry.addMetricProducer`): the three gauges. */
  readonly metricProducer: MetricProducer;
  /** Drops a stopped informer's gauges (objects, last event age, handler queue depths). Idempotent. */
  forget(resource: string): void;
  /**
   * A hook for one of several informers of the same resource (one per namespace, say): its
   * gauges add up with theirs (objects and queue depths summed; the last event age is the
   * oldest informer's), and
   * `dispose()` removes its share once the informer has stopped.
   */
  forInformer(): Required<InformerMetrics> & { dispose(): void };
}

/** Options of {@link informerMetrics}. */
export interface InformerMetricsOptions {
  /** The clock `lastEventTime` is reported in (ms since epoch); default `Date.now`. */
  readonly now?: () => number;
}

function describe(name: string): { description: string; unit: string } {
  const e = findInstrument(name);
  if (e === undefined) throw new Error(`${name} is not in the catalogue`);
  return { description: e.meaning, unit: e.unit };
}

function errorType(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    if ("code" in error && typeof error.code === "string") return error.code;
    if (error instanceof Error) return error.name;
  }
  return "unknown";
}

function gauge(name: string, points: DataPoint<number>[], valueType: ValueType): MetricData {
  return {
    descriptor: { name, ...describe(name), valueType },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points,
  };
}

/**
 * Builds the adapter on `meter` (get it with scope {@link INFORMER_SCOPE}). Hand the adapter to
 * informers as their `metrics` option (one adapter serves any number of informers: every
 * series carries `k8s.resource`), and its `metricProducer` to the telemetry.
 */
export function informerMetrics(
  meter: Meter,
  options: InformerMetricsOptions = {},
): InformerMetricsAdapter {
  const now = options.now ?? Date.now;
  const counter = (name: string): Counter => meter.createCounter(name, describe(name));
  const lists = counter("kube_lookout.informer.lists");
  const listObjects = counter("kube_lookout.informer.list.objects");
  const watches = counter("kube_lookout.informer.watches");
  const watchEnds = counter("kube_lookout.informer.watch.ends");
  const restarts = counter("kube_lookout.informer.restarts");
  const expired = counter("kube_lookout.informer.expired");
  const events = counter("kube_lookout.informer.events");
  const errors = counter("kube_lookout.informer.errors");
  const listDuration: Histogram = meter.createHistogram(
    "kube_lookout.informer.list.duration",
    describe("kube_lookout.informer.list.duration"),
  );
  // Gauge state by resource, then by informer (instance 0: the adapter used directly).
  const objects = new Map<string, Map<number, number>>();
  const lastEvent = new Map<string, Map<number, number>>();
  const depths = new Map<string, Map<string, Map<number, number>>>();
  let instances = 0;
  // Attribute objects reused on the hot path (per event): one per resource and event type.
  const eventAttrs = new Map<string, Attributes>();
  const resourceAttrs = new Map<string, Attributes>();
  const byResource = (resource: string): Attributes => {
    let a = resourceAttrs.get(resource);
    if (a === undefined) resourceAttrs.set(resource, (a = Object.freeze({ [R]: resource })));
    return a;
  };

  const collect = (): CollectionResult => {
    const ms = now();
    const time: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6];
    const point = (attributes: Attributes, value: number): DataPoint<number> => ({
      startTime: time,
      endTime: time,
      attributes,
      value,
    });
    const objectPoints = [...objects].map(([r, n]) => point(byResource(r), sum(n)));
    const agePoints = [...lastEvent].map(([r, t]) =>
      // The most stalled informer of the resource counts (a namespace whose watch stalled must
      // not hide behind a busy one).
      point(byResource(r), Math.max(0, ms - Math.min(...t.values())) / 1000),
    );
    const depthPoints: DataPoint<number>[] = [];
    for (const [r, handlers] of depths)
      for (const [handler, d] of handlers) depthPoints.push(point({ [R]: r, handler }, sum(d)));
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [
          {
            scope: { name: INFORMER_SCOPE },
            metrics: [
              gauge("kube_lookout.informer.objects", objectPoints, ValueType.INT),
              gauge("kube_lookout.informer.last_event.age", agePoints, ValueType.DOUBLE),
              gauge("kube_lookout.informer.handler.queue.depth", depthPoints, ValueType.INT),
            ],
          },
        ],
      },
      errors: [],
    };
  };

  const hooks = (id: number): Required<InformerMetrics> => ({
    listRequest(info) {
      const ok = info.error === undefined;
      lists.add(1, { [R]: info.resource, outcome: ok ? "success" : "error" });
      listDuration.record(info.durationMs / 1000, byResource(info.resource));
      if (info.items > 0) listObjects.add(info.items, byResource(info.resource));
    },
    watchStarted(resource) {
      watches.add(1, byResource(resource));
    },
    watchEnded(info: { readonly resource: string; readonly reason: WatchEndReason }) {
      watchEnds.add(1, { [R]: info.resource, reason: info.reason });
    },
    restart(info) {
      restarts.add(1, { [R]: info.resource, reason: info.reason });
    },
    expired(resource) {
      expired.add(1, byResource(resource));
    },
    event(info) {
      const key = `${info.resource}\u0000${info.type}`;
      let a = eventAttrs.get(key);
      if (a === undefined)
        eventAttrs.set(
          key,
          (a = Object.freeze({ [R]: info.resource, "k8s.watch.event.type": info.type })),
        );
      events.add(1, a);
    },
    objectsCached(info) {
      share(objects, info.resource).set(id, info.count);
    },
    lastEventTime(info) {
      share(lastEvent, info.resource).set(id, info.time);
    },
    handlerQueueDepth(info) {
      let handlers = depths.get(info.resource);
      if (handlers === undefined) depths.set(info.resource, (handlers = new Map()));
      share(handlers, info.handler).set(id, info.depth);
    },
    error(info) {
      errors.add(1, { [R]: info.resource, "error.type": errorType(info.error) });
    },
  });
  const dispose = (id: number): void => {
    for (const gauges of [objects, lastEvent]) {
      for (const [r, shares] of gauges)
        if (shares.delete(id) && shares.size === 0) gauges.delete(r);
    }
    for (const [r, handlers] of depths) {
      for (const [h, shares] of handlers)
        if (shares.delete(id) && shares.size === 0) handlers.delete(h);
      if (handlers.size === 0) depths.delete(r);
    }
  };

  return {
    ...hooks(0),
    metricProducer: { collect: () => Promise.resolve(collect()) },
    forget(resource) {
      objects.delete(resource);
      lastEvent.delete(resource);
      depths.delete(resource);
    },
    forInformer() {
      const id = ++instances;
      return { ...hooks(id), dispose: () => dispose(id) };
    },
  };
}

function share<K>(map: Map<K, Map<number, number>>, key: K): Map<number, number> {
  let m = map.get(key);
  if (m === undefined) map.set(key, (m = new Map()));
  return m;
}

function sum(values: Map<number, number>): number {
  let total = 0;
  for (const v of values.values()) total += v;
  return total;
}
