/**
 * The sidecar from a validated configuration and a cluster connection: discovery of the watched
 * resources, the state file, the OpenTelemetry SDK and the composition root, running until the
 * command's signal aborts, then shut down in order. `kube-lookout run` and `kube-lookout demo`
 * both run it; only they own the process around it.
 */
import { readFileSync } from "node:fs";
import type { LookoutConfig } from "../config/index.ts";
import type { KubeClient } from "../kube/index.ts";
import type { Logger } from "../logging/index.ts";
import { createLookout, LookoutInvalidResourcesError, type Lookout } from "../lookout.ts";
import { openStore } from "../store/index.ts";
import { createTelemetry } from "../telemetry/index.ts";
import type { CommandIo } from "./args.ts";
import { discover, UnknownResourcesError } from "./discover.ts";
import { CLI_SCOPE, Reloader, type ReloadResult } from "./reloader.ts";
import { lookoutOptionsFrom, telemetryOptionsFrom } from "./run-options.ts";

/** The package's version (`package.json`), or "unknown". */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  );
  const v: unknown = typeof pkg === "object" && pkg !== null ? Reflect.get(pkg, "version") : "";
  return typeof v === "string" ? v : "unknown";
}

export type { ReloadResult } from "./reloader.ts";

/** Seconds (the configuration's unit) to whole milliseconds. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

/**
 * Live reconfiguration: where a new configuration comes from and what asks for it. The triggers
 * are installed before discovery: one that fires while the sidecar starts is applied once it
 * runs (the file may have changed after it was read), not left until the next one.
 */
export interface SidecarReload {
  /** Loads the configuration again (file < env < flags); throws `ConfigInvalidError`. */
  load(): Promise<LookoutConfig>;
  /**
   * Installs what triggers a reload (SIGHUP, a file watch); returns its uninstaller. Called once,
   * when {@link runSidecar} begins; the uninstaller is called once, when it stops.
   */
  install(trigger: () => void): () => void;
}

/** Hooks of {@link runSidecar}. */
export interface SidecarHooks {
  /** Called once the sidecar listens (before its caches have synced). */
  readonly onStarted?: (lookout: Lookout) => void;
  /** Live reconfiguration of the `watch` list; without it the configuration is fixed. */
  readonly reload?: SidecarReload;
  /** Called after each reload attempt with its result (tests, the demo). */
  readonly onReloaded?: (result: ReloadResult) => void;
}

/**
 * Runs the sidecar until `io.signal` aborts. Resolves with the exit code: 0 after a clean
 * shutdown, 1 (after writing why to `io.stderr`) when a watched resource is not served by the
 * cluster or the configuration asks for what this version cannot run.
 */
export async function runSidecar(
  config: LookoutConfig,
  client: KubeClient,
  logger: Logger,
  io: CommandIo,
  hooks: SidecarHooks = {},
): Promise<number> {
  let triggers: EarlyTriggers | undefined;
  try {
    triggers = new EarlyTriggers(hooks.reload);
    return await runInstalled(config, client, logger, io, hooks, triggers);
  } finally {
    triggers?.uninstall();
  }
}

/**
 * Reload triggers installed before the reloader exists: one that fires before it does is kept
 * and passed on when it does (once, however many came).
 */
class EarlyTriggers {
  #uninstall: (() => void) | undefined;
  #target: (() => void) | undefined;
  #pending = false;

  constructor(reload: SidecarReload | undefined) {
    this.#uninstall = reload?.install(() => {
      if (this.#target === undefined) this.#pending = true;
      else this.#target();
    });
  }

  /** From now on triggers call `target`; at once if one came before. */
  deliverTo(target: () => void): void {
    this.#target = target;
    if (this.#pending) {
      this.#pending = false;
      target();
    }
  }

  /** Removes the triggers; idempotent. */
  uninstall(): void {
    this.#uninstall?.();
    this.#uninstall = undefined;
  }
}

/** {@link runSidecar} with its reload triggers installed. */
async function runInstalled(
  config: LookoutConfig,
  client: KubeClient,
  logger: Logger,
  io: CommandIo,
  hooks: SidecarHooks,
  triggers: EarlyTriggers,
): Promise<number> {
  const ids = config.watch.map((w) => ({
    group: w.group,
    version: w.version,
    resource: w.resource,
  }));
  let discovered;
  try {
    discovered = await discover(client, ids, { signal: io.signal });
  } catch (error: unknown) {
    if (io.signal.aborted) {
      // Stopped (SIGTERM, SIGINT) while the cluster had not answered yet: a clean stop.
      logger.info("kube-lookout stopping before it started", {});
      return 0;
    }
    if (error instanceof UnknownResourcesError) {
      io.stderr(`kube-lookout run: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const telemetry = createTelemetry({ ...telemetryOptionsFrom(config, packageVersion()), logger });
  let store;
  try {
    store = openStore({
      path: config.store.path,
      synchronous: config.store.synchronous,
      busyTimeoutMs: config.store.busyTimeoutMs,
      ...(config.store.maxSizeBytes === undefined
        ? {}
        : { maxSizeBytes: config.store.maxSizeBytes }),
      logger,
      meterProvider: telemetry.meterProvider,
    });
  } catch (error: unknown) {
    await telemetry.shutdown();
    throw error;
  }
  try {
    const options = lookoutOptionsFrom(config, {
      client,
      store,
      logger,
      meterProvider: telemetry.meterProvider,
      metricsHandler: (req, res) => telemetry.handleMetrics(req, res),
      discovered,
      // An empty variable (a manifest without the downward API) counts as unset.
      podName: process.env["POD_NAME"] || "kube-lookout",
      podNamespace: process.env["POD_NAMESPACE"] || "default",
    });
    let lookout: Lookout;
    try {
      lookout = createLookout({ ...options, flushTimeoutMs: ms(config.shutdown.flushTimeout) });
    } catch (error: unknown) {
      if (error instanceof LookoutInvalidResourcesError) {
        io.stderr(`kube-lookout run: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    for (const producer of lookout.metricProducers) telemetry.addMetricProducer(producer);
    let reloader: Reloader | undefined;
    try {
      await lookout.start();
      logger.info("kube-lookout running", { url: lookout.url, cluster: config.cluster.name });
      const reload = hooks.reload;
      if (reload !== undefined) {
        reloader = new Reloader({
          config,
          client,
          lookout,
          logger,
          load: () => reload.load(),
          meter: telemetry.meterProvider.getMeter(CLI_SCOPE),
          ...(hooks.onReloaded === undefined ? {} : { onReloaded: hooks.onReloaded }),
        });
        const triggered = reloader;
        // A trigger during discovery or the start is applied now: against `config`, what runs.
        triggers.deliverTo(() => triggered.trigger());
      }
      hooks.onStarted?.(lookout);
      // Rejects (LOOKOUT_CLOSED) when stopped before ready: nothing to say then.
      void lookout.ready.then(
        () => logger.info("kube-lookout ready", {}),
        () => undefined,
      );
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        else io.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      logger.info("kube-lookout stopping", {});
    } finally {
      triggers.uninstall();
      await reloader?.close();
      await lookout.close();
    }
    return 0;
  } finally {
    await telemetry.shutdown();
    store.close();
  }
}
