/**
 * The plugin host: loads the configured plugins (built-in by name, third-party by module
 * specifier, or objects), validates their config, and supervises them (restart with backoff,
 * bounded shutdown). It never rejects because of a plugin.
 */
import { metrics, type Counter, type MeterProvider } from "@opentelemetry/api";
import { Backoff, type InformerFactory } from "../informer/index.ts";
import type { ListWatchClient } from "../kube/index.ts";
import { silentLogger, type Logger } from "../logging/index.ts";
import type { LookoutStore } from "../store/index.ts";
import { builtinPlugins } from "./builtin.ts";
import {
  InvalidPluginError,
  InvalidPluginHostOptionError,
  PluginConfigError,
  PluginHostClosedError,
} from "./errors.ts";
import { loadPlugin, type BuiltinPlugins } from "./load.ts";
import { PluginRunner, type PluginState } from "./runner.ts";
import type { EventPublisher, Plugin, PluginContext, ResourceSpec } from "./types.ts";

/** One configured plugin. */
export interface PluginEntry {
  /** A built-in name (`stream-delay`), a module specifier (`./my-plugin.mjs`, `pkg`), or a plugin. */
  readonly plugin: string | Plugin;
  /** Handed to the plugin's `configSchema`. */
  readonly config?: unknown;
}

/** Options of a {@link PluginHost}. */
export interface PluginHostOptions {
  readonly plugins: readonly PluginEntry[];
  readonly informers: InformerFactory;
  readonly client: ListWatchClient;
  /** The watched resources handed to every plugin. Default none. */
  readonly resources?: readonly ResourceSpec[];
  /** Default: the global MeterProvider of `@opentelemetry/api`. */
  readonly meterProvider?: MeterProvider;
  readonly events?: EventPublisher;
  readonly store?: LookoutStore;
  readonly logger?: Logger;
  /** How long `close()` waits for plugins to stop (ms). Default 5000. */
  readonly closeTimeoutMs?: number;
  /** Restart backoff. Default 800 ms doubling to 30 s (jittered, see `Backoff`). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Relative module paths are resolved against this directory. Default `process.cwd()`. */
  readonly baseDir?: string;
  /** Built-in plugins by name. Default `builtinPlugins`. */
  readonly builtins?: BuiltinPlugins;
}

/** A plugin that could not be started at all (not retried). */
export interface PluginStartFailure {
  /** The entry's `plugin` as configured (the name, for an object). */
  readonly plugin: string;
  /** `LOOKOUT_PLUGIN_LOAD_FAILED`, `LOOKOUT_PLUGIN_INVALID` or `LOOKOUT_PLUGIN_BAD_CONFIG`. */
  readonly error: Error;
}

/** What `start()` resolves with. */
export interface PluginHostStartResult {
  /** Names of the plugins now supervised. */
  readonly started: readonly string[];
  readonly failed: readonly PluginStartFailure[];
}

/** A supervised plugin's state. */
export interface PluginStatus {
  readonly name: string;
  /** `builtin:<name>`, the module specifier, or `object:<name>`. */
  readonly source: string;
  readonly state: PluginState;
  /** Failures that led to a restart. */
  readonly restarts: number;
  /** The last failure (`LOOKOUT_PLUGIN_FAILED`, `cause` = what the plugin threw). */
  readonly lastError: Error | undefined;
}

const RESTARTS = "kube_lookout.plugin.restarts";

/**
 * Loads and supervises plugins. The constructor validates options and does no I/O;
 * `start()` loads and launches (memoized); `close()` stops everything within a deadline.
 */
