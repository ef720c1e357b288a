/**
 * Planning a scan: for each release looked at, the revision to check, and whether the checked
 * state already matches it (nothing to read), needs reading, or is gone.
 */
import type { Entry } from "./release-entry.ts";
import { STORAGE_RESOURCES, pickRevision, type RevisionRef } from "./storage-object.ts";

/** What a scan must do. */
export interface ScanPlan {
  /** Revisions whose payload must be read (their storage object is new or changed). */
  readonly wants: RevisionRef[];
  /** Entries whose storage object is unchanged. */
  readonly unchanged: Entry[];
  /** Entries of releases with no checked revision any more. */
  readonly remove: Entry[];
  /** Releases with more than one deployed revision, and how many. */
  readonly duplicates: Map<string, number>;
}

/** What the planner reads. */
export interface PlanInput {
  readonly keys: Iterable<string>;
  readonly revisions: (key: string) => Iterable<RevisionRef>;
  readonly entry: (key: string) => Entry | undefined;
  readonly statuses: ReadonlySet<string>;
  /**
   * The scopes that answer 403, as {@link forbiddenKey}s (a namespace, or "" for the cluster
   * scope, per resource): what is known of releases stored there is kept.
   */
  readonly forbidden: ReadonlySet<string>;
}

/** The key of a forbidden scope: `secrets/team-a`, `configmaps/` (cluster scope). */
export function forbiddenKey(resource: "secrets" | "configmaps", namespace: string): string {
  return `${resource}/${namespace}`;
}

function isForbidden(entry: Entry, forbidden: ReadonlySet<string>): boolean {
  const resource = STORAGE_RESOURCES[entry.driver].resource;
  return (
    forbidden.has(forbiddenKey(resource, entry.namespace)) ||
    forbidden.has(forbiddenKey(resource, ""))
  );
}

/** Plans a scan of `keys`. Pure. */
export function planScan(input: PlanInput): ScanPlan {
  const plan: ScanPlan = { wants: [], unchanged: [], remove: [], duplicates: new Map() };
  const { forbidden } = input;
  for (const key of input.keys) {
    const pick = pickRevision(input.revisions(key), input.statuses);
    if (pick.deployed > 1) plan.duplicates.set(key, pick.deployed);
    const entry = input.entry(key);
    const chosen = pick.chosen;
    if (chosen === undefined) {
      if (entry !== undefined && !isForbidden(entry, forbidden)) {
        plan.remove.push(entry);
      }
    } else if (
      entry !== undefined &&
      entry.storageUid === chosen.uid &&
      entry.storageResourceVersion === chosen.resourceVersion
    ) {
      plan.unchanged.push(entry);
    } else {
      plan.wants.push(chosen);
    }
  }
  return plan;
}
