/**
 * The checker's upgrade targets: the cluster's version read from `/version`, and the targets
 * planned from it (or the explicit ones) within the table's coverage.
 */
import {
  formatKubeVersion,
  parseVersionInfo,
  planTargets,
  type KubeVersion,
  type TargetConfig,
  type TargetUncoveredError,
} from "../deprecations/index.ts";
import { ClusterVersionUnavailableError } from "./errors.ts";
import type { HelmApiClient } from "./payload-fetch.ts";

function text(list: readonly KubeVersion[]): string {
  return list.map((t) => formatKubeVersion(t)).join(",");
}

/** The cluster's version and the targets; {@link refresh} re-reads and re-plans. */
export class ClusterTargets {
  readonly #client: HelmApiClient;
  readonly #config: TargetConfig;
  readonly #stallTimeoutMs: number;
  #cluster: KubeVersion | undefined;
  #targets: readonly KubeVersion[] = [];
  #uncovered: readonly TargetUncoveredError[] = [];

  constructor(client: HelmApiClient, config: TargetConfig, stallTimeoutMs: number) {
    this.#client = client;
    this.#config = config;
    this.#stallTimeoutMs = stallTimeoutMs;
  }

  /** The targets within coverage, oldest first. */
  get targets(): readonly KubeVersion[] {
    return this.#targets;
  }

  /** One error per target beyond the table's coverage. */
  get uncovered(): readonly TargetUncoveredError[] {
    return this.#uncovered;
  }

  /** The cluster's version, once read. */
  get cluster(): KubeVersion | undefined {
    return this.#cluster;
  }

  /**
   * Reads `/version` (keeping the last known version when that fails) and plans the targets
   * against `coversUpTo`. Resolves with whether the targets changed and the read error, if any.
   * Rejects with {@link ClusterVersionUnavailableError} only when the targets depend on the
   * cluster's version and it has never been read; with the abort reason on abort.
   */
  async refresh(
    coversUpTo: KubeVersion,
    signal: AbortSignal,
  ): Promise<{ changed: boolean; error: ClusterVersionUnavailableError | undefined }> {
    let error: ClusterVersionUnavailableError | undefined;
    try {
      const info = await this.#client.getJson(
        "/version",
        { stallTimeoutMs: this.#stallTimeoutMs },
        signal,
      );
      this.#cluster = parseVersionInfo(info);
    } catch (err) {
      signal.throwIfAborted();
      error = new ClusterVersionUnavailableError({ cause: err });
      if (this.#config.versions === undefined && this.#cluster === undefined) throw error;
    }
    const plan = planTargets(
      this.#cluster ?? { major: 1, minor: 0, patch: 0 },
      coversUpTo,
      this.#config,
    );
    const changed = text(plan.targets) !== text(this.#targets);
    this.#targets = plan.targets;
    this.#uncovered = plan.uncovered;
    return { changed, error };
  }
}
