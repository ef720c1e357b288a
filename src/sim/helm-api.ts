/**
 * The public shape of `cluster.helm` (docs/simulator.md): Helm 3 releases in the simulated
 * cluster and the options of its operations.
 */
import type { KubeObject } from "../kube/types.ts";
import type { HelmDriver, HelmReleaseJson } from "./helm-payload.ts";
import type { HelmSeedOptions } from "./helm-population.ts";

/** A hook given to install/upgrade; the missing `release.Hook` fields get Helm-like defaults. */
export interface HelmHookInput {
  readonly name: string;
  readonly path: string;
  readonly manifest: string;
  /** Default "Job". */
  readonly kind?: string;
  /** Default ["pre-install"]. */
  readonly events?: string[];
  /** Default 0. */
  readonly weight?: number;
}

/** Options of `cluster.helm.install`. */
export interface HelmInstallOptions {
  readonly namespace: string;
  readonly name: string;
  /** Chart name; default the release name. */
  readonly chart?: string;
  /** Default "1.0.0". */
  readonly chartVersion?: string;
  readonly manifest: string;
  readonly hooks?: readonly HelmHookInput[];
  /** Default "secret". */
  readonly driver?: HelmDriver;
  /** Default "deployed". */
  readonly status?: string;
}

/** Options of `cluster.helm.upgrade`; what is left out is taken from the newest revision. */
export interface HelmUpgradeOptions {
  readonly manifest?: string;
  readonly hooks?: readonly HelmHookInput[];
  readonly chartVersion?: string;
  /** Default "deployed". */
  readonly status?: string;
}

/** What `cluster.helm.seed` did. */
export interface HelmSeedResult {
  readonly releases: number;
  readonly revisions: number;
  /** Sum of the lengths of the stored `release` values (as in the API JSON). */
  readonly payloadBytes: number;
  /** Sum of the release JSON lengths before compression. */
  readonly jsonBytes: number;
  readonly ms: number;
}

/** Helm releases of a simulated cluster. See docs/simulator.md. */
export interface SimHelmReleases {
  /**
   * Installs revision 1 (status `deployed` unless given). Throws LOOKOUT_SIM_ALREADY_EXISTS when
   * the release has revisions in the namespace, LOOKOUT_SIM_INVALID for an empty name.
   */
  install(options: HelmInstallOptions): HelmReleaseJson;
  /**
   * Adds revision N+1 (status `deployed` unless given) in the driver of the newest revision;
   * every `deployed` revision becomes `superseded` (label and payload), as Helm does. Throws
   * LOOKOUT_SIM_NOT_FOUND when the release has no revision.
   */
  upgrade(namespace: string, name: string, options?: HelmUpgradeOptions): HelmReleaseJson;
  /** Deletes every revision object of the release; returns how many (0 when none). */
  uninstall(namespace: string, name: string): number;
  /**
   * Stores `releaseValue` verbatim as the `release` data of revision `revision` (labels as Helm
   * writes them, status default `deployed`), for tests of bad payloads. Throws
   * LOOKOUT_SIM_ALREADY_EXISTS when that revision exists.
   */
  putRaw(
    namespace: string,
    name: string,
    revision: number,
    releaseValue: string,
    options: { driver: HelmDriver; status?: string },
  ): KubeObject;
  /**
   * Creates a deterministic population (see `generateHelmReleases`) in one batch. Throws
   * LOOKOUT_SIM_INVALID for a bad option, LOOKOUT_SIM_ALREADY_EXISTS when a name is taken.
   */
  seed(options: HelmSeedOptions): HelmSeedResult;
  /**
   * The stored revisions of a release, decoded, oldest first ([] when none). Throws
   * LOOKOUT_SIM_INVALID when a stored payload is unreadable (see `putRaw`); so does `upgrade`.
   */
  history(namespace: string, name: string): HelmReleaseJson[];
}
