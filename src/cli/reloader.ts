/**
 * Live reconfiguration of a running sidecar (the remote work processor's UpdateWatchConfig):
 * on a trigger (SIGHUP, the configuration file changed) the configuration is loaded again, its
 * `watch` list diffed against the running one, checked (schema, discovery, the composition
 * root's own checks) and applied: only watches whose configuration changed are stopped and
 * started. A bad new configuration is refused with an error log and the running one stays.
 */
import type { Counter, Meter } from "@opentelemetry/api";
import { ConfigInvalidError, diffWatchConfig, type LookoutConfig } from "../config/index.ts";
import type { KubeClient } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import type { Lookout, WatchUpdate } from "../lookout.ts";
import { findInstrument } from "../telemetry/index.ts";
import { discover } from "./discover.ts";
import { watchedResources } from "./run-options.ts";

/** The meter scope of the CLI's own instruments. */
export const CLI_SCOPE = "kube-lookout/cli";

/** What one reload did. */
export type ReloadResult =
  | { readonly result: "applied"; readonly update: WatchUpdate }
  | { readonly result: "unchanged" }
  | { readonly result: "rejected"; readonly error: unknown };

/** Options of a {@link Reloader}. */
export interface ReloaderOptions {
  /** The configuration running now. */
  readonly config: LookoutConfig;
  readonly client: KubeClient;
  readonly lookout: Lookout;
  readonly logger: Logger;
  readonly load: () => Promise<LookoutConfig>;
  /** Where `kube_lookout.config.reloads` is counted. */
  readonly meter: Meter;
  readonly onReloaded?: (result: ReloadResult) => void;
}

/** Applies reloads one at a time; triggers during a reload coalesce into one more. */
export class Reloader {
  readonly #o: ReloaderOptions;
  readonly #reloads: Counter;
  #config: LookoutConfig;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: ReloaderOptions) {
    this.#o = options;
    this.#config = options.config;
    const spec = findInstrument("kube_lookout.config.reloads")!;
    this.#reloads = options.meter.createCounter(spec.name, {
      description: spec.meaning,
      unit: spec.unit,
    });
  }

  /** Asks for a reload; returns at once. */
  trigger(): void {
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => (this.#running = undefined));
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      // oxlint-disable-next-line eslint/no-await-in-loop -- one reload at a time
      const result = await this.#reload();
      this.#reloads.add(1, { result: result.result });
      this.#o.onReloaded?.(result);
    } while (this.#again);
  }

  async #reload(): Promise<ReloadResult> {
    const { logger, lookout, client } = this.#o;
    let next: LookoutConfig;
    try {
      next = await this.#o.load();
      const restartOnly = changedOutsideWatch(this.#config, next);
      if (restartOnly.length > 0) {
        logger.warn("configuration changes outside `watch` take effect at the next start", {
          keys: restartOnly,
        });
      }
      const diff = diffWatchConfig(this.#config.watch, next.watch);
      if (diff.added.length + diff.removed.length + diff.changed.length === 0) {
        this.#config = next;
        logger.info("configuration reloaded: watch list unchanged", {});
        return { result: "unchanged" };
      }
      const discovered = await discover(
        client,
        next.watch.map((w) => ({ group: w.group, version: w.version, resource: w.resource })),
      );
      const update = await lookout.updateResources(watchedResources(next, discovered));
      this.#config = next;
      logger.info("configuration reloaded", {
        added: diff.added.length,
        removed: diff.removed.length,
        changed: diff.changed.length,
        ...update,
      });
      return { result: "applied", update };
    } catch (error: unknown) {
      logger.error("configuration reload refused; the running configuration stays", {
        err: error,
        ...(error instanceof ConfigInvalidError ? { problems: error.message } : {}),
      });
      return { result: "rejected", error };
    }
  }
}

/** Top-level keys other than `watch` whose values differ. */
function changedOutsideWatch(a: LookoutConfig, b: LookoutConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("watch");
  return [...keys].filter(
    (k) => JSON.stringify(Reflect.get(a, k)) !== JSON.stringify(Reflect.get(b, k)),
  );
}