export class PluginHost implements AsyncDisposable {
  readonly #o: PluginHostOptions;
  readonly #logger: Logger;
  readonly #meterProvider: MeterProvider;
  readonly #restarts: Counter;
  readonly #closeTimeoutMs: number;
  readonly #runners = new Map<string, { runner: PluginRunner; source: string }>();
  #started: Promise<PluginHostStartResult> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: PluginHostOptions) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidPluginHostOptionError("options", options, "an object");
    }
    if (!Array.isArray(options.plugins)) {
      throw new InvalidPluginHostOptionError("plugins", options.plugins, "an array of entries");
    }
    const timeout = options.closeTimeoutMs ?? 5000;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new InvalidPluginHostOptionError("closeTimeoutMs", timeout, "a number ≥ 0");
    }
    this.#o = options;
    this.#closeTimeoutMs = timeout;
    this.#logger = options.logger ?? silentLogger;
    this.#meterProvider = options.meterProvider ?? metrics.getMeterProvider();
    this.#restarts = this.#meterProvider.getMeter("kube-lookout/plugins").createCounter(RESTARTS, {
      description: "Plugin failures that led to a restart, by plugin",
      unit: "{restart}",
    });
  }

  /**
   * Loads every entry, validates its config and starts supervising it. Memoized. Resolves with
   * the started plugin names and the entries that could not be loaded or configured (logged;
   * not retried). Does not wait for the plugins' own `start`. Rejects only with
   * `LOOKOUT_PLUGIN_HOST_CLOSED` when `close()` came first (after a start, the same result).
   */
  start(): Promise<PluginHostStartResult> {
    if (this.#closed !== undefined && this.#started === undefined) {
      return Promise.reject(new PluginHostClosedError());
    }
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<PluginHostStartResult> {
    const builtins = this.#o.builtins ?? builtinPlugins;
    const baseDir = this.#o.baseDir ?? process.cwd();
    const loaded = await Promise.allSettled(
      this.#o.plugins.map(async (entry) => {
        const { plugin, source } = await loadPlugin(entry.plugin, builtins, baseDir);
        return { plugin, source, config: validateConfig(plugin, entry.config) };
      }),
    );
    const started: string[] = [];
    const failed: PluginStartFailure[] = [];
    for (const [i, result] of loaded.entries()) {
      const entry = this.#o.plugins[i]!;
      const label = typeof entry.plugin === "string" ? entry.plugin : entry.plugin.name;
      if (result.status === "rejected") {
        failed.push({ plugin: label, error: asError(result.reason) });
        continue;
      }
      const { plugin, source, config } = result.value;
      if (this.#runners.has(plugin.name)) {
        const error = new InvalidPluginError(source, `duplicate plugin name ${plugin.name}`);
        failed.push({ plugin: label, error });
        continue;
      }
      if (this.#closed !== undefined) continue;
      const runner = this.#runner(plugin, config);
      this.#runners.set(plugin.name, { runner, source });
      void runner.run();
      started.push(plugin.name);
    }
    for (const f of failed) {
      this.#logger.error("plugin not started", {
        plugin: f.plugin,
        code: "code" in f.error ? f.error.code : undefined,
        error: f.error,
      });
    }
    return { started, failed };
  }

  /** The supervised plugins' states, in start order. */
  status(): PluginStatus[] {
    return [...this.#runners.values()].map(({ runner, source }) => ({
      name: runner.plugin.name,
      source,
      state: runner.state,
      restarts: runner.restarts,
      lastError: runner.lastError,
    }));
  }

  /**
   * Aborts every plugin's signal and waits for them to stop, at most `closeTimeoutMs`; a
   * plugin still running then is logged and left behind. Idempotent: every caller gets the
   * same promise. Never rejects.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    // A start in progress launches nothing more once #closed is set; wait for its loading.
    await this.#started?.catch(() => undefined);
    const runners = [...this.#runners.values()].map((r) => r.runner);
    const all = Promise.all(runners.map((r) => r.stop()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#closeTimeoutMs);
    });
    const result = await Promise.race([all.then(() => "done" as const), deadline]);
    clearTimeout(timer);
    if (result === "timeout") {
      const late = runners.filter((r) => r.state !== "stopped" && r.state !== "ended");
      this.#logger.warn("plugins did not stop before the close deadline", {
        plugins: late.map((r) => r.plugin.name),
        closeTimeoutMs: this.#closeTimeoutMs,
      });
    }
  }

  #runner(plugin: Plugin, config: unknown): PluginRunner {
    const name = plugin.name;
    const logger = childLogger(this.#logger, name);
    const meter = this.#meterProvider.getMeter(`kube-lookout/plugin/${name}`);
    return new PluginRunner(plugin, {
      logger,
      backoff: new Backoff(this.#o.backoff ?? {}),
      cleanupTimeoutMs: this.#closeTimeoutMs,
      onRestart: () => this.#restarts.add(1, { "kube_lookout.plugin": name }),
      makeContext: (signal, reportFailure): PluginContext => ({
        informers: this.#o.informers,
        client: this.#o.client,
        meter,
        events: this.#o.events,
        store: this.#o.store,
        logger,
        config,
        signal,
        resources: this.#o.resources ?? [],
        reportFailure,
      }),
    });
  }
}

/** Runs the plugin's `configSchema`; any error becomes `LOOKOUT_PLUGIN_BAD_CONFIG`. */
function validateConfig(plugin: Plugin, raw: unknown): unknown {
  if (plugin.configSchema === undefined) return raw;
  try {
    return plugin.configSchema(raw);
  } catch (err) {
    if (err instanceof PluginConfigError && err.plugin === plugin.name) throw err;
    const key: unknown =
      typeof err === "object" && err !== null ? Reflect.get(err, "key") : undefined;
    const message = err instanceof Error ? err.message : String(err);
    throw new PluginConfigError(
      plugin.name,
      typeof key === "string" ? key : undefined,
      raw,
      message,
      {
        cause: err,
      },
    );
  }
}

function childLogger(logger: Logger, plugin: string): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      try {
        logger[level](message, { plugin, ...fields });
      } catch {
        // A throwing logger must not break a plugin or the host.
      }
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
