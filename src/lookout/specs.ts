/**
 * How a watched member becomes the specs of its informer and of its event recorder
 * (`dropFields` as the informer's transform), and where the cache API finds a resource's last
 * verification.
 */
import {
  compileDropFields,
  informerSpecOf as eventsInformerSpec,
  type EventResourceSpec,
} from "../events/index.ts";
import type { InformerSpec } from "../informer/index.ts";
import { formatResourceId, type ResourceId } from "../kube/index.ts";
import type { LookoutStore } from "../store/index.ts";
import type { WatchedResource } from "../watch/index.ts";

/**
 * The last verification of `resource` the `watch-verify` plugin recorded in the store's kv
 * (`watch-verify.<group/version/resource>`: `{ resourceVersion, time }`), if any.
 */
export function storedVerification(
  store: LookoutStore,
  resource: ResourceId,
): { resourceVersion: string; at: number } | undefined {
  let text: string | undefined;
  try {
    text = store.kv.get(`watch-verify.${formatResourceId(resource)}`);
  } catch {
    return undefined; // the store is closed: nothing to say
  }
  if (text === undefined) return undefined;
  const mark: unknown = JSON.parse(text);
  const rv: unknown =
    typeof mark === "object" && mark !== null ? Reflect.get(mark, "resourceVersion") : undefined;
  const time: unknown =
    typeof mark === "object" && mark !== null ? Reflect.get(mark, "time") : undefined;
  return typeof rv === "string" && typeof time === "number"
    ? { resourceVersion: rv, at: time }
    : undefined;
}

/** The informer a member (or a plugin) watches through. */
export function informerSpecOf(r: WatchedResource): InformerSpec {
  return eventsInformerSpec(eventSpecOf(r));
}

/** The event pipeline's spec of a member: its informer's, with `dropFields` as the transform. */
export function eventSpecOf(r: WatchedResource): EventResourceSpec {
  const drop = r.dropFields ?? [];
  let transform = r.transform;
  let transformKey = r.transformKey;
  if (drop.length > 0) {
    // The informer factory shares informers by this key: same fields dropped (after the same
    // user transform), same informer.
    const dropper = compileDropFields(drop);
    const user = transform;
    transform = user === undefined ? dropper : (obj) => dropper(user(obj));
    transformKey = `${transformKey ?? ""}|drop:${JSON.stringify(drop)}`;
  }
  return {
    resource: r.resource,
    kind: r.kind,
    ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
    ...(r.labelSelector === undefined ? {} : { labelSelector: r.labelSelector }),
    ...(r.fieldSelector === undefined ? {} : { fieldSelector: r.fieldSelector }),
    ...(r.pageSize === undefined ? {} : { pageSize: r.pageSize }),
    ...(transform === undefined ? {} : { transform, transformKey: transformKey ?? "" }),
  };
}
