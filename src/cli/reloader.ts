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
  /** The configuration the sidecar started with. */
  readonly config: LookoutConfig;
  readonly client: KubeClient;
  readonly lookout: Lookout;
  readonly logger: Logger;
  readonly load: () => Promise<LookoutConfig>;
  /** Where `kube_lookout.config.reloads` is counted. */
  readonly meter: Meter;
  readonly onReloaded?: (result: ReloadResult) => void;
  /** Default `DISCOVERY_STALL_TIMEOUT_MS` (30 s). */
  readonly discoveryStallTimeoutMs?: number;
}

/**
 * Applies reloads one at a time; triggers during a reload coalesce into one more. A reload's
 * discovery requests give up after `DISCOVERY_STALL_TIMEOUT_MS` without an answer (the reload is
 * then refused), so a stalled API server cannot hold later reloads back.
 */
export class Reloader {
  readonly #o: ReloaderOptions;
  readonly #reloads: Counter;
  /** The configuration the sidecar started with: what runs, outside `watch`. */
  readonly #started: LookoutConfig;
  /** The `watch` list running now (the last one applied). */
  #config: LookoutConfig;
  #running: Promise<void> | undefined;
  #again = false;
  readonly #closing = new AbortController();

  constructor(options: ReloaderOptions) {
    this.#o = options;
    this.#started = options.config;
    this.#config = options.config;
    const spec = findInstrument("kube_lookout.config.reloads")!;
    this.#reloads = options.meter.createCounter(spec.name, {
      description: spec.meaning,
      unit: spec.unit,
    });
  }

  /** Asks for a reload; returns at once. A no-op after {@link close}. */
  trigger(): void {
    if (this.#closing.signal.aborted) return;
    this.#again = true;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
      // A trigger after the loop's last look (before this callback): one more reload.
      if (this.#again) this.trigger();
    });
  }

  /** Stops reloading: a reload in progress is abandoned (not counted), and waited for. */
  async close(): Promise<void> {
    this.#closing.abort(new Error("the sidecar is stopping"));
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (this.#again && !this.#closing.signal.aborted) {
      this.#again = false;
      // oxlint-disable-next-line eslint/no-await-in-loop -- one reload at a time
      const result = await this.#reload();
      if (result === undefined) return;
      this.#reloads.add(1, { result: result.result });
      this.#o.onReloaded?.(result);
    }
  }

  /** One reload; undefined when abandoned by {@link close}. */
  async #reload(): Promise<ReloadResult | undefined> {
    const { logger, lookout, client } = this.#o;
    const signal = this.#closing.signal;
    let next: LookoutConfig;
    try {
      next = await this.#o.load();
      // Against what runs: a key set back to its running value is no change, and one still
      // different is said again at every reload until the restart.
      const restartOnly = changedOutsideWatch(this.#started, next);
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
        {
          signal,
          ...(this.#o.discoveryStallTimeoutMs === undefined
            ? {}
            : { stallTimeoutMs: this.#o.discoveryStallTimeoutMs }),
        },
      );
      signal.throwIfAborted();
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
      if (signal.aborted) return undefined;
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
