/**
 * A watched resource's version changed (`autoscaling/v2beta2` → `autoscaling/v2`, as an API's
 * removal asks): its objects are the same (uid and resourceVersion are kept across versions), so
 * the last recorded state of the old version is the baseline of the new one. Without it, the
 * restart catch-up of the new version found nothing stored, announced every object as `added`
 * again, and left the old version's snapshots in the store for good.
 */
import type { ResourceId } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { LookoutStore } from "../store/index.ts";
import { resourceKey } from "./recorder.ts";

/** What {@link carryOverVersion} moved. */
export interface CarriedOver {
  /** The stored key the snapshots came from (`autoscaling/v2beta2/horizontalpodautoscalers`). */
  readonly from: string;
  readonly to: string;
  /** The namespace whose snapshots moved; absent: all. */
  readonly namespace?: string;
  readonly snapshots: number;
}

/** Group and resource of a stored key (`apps/v1/deployments`, `v1/pods`), or undefined. */
function groupResourceOf(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length === 2) return `/${parts[1]}`;
  if (parts.length === 3) return `${parts[0]}/${parts[2]}`;
  return undefined;
}

/**
 * When `resource` has no snapshots (in `namespace`, for a recorder of one namespace) and another
 * version of the same group and resource has some there, and no recorder uses that version
 * (`busy`: the stored keys being recorded), moves them to `resource` (one statement) and says
 * from where; else does nothing. A recorder of one namespace takes only that namespace's: the
 * others stay for the recorders of those namespaces, whichever version they watch. Of several
 * such versions (left by a removed watch), the one with the most snapshots is taken. Logs what
 * it moved.
 */
export function carryOverVersion(
  store: LookoutStore,
  resource: ResourceId,
  namespaceScope: string | undefined,
  busy: ReadonlySet<string>,
  logger: Logger,
): CarriedOver | undefined {
  // "" is every namespace, as for the recorder.
  const namespace = namespaceScope === "" ? undefined : namespaceScope;
  const to = resourceKey(resource);
  const wanted = groupResourceOf(to);
  if (wanted === undefined) return undefined;
  const count = (key: string): number => {
    const meta = store.snapshots.loadMeta(key);
    if (namespace === undefined) return meta.size;
    let n = 0;
    for (const m of meta.values()) if (m.namespace === namespace) n++;
    return n;
  };
  const stored = store.snapshots.resources();
  const others = stored.filter(
    (key) => key !== to && !busy.has(key) && groupResourceOf(key) === wanted,
  );
  // Most starts find no other version: nothing is read then (the recorder reads `to` itself).
  if (others.length === 0) return undefined;
  if (namespace === undefined ? stored.includes(to) : count(to) > 0) return undefined;
  let from: string | undefined;
  let most = 0;
  for (const key of others) {
    const n = count(key);
    if (n > most) {
      from = key;
      most = n;
    }
  }
  if (from === undefined) return undefined;
  const carried = {
    from,
    to,
    ...(namespace === undefined ? {} : { namespace }),
    snapshots: store.snapshots.moveResource(from, to, namespace),
  };
  logger.info("events: the resource's version changed; its snapshots carry over", carried);
  return carried;
}
