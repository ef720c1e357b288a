/**
 * Findings: what the checker reports for one release's objects against the deprecation table
 * at each target version. Pure data and pure functions, shared by the sidecar's checker, the
 * CLI's one-shot check and the benchmark.
 */
import type { ManifestSource, ScannedObject } from "./decode/index.ts";
import {
  ApiStatus,
  KUBERNETES_COMPONENT,
  evaluate,
  formatKubeVersion,
  parseKubeVersion,
  type DeprecationTable,
  type KubeVersion,
} from "./deprecations/index.ts";

/** The status of a finding: `fine` verdicts are not findings. */
export type FindingStatus = "deprecated" | "removed";

/** The release (or file) whose objects are checked. */
export interface ReleaseRef {
  /** The namespace of the release's storage object (Secret/ConfigMap), never the payload's. */
  readonly namespace: string;
  /** The release name; in files mode, the file path. */
  readonly release: string;
  /** The revision checked; 0 in files mode. */
  readonly revision: number;
  readonly chart: string;
  readonly chartVersion: string;
}

/** One object of a release using an API that is deprecated or removed at one target. */
export interface HelmFinding {
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  readonly chart: string;
  readonly chartVersion: string;
  /** The object's `metadata.name`; "" when the manifest has none. */
  readonly name: string;
  /** The object's `metadata.namespace`; "" when the manifest has none. */
  readonly objectNamespace: string;
  readonly kind: string;
  readonly apiVersion: string;
  /** The release's rendered manifest or one of its hooks. */
  readonly source: ManifestSource;
  /** `"k8s"` or the component (cert-manager, istio, …) whose version the target is. */
  readonly component: string;
  readonly deprecatedIn: string | null;
  readonly removedIn: string | null;
  readonly replacementApi: string | null;
  /** The target version, `v1.25.0`; for a component without a configured version, `latest`. */
  readonly target: string;
  readonly status: FindingStatus;
  /** Minor versions from the target until removal; null when not computable. */
  readonly minorsUntilRemoval: number | null;
}

/** A release that could not be (fully) checked: its payload or a document was unreadable. */
export interface HelmReleaseError {
  readonly namespace: string;
  readonly release: string;
  /** The revision, when known. */
  readonly revision?: number;
  /** A stable `LOOKOUT_*` code. */
  readonly code: string;
  readonly message: string;
}

/** Which versions findings are computed at. */
export interface FindingTargets {
  /** Kubernetes targets, all within the table's coverage (see `planTargets`). */
  readonly kubernetes: readonly KubeVersion[];
  /**
   * Component versions (`{"cert-manager": "v1.15.0"}`). A component without a version here is
   * judged as at its newest release: a row with `removedIn` is `removed`, else `deprecated`.
   */
  readonly components?: Readonly<Record<string, string>>;
}

const LATEST = "latest";

/**
 * The findings of one release: for each object whose (apiVersion, kind) has a table row, one
 * finding per target where the API is deprecated or removed. Objects without apiVersion or
 * kind are skipped. Sorted by target, then source order of the objects. Throws the
 * deprecation folder's `BadVersionError` for a component version that does not parse.
 */
export function findingsFor(
  ref: ReleaseRef,
  objects: readonly ScannedObject[],
  table: DeprecationTable,
  targets: FindingTargets,
): HelmFinding[] {
  const components = new Map<string, KubeVersion>();
  for (const [name, text] of Object.entries(targets.components ?? {})) {
    components.set(name, parseKubeVersion(text));
  }
  const out: HelmFinding[] = [];
  // Most objects use APIs no row mentions: drop them with one set lookup each.
  const apis = apiVersionsOf(table);
  const candidates = objects.filter((o) => o.kind !== "" && apis.has(o.apiVersion));
  if (candidates.length === 0) return out;
  const kubeTargets = targets.kubernetes.map((v) => ({ version: v, text: formatKubeVersion(v) }));
  for (const component of componentsOf(table)) {
    const fixed = component === KUBERNETES_COMPONENT ? undefined : components.get(component);
    const list =
      component === KUBERNETES_COMPONENT
        ? kubeTargets
        : fixed === undefined
          ? [{ version: undefined, text: LATEST }]
          : [{ version: fixed, text: formatKubeVersion(fixed) }];
    for (const { version, text } of list) {
      for (const object of candidates) {
        const rule = table.lookup(object.apiVersion, object.kind, component);
        if (rule === undefined) continue;
        let status: FindingStatus;
        let minorsUntilRemoval: number | null;
        if (version === undefined) {
          status = rule.removed === null ? "deprecated" : "removed";
          minorsUntilRemoval = rule.removed === null ? null : 0;
        } else {
          const verdict = evaluate(rule, version);
          if (verdict.status === ApiStatus.Fine) continue;
          status = verdict.status;
          minorsUntilRemoval = verdict.minorsUntilRemoval;
        }
        out.push({
          namespace: ref.namespace,
          release: ref.release,
          revision: ref.revision,
          chart: ref.chart,
          chartVersion: ref.chartVersion,
          name: object.name ?? "",
          objectNamespace: object.namespace ?? "",
          kind: object.kind,
          apiVersion: object.apiVersion,
          source: object.source,
          component,
          deprecatedIn: rule.deprecatedIn,
          removedIn: rule.removedIn,
          replacementApi: rule.replacementApi,
          target: text,
          status,
          minorsUntilRemoval,
        });
      }
    }
  }
  return out;
}

const componentCache = new WeakMap<DeprecationTable, readonly string[]>();
const apiVersionCache = new WeakMap<DeprecationTable, ReadonlySet<string>>();

/** The apiVersions that have a row in `table` (any component). */
export function apiVersionsOf(table: DeprecationTable): ReadonlySet<string> {
  let set = apiVersionCache.get(table);
  if (set === undefined) {
    set = new Set(table.rules.map((r) => r.apiVersion));
    apiVersionCache.set(table, set);
  }
  return set;
}

/** The table's components, `"k8s"` first. */
function componentsOf(table: DeprecationTable): readonly string[] {
  let list = componentCache.get(table);
  if (list === undefined) {
    const set = new Set<string>([KUBERNETES_COMPONENT]);
    for (const rule of table.rules) set.add(rule.component);
    list = [...set];
    componentCache.set(table, list);
  }
  return list;
}
