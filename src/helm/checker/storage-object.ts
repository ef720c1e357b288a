/**
 * Reading Helm's storage objects (one Secret or ConfigMap per release revision) from their
 * metadata alone: release name, revision and status from the labels Helm writes, with the
 * object name `sh.helm.release.v1.<release>.v<revision>` as the fallback.
 */
import type { RawObject, ResourceId } from "../../kube/index.ts";

/** Helm's storage drivers that kube-lookout reads. */
export type StorageDriver = "secret" | "configmap";

/** The resource each driver stores releases in. */
export const STORAGE_RESOURCES: Readonly<
  Record<StorageDriver, ResourceId & { readonly resource: "secrets" | "configmaps" }>
> = {
  secret: { group: "", version: "v1", resource: "secrets" },
  configmap: { group: "", version: "v1", resource: "configmaps" },
};

/** One release revision as its storage object's metadata describes it. */
export interface RevisionRef {
  readonly driver: StorageDriver;
  /** The storage object's namespace: the release's namespace. */
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  /** Helm's status label: deployed, superseded, failed, pending-install, … ("" when absent). */
  readonly status: string;
  /** The storage object's name, uid and resourceVersion. */
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

const NAME = /^sh\.helm\.release\.v1\.(.+)\.v([1-9]\d{0,8})$/;

/** The metadata of a storage object that {@link revisionOf} reads. */
export type StorageMetadata = Pick<
  RawObject,
  "name" | "namespace" | "uid" | "resourceVersion" | "labels"
>;

/**
 * The revision a storage object holds, or undefined when the object is not a Helm 3 release
 * record (a name not of Helm's form and no `name`/`version` labels that say otherwise).
 */
export function revisionOf(obj: StorageMetadata, driver: StorageDriver): RevisionRef | undefined {
  const labels = obj.labels ?? {};
  const m = NAME.exec(obj.name);
  const release = labels["name"] ?? m?.[1];
  const versionText = labels["version"] ?? m?.[2];
  if (release === undefined || release === "" || versionText === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(versionText)) return undefined;
  return {
    driver,
    namespace: obj.namespace,
    release,
    revision: Number(versionText),
    status: labels["status"] ?? "",
    name: obj.name,
    uid: obj.uid,
    resourceVersion: obj.resourceVersion,
  };
}

/** The key of a release across drivers: `namespace/release`. */
export function releaseKey(namespace: string, release: string): string {
  return `${namespace}/${release}`;
}

/** What {@link pickRevision} finds among a release's revisions. */
export interface RevisionPick {
  /** The newest revision whose status is wanted; undefined when none is. */
  readonly chosen: RevisionRef | undefined;
  /** How many revisions are `deployed` (Helm keeps one; more is a known Helm failure mode). */
  readonly deployed: number;
}

/**
 * The newest revision (highest number; on a tie between drivers, the Secret) whose status is in
 * `statuses`, and the count of deployed revisions.
 */
export function pickRevision(
  revisions: Iterable<RevisionRef>,
  statuses: ReadonlySet<string>,
): RevisionPick {
  let chosen: RevisionRef | undefined;
  let deployed = 0;
  for (const r of revisions) {
    if (r.status === "deployed") deployed++;
    if (!statuses.has(r.status)) continue;
    if (
      chosen === undefined ||
      r.revision > chosen.revision ||
      (r.revision === chosen.revision && r.driver === "secret" && chosen.driver !== "secret")
    ) {
      chosen = r;
    }
  }
  return { chosen, deployed };
}
