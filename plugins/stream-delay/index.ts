/**
 * The `stream-delay` plugin: for every watched resource, a histogram of the delay from a change
 * (the object's own timestamp) to its arrival at this process through the informer.
 * ADDED: `metadata.creationTimestamp`; DELETED: `metadata.deletionTimestamp`; MODIFIED: the
 * newest `metadata.managedFields[].time` when it moved with this change (managedFields are
 * kept only when the informer factory has `keepManagedFields`). Initial-list adds, resyncs and
 * tombstones are not measured. See docs/plugins.md (clock skew, whole-second timestamps).
 */
import type { Attributes } from "@opentelemetry/api";
import {
  configIncreasingNumbers,
  configObject,
  definePlugin,
  formatResourceId,
  type EventHandler,
  type InformerLease,
  type KubeObject,
  type PluginContext,
  type RawObject,
} from "../../src/plugins/index.ts";
import { creationTime, deletionTime, newestManagedFieldsTime } from "./timestamps.ts";

const NAME = "stream-delay";

/** Default histogram boundaries, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** The validated config of `stream-delay`. */
export interface StreamDelayConfig {
  /** Histogram bucket boundaries in seconds, strictly increasing. */
  readonly buckets: readonly number[];
}

/**
 * Validates `{ buckets?: number[] }` (seconds, increasing, ≥ 0). Throws
 * `LOOKOUT_PLUGIN_BAD_CONFIG` naming the key.
 */
export function parseStreamDelayConfig(raw: unknown): StreamDelayConfig {
  const obj = configObject(NAME, raw, ["buckets"]);
  return { buckets: configIncreasingNumbers(NAME, obj, "buckets", DEFAULT_BUCKETS, { min: 0 }) };
}

/** The `stream-delay` plugin. */
export default definePlugin<StreamDelayConfig>({
  name: NAME,
  configSchema: parseStreamDelayConfig,
  start(ctx) {
    const histogram = ctx.meter.createHistogram("kube_lookout.watch.stream_delay", {
      description: "Delay from a change (the object's timestamp) to its arrival on the watch",
      unit: "s",
      advice: { explicitBucketBoundaries: [...ctx.config.buckets] },
    });
    const skewed = ctx.meter.createCounter("kube_lookout.watch.stream_delay.skewed", {
      description: "Changes whose timestamp is ahead of this process's clock (not measured)",
      unit: "{event}",
    });
    const measure = (resource: string, type: string, at: number | undefined): void => {
      if (at === undefined) return;
      const delayMs = Date.now() - at;
      const attributes: Attributes = { "k8s.resource": resource, "event.type": type };
      if (delayMs < 0) skewed.add(1, attributes);
      else histogram.record(delayMs / 1000, attributes);
    };
    const leases: InformerLease[] = [];
    const removers: (() => void)[] = [];
    try {
      for (const spec of ctx.resources) {
        const lease = ctx.informers.acquire(spec);
        leases.push(lease);
        const resource = formatResourceId(spec.resource);
        const handler = handlerFor(resource, measure);
        const registration = lease.informer.addEventHandler(handler, { name: `plugin-${NAME}` });
        removers.push(() => registration.remove());
      }
    } catch (err) {
      for (const remove of removers) remove();
      void Promise.all(leases.map((l) => l.release()));
      throw err;
    }
    return { stopped: stopOnAbort(ctx, leases, removers) };
  },
});

type Measure = (resource: string, type: string, at: number | undefined) => void;

function handlerFor(resource: string, measure: Measure): EventHandler {
  return {
    onAdd(obj, isInInitialList) {
      if (!isInInitialList) measure(resource, "ADDED", creationTime(parsed(obj)));
    },
    onUpdate(oldObj, newObj) {
      if (oldObj.resourceVersion === newObj.resourceVersion) return; // a resync
      const before = newestManagedFieldsTime(parsed(oldObj));
      const after = newestManagedFieldsTime(parsed(newObj));
      if (after !== undefined && after !== before) measure(resource, "MODIFIED", after);
    },
    onDelete(obj) {
      if ("type" in obj) return; // a tombstone: the deletion itself was not seen
      measure(resource, "DELETED", deletionTime(parsed(obj)));
    },
  };
}

function parsed(obj: RawObject): KubeObject {
  return obj.object;
}

/** Resolves once the signal aborted, the handlers were removed and the leases released. */
async function stopOnAbort(
  ctx: PluginContext,
  leases: readonly InformerLease[],
  removers: readonly (() => void)[],
): Promise<void> {
  if (!ctx.signal.aborted) {
    await new Promise<void>((resolve) => {
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  for (const remove of removers) remove();
  await Promise.all(leases.map((l) => l.release()));
}
