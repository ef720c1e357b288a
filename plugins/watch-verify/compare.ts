/**
 * Comparing one LIST of a resource with the informer's cache, and confirming differences
 * across two consecutive rounds so that changes in flight (listed before the watch delivered
 * them, or the reverse) are not counted.
 */

/** A kind of discrepancy between the server and the cache. */
export type DiscrepancyKind = "missing" | "ghost" | "stale";

/** One difference: the object's key and both sides' resourceVersions ("" = absent). */
export interface Difference {
  readonly key: string;
  readonly kind: DiscrepancyKind;
  readonly listed: string;
  readonly cached: string;
}

/**
 * The differences between `listed` and `cached` (key → resourceVersion): missing (listed, not
 * cached), ghost (cached, not listed), stale (both, different resourceVersions).
 */
export function differences(
  listed: ReadonlyMap<string, string>,
  cached: ReadonlyMap<string, string>,
): Difference[] {
  const out: Difference[] = [];
  for (const [key, rv] of listed) {
    const have = cached.get(key);
    if (have === undefined) out.push({ key, kind: "missing", listed: rv, cached: "" });
    else if (have !== rv) out.push({ key, kind: "stale", listed: rv, cached: have });
  }
  for (const [key, rv] of cached) {
    if (!listed.has(key)) out.push({ key, kind: "ghost", listed: "", cached: rv });
  }
  return out;
}

/**
 * The differences of this round that the previous round saw identically (same key, kind and
 * both resourceVersions): neither side moved in between, so the cache is really wrong.
 */
export function confirmed(
  previous: readonly Difference[],
  current: readonly Difference[],
): Difference[] {
  const seen = new Set(previous.map(signature));
  return current.filter((d) => seen.has(signature(d)));
}

function signature(d: Difference): string {
  return JSON.stringify([d.key, d.kind, d.listed, d.cached]);
}
