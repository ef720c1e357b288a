/**
 * What the Helm checker keeps in the store: the last scan of each release and its findings.
 */
import type { HelmFinding, ReleaseDriver, ScanIssue, ScannedObject } from "../helm/index.ts";

/** The last scan of a release's newest checked revision. One per (namespace, release). */
export interface StoredRelease {
  /** The namespace of the release's storage object (Secret/ConfigMap). */
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  /** A hash of the storage object's release payload (any stable text, e.g. sha256 hex). */
  readonly payloadHash: string;
  readonly driver: ReleaseDriver;
  /** The storage object's name, e.g. `sh.helm.release.v1.shop.v7`. */
  readonly storageName: string;
  readonly storageUid: string;
  readonly storageResourceVersion: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly appVersion?: string;
  /** Helm's release status, e.g. `deployed`. */
  readonly status: string;
  /** When the payload was scanned, epoch ms. */
  readonly scannedAt: number;
  readonly objects: readonly ScannedObject[];
  readonly errors: readonly ScanIssue[];
}

/** A release's findings as last computed. */
export interface ReleaseFindings {
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  readonly payloadHash: string;
  /** When the findings were computed, epoch ms (also for an empty list). */
  readonly computedAt: number;
  /** In the order given to `apply`, exact duplicates stored once. */
  readonly findings: HelmFinding[];
}

/** A release row and all its findings, replacing what is stored for (namespace, release). */
export interface ReleaseUpsert {
  readonly release: StoredRelease;
  /** Findings of exactly this release, revision, chart and chart version. */
  readonly findings: readonly HelmFinding[];
  /** When the findings were computed, epoch ms. */
  readonly computedAt: number;
}

/** New findings for a stored release whose scan is unchanged (e.g. the table or targets changed). */
export interface FindingsReplacement {
  readonly namespace: string;
  readonly release: string;
  /** Findings of the stored release's revision, chart and chart version. */
  readonly findings: readonly HelmFinding[];
  readonly computedAt: number;
}

/** A release to forget (its storage objects are gone), with its findings. */
export interface ReleaseKey {
  readonly namespace: string;
  readonly release: string;
}

/**
 * One atomic change: applied as `upsert`, then `replaceFindings`, then `delete`, in one
 * transaction.
 */
export interface HelmStateChange {
  readonly upsert?: readonly ReleaseUpsert[];
  readonly replaceFindings?: readonly FindingsReplacement[];
  readonly delete?: readonly ReleaseKey[];
}
