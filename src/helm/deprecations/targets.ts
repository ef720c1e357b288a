/**
 * Upgrade targets and the verdict of one rule at one target version.
 */
import { BadVersionError, TargetUncoveredError } from "./errors.ts";
import { compareKubeVersions, formatKubeVersion, parseKubeVersion } from "./kube-version.ts";
import type { KubeVersion } from "./kube-version.ts";
import type { DeprecationRule } from "./row-schema.ts";

/** Which Kubernetes versions to check against. */
export interface TargetConfig {
  /** Minor offsets from the cluster's version (default `[0, 1, 2]`); ignored when `versions` is set. */
  readonly offsets?: readonly number[];
  /** Explicit target versions (`"v1.31.0"`, `"1.32"`), used instead of offsets. */
  readonly versions?: readonly string[];
}

/** The default minor offsets: the current version and the next two minors. */
export const DEFAULT_TARGET_OFFSETS: readonly number[] = Object.freeze([0, 1, 2]);

/** Targets within the table's coverage, and one error for each target beyond it. */
export interface TargetPlan {
  readonly targets: readonly KubeVersion[];
  readonly uncovered: readonly TargetUncoveredError[];
}

/** The status of an API at a target. */
export const ApiStatus = {
  Removed: "removed",
  Deprecated: "deprecated",
  Fine: "fine",
} as const;
/** One of the {@link ApiStatus} values. */
export type ApiStatus = (typeof ApiStatus)[keyof typeof ApiStatus];

/** The verdict of one rule at one target. */
export interface Evaluation {
  readonly status: ApiStatus;
  /**
   * Minor versions from the target until removal (0 when removed at or before the target);
   * null when the rule has no removal version or the two versions have different majors.
   */
  readonly minorsUntilRemoval: number | null;
}

/**
 * Throws {@link TargetUncoveredError} (`LOOKOUT_HELM_TARGET_UNCOVERED`) when `target`'s minor is
 * newer than `coversUpTo`'s (patch releases of the covered minor are covered).
 */
export function assertTargetCovered(target: KubeVersion, coversUpTo: KubeVersion): void {
  if (
    target.major > coversUpTo.major ||
    (target.major === coversUpTo.major && target.minor > coversUpTo.minor)
  ) {
    throw new TargetUncoveredError(formatKubeVersion(target), formatKubeVersion(coversUpTo, true));
  }
}

/**
 * The upgrade targets for a cluster at `cluster`: each offset added to its minor (patch 0), or
 * the explicit `versions` as given. Sorted oldest first, duplicates removed. Targets beyond
 * `coversUpTo` are not returned but reported in `uncovered`. Throws {@link BadVersionError} for an
 * explicit version that does not parse or an offset that is not a non-negative integer.
 */
export function planTargets(
  cluster: KubeVersion,
  coversUpTo: KubeVersion,
  config: TargetConfig = {},
): TargetPlan {
  let candidates: KubeVersion[];
  if (config.versions !== undefined) {
    candidates = config.versions.map((text) => parseKubeVersion(text));
  } else {
    const offsets = config.offsets ?? DEFAULT_TARGET_OFFSETS;
    candidates = offsets.map((offset) => {
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new BadVersionError(
          String(offset),
          "a target offset must be a non-negative integer number of minors",
        );
      }
      return { major: cluster.major, minor: cluster.minor + offset, patch: 0 };
    });
  }
  candidates.sort(compareKubeVersions);
  const targets: KubeVersion[] = [];
  const uncovered: TargetUncoveredError[] = [];
  for (const target of candidates) {
    const previous = targets.at(-1);
    if (previous !== undefined && compareKubeVersions(previous, target) === 0) continue;
    try {
      assertTargetCovered(target, coversUpTo);
      targets.push(target);
    } catch (error) {
      if (!(error instanceof TargetUncoveredError)) throw error;
      if (!uncovered.some((e) => e.target === error.target)) uncovered.push(error);
    }
  }
  return { targets, uncovered };
}

/**
 * The status of `rule`'s API at `target` (a Kubernetes version for `"k8s"` rules, the
 * component's own version otherwise): `removed` when target ≥ removedIn, else `deprecated` when
 * target ≥ deprecatedIn, else `fine`; with the minors left until removal counted from the target.
 * Pure; does not check coverage (see {@link assertTargetCovered}).
 */
export function evaluate(rule: DeprecationRule, target: KubeVersion): Evaluation {
  const { removed, deprecated } = rule;
  const minorsUntilRemoval =
    removed === null || removed.major !== target.major
      ? null
      : Math.max(0, removed.minor - target.minor);
  if (removed !== null && compareKubeVersions(target, removed) >= 0) {
    return { status: ApiStatus.Removed, minorsUntilRemoval };
  }
  if (deprecated !== null && compareKubeVersions(target, deprecated) >= 0) {
    return { status: ApiStatus.Deprecated, minorsUntilRemoval };
  }
  return { status: ApiStatus.Fine, minorsUntilRemoval };
}
