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
  PluginHostClosedError,
} from "./errors.ts";
import {
  DEFAULT_LOAD_TIMEOUT_MS,
  labelOf,
  loadConfigured,
  sourceOf,
  type BuiltinPlugins,
  type LoadedPlugin,
} from "./load.ts";
import { PluginRunner, type PluginState } from "./runner.ts";
import type { EventPublisher, Plugin, PluginContext, ResourceSpec } from "./types.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/** One configured plugin. */
export interface PluginEntry {
  /** A built-in name (`stream-delay`), a module specifier (`./my-plugin.mjs`, `pkg`), or a plugin. */
  readonly plugin: string | Plugin;
  /** Handed to the plugin's `configSchema`. */
  readonly config?: unknown;
}

/** Options of a {@link PluginHost}. Every delay is in ms, at most 2^31-1 (Node's timer limit). */
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
  /** How long `close()` waits for plugins to stop, and for entries still loading (ms). Default 5000. */
  readonly closeTimeoutMs?: number;
  /**
   * How long one entry may take to load (import and config validation) before it fails with
   * `LOOKOUT_PLUGIN_LOAD_FAILED` (ms, > 0). Default 10000.
   */
  readonly loadTimeoutMs?: number;
  /** Restart backoff (ms, each > 0). Default 800 ms doubling to 30 s (jittered, see `Backoff`). */
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
  /** The plugin's name; for an entry still loading (or abandoned), the entry as configured. */
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

/** One configured entry, from the moment `start()` sees it. */
interface Slot {
  /** The entry as configured (`PluginStartFailure.plugin`). */
  readonly label: string;
  readonly source: string;
  /** `gone`: failed, or loaded after `close()` began; not shown by `status()`. */
  phase: "loading" | "abandoned" | "launched" | "gone";
  runner: PluginRunner | undefined;
}

type LaunchOutcome =
  | { readonly started: string }
  | { readonly failed: PluginStartFailure }
  | { readonly skipped: true };

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
  readonly #loadTimeoutMs: number;
  readonly #backoff: { readonly initialMs?: number; readonly maxMs?: number };
  readonly #slots: Slot[] = [];
  /** Aborted at the close deadline: every load still pending is abandoned. */
  readonly #abandon = new AbortController();
  #launches: readonly Promise<LaunchOutcome>[] = [];
  #started: Promise<PluginHostStartResult> | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: PluginHostOptions) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidPluginHostOptionError("options", options, "an object");
    }
    if (!Array.isArray(options.plugins)) {
      throw new InvalidPluginHostOptionError("plugins", options.plugins, "an array of entries");
    }
    this.#closeTimeoutMs = delayOption("closeTimeoutMs", options.closeTimeoutMs, 5000, true);
    this.#loadTimeoutMs = delayOption(
      "loadTimeoutMs",
      options.loadTimeoutMs,
      DEFAULT_LOAD_TIMEOUT_MS,
      false,
    );
    const backoff: unknown = options.backoff ?? {};
    if (typeof backoff !== "object" || backoff === null) {
      throw new InvalidPluginHostOptionError("backoff", backoff, "an object");
    }
    const initialMs: unknown = Reflect.get(backoff, "initialMs");
    const maxMs: unknown = Reflect.get(backoff, "maxMs");
    this.#backoff = {
      ...(initialMs === undefined
        ? {}
        : { initialMs: delayOption("backoff.initialMs", initialMs, 0, false) }),
      ...(maxMs === undefined ? {} : { maxMs: delayOption("backoff.maxMs", maxMs, 0, false) }),
    };
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#meterProvider = options.meterProvider ?? metrics.getMeterProvider();
    this.#restarts = this.#meterProvider.getMeter("kube-lookout/plugins").createCounter(RESTARTS, {
      description: "Plugin failures that led to a restart, by plugin",
      unit: "{restart}",
    });
  }

  /**
   * Loads every entry, validates its config and starts supervising it: each entry is launched
   * as soon as its own load finishes, without waiting for the others. Memoized. Resolves once
   * every entry is launched, failed (logged once each; not retried) or, when `close()` came in
   * between, skipped: at most `loadTimeoutMs` (an entry still loading then fails with
   * `LOOKOUT_PLUGIN_LOAD_FAILED`), or sooner, at the close deadline. Resolves with the started
   * plugin names and the entries that could not be loaded or configured (of two entries with
   * the same plugin name, the one that finished loading first runs; the other is
   * `LOOKOUT_PLUGIN_INVALID`). Does not wait for the plugins' own `start`. Rejects only with `LOOKOUT_PLUGIN_HOST_CLOSED` when `close()` came
   * first (after a start, the same result).
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
    // Every slot exists before the first await, so a close() right after start() sees them all.
    const launches = this.#o.plugins.map((entry: unknown) =>
      this.#launch(entry, builtins, baseDir),
    );
    this.#launches = launches;
    const outcomes = await Promise.all(launches);
    const started: string[] = [];
    const failed: PluginStartFailure[] = [];
    for (const outcome of outcomes) {
      if ("started" in outcome) started.push(outcome.started);
      else if ("failed" in outcome) failed.push(outcome.failed);
    }
    return { started, failed };
  }

  /** Loads one entry and launches its runner. Never rejects. */
  async #launch(entry: unknown, builtins: BuiltinPlugins, baseDir: string): Promise<LaunchOutcome> {
    const ref: unknown =
      typeof entry === "object" && entry !== null ? Reflect.get(entry, "plugin") : entry;
    const config: unknown =
      typeof entry === "object" && entry !== null ? Reflect.get(entry, "config") : undefined;
    const label = labelOf(ref);
    const slot: Slot = {
      label,
      source: sourceOf(ref, builtins),
      phase: "loading",
      runner: undefined,
    };
    this.#slots.push(slot);
    let loaded: LoadedPlugin | undefined;
    try {
      loaded = await this.#load(ref, label, config, builtins, baseDir);
    } catch (err) {
      slot.phase = "gone";
      return this.#notStarted(label, asError(err));
    }
    // Abandoned at the close deadline (close() set the phase): it must never start.
    if (loaded === undefined) return { skipped: true };
    if (this.#closed !== undefined) {
      slot.phase = "gone";
      return { skipped: true };
    }
    const { plugin, source } = loaded;
    if (this.#slots.some((s) => s.runner?.plugin.name === plugin.name)) {
      slot.phase = "gone";
      const error = new InvalidPluginError(source, `duplicate plugin name ${plugin.name}`);
      return this.#notStarted(label, error);
    }
    const runner = this.#runner(plugin, loaded.config);
    slot.runner = runner;
    slot.phase = "launched";
    void runner.run();
    return { started: plugin.name };
  }

  /**
   * Imports `ref` and validates its config. Resolves undefined when abandoned at the close
   * deadline; rejects with `LOOKOUT_PLUGIN_LOAD_FAILED` (cause: a `TimeoutError`) after
   * `loadTimeoutMs`. A load that settles after either is ignored.
   */
  async #load(
    ref: unknown,
    label: string,
    raw: unknown,
    builtins: BuiltinPlugins,
    baseDir: string,
  ): Promise<LoadedPlugin | undefined> {
    const signal = this.#abandon.signal;
    try {
      return await loadConfigured(ref, raw, {
        builtins,
        baseDir,
        timeoutMs: this.#loadTimeoutMs,
        label,
        signal,
      });
    } catch (err) {
      if (signal.aborted && err === signal.reason) return undefined;
      throw err;
    }
  }

  #notStarted(label: string, error: Error): LaunchOutcome {
    // The one record of this failure (callers of start() get it in `failed`, not a second log).
    this.#log("error", "plugin not started", { plugin: label, code: codeOf(error), error });
    return { failed: { plugin: label, error } };
  }

  /**
   * The entries' states, in configuration order: supervised plugins, and entries still loading
   * (`loading`) or abandoned by `close()` while loading (`abandoned`). Entries that failed to
   * load are not listed (they are in `start()`'s `failed`).
   */
  status(): PluginStatus[] {
    return this.#slots.flatMap((slot): PluginStatus[] => {
      const { runner } = slot;
      if (runner !== undefined) {
        return [
          {
            name: runner.plugin.name,
            source: slot.source,
            state: runner.state,
            restarts: runner.restarts,
            lastError: runner.lastError,
          },
        ];
      }
      if (slot.phase !== "loading" && slot.phase !== "abandoned") return [];
      const state = slot.phase;
      return [{ name: slot.label, source: slot.source, state, restarts: 0, lastError: undefined }];
    });
  }

  /**
   * Aborts every plugin's signal and waits for them to stop, and for entries still loading,
   * at most `closeTimeoutMs`; a plugin still running then is logged and left behind, and an
   * entry still loading is abandoned (state `abandoned`; it never starts). Idempotent: every
   * caller gets the same promise. Never rejects.
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
    // From here on, an entry that finishes loading is not launched.
    const runners = this.#slots.flatMap((s) => (s.runner === undefined ? [] : [s.runner]));
    const all = Promise.all([...runners.map((r) => r.stop()), ...this.#launches]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#closeTimeoutMs);
    });
    const result = await Promise.race([all.then(() => "done" as const), deadline]);
    clearTimeout(timer);
    if (result === "done") return;
    const abandoned = this.#slots.filter((s) => s.phase === "loading");
    for (const slot of abandoned) slot.phase = "abandoned";
    this.#abandon.abort();
    const late = runners.filter((r) => r.state !== "stopped" && r.state !== "ended");
    this.#log("warn", "plugins did not stop before the close deadline", {
      plugins: late.map((r) => r.plugin.name),
      abandoned: abandoned.map((s) => s.label),
      closeTimeoutMs: this.#closeTimeoutMs,
    });
  }

  #runner(plugin: Plugin, config: unknown): PluginRunner {
    const name = plugin.name;
    const logger = childLogger(this.#logger, name);
    const meter = this.#meterProvider.getMeter(`kube-lookout/plugin/${name}`);
    return new PluginRunner(plugin, {
      logger,
      backoff: new Backoff(this.#backoff),
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

  #log(level: "warn" | "error", message: string, fields: Record<string, unknown>): void {
    try {
      this.#logger[level](message, fields);
    } catch {
      // A throwing logger must not break the host.
    }
  }
}

/**
 * A delay option in ms: `fallback` when absent; otherwise a finite number ≥ 0 (`zero` allowed)
 * or > 0, and at most 2^31-1, else `LOOKOUT_PLUGIN_INVALID_OPTION`.
 */
function delayOption(name: string, value: unknown, fallback: number, zero: boolean): number {
  const ms = value ?? fallback;
  if (
    typeof ms !== "number" ||
    !Number.isFinite(ms) ||
    (zero ? ms < 0 : ms <= 0) ||
    ms > MAX_TIMER_MS
  ) {
    const low = zero ? "≥ 0" : "> 0";
    throw new InvalidPluginHostOptionError(name, ms, `a number of ms ${low} and ≤ ${MAX_TIMER_MS}`);
  }
  return ms;
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

function codeOf(error: Error): unknown {
  return "code" in error ? error.code : undefined;
}
