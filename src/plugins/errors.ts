/**
 * Typed errors of the plugin host. Callers match on `code`, never on message text.
 */
import { maskSecrets } from "../config/index.ts";

/**
 * A plugin's config was rejected by its `configSchema`. `key` names the offending key (dotted,
 * e.g. `buckets.2`) when known. A `configSchema` may throw this class, or any error: the host
 * wraps other errors in one, copying a string `key` property when the thrown value has one.
 */
export class PluginConfigError extends Error {
  override readonly name = "PluginConfigError";
  readonly code = "LOOKOUT_PLUGIN_BAD_CONFIG";
  /** The plugin's name ("" when thrown by a schema before the host knew it). */
  readonly plugin: string;
  /** The offending key, or undefined when the whole config is wrong. */
  readonly key: string | undefined;
  /**
   * The rejected value (the offending key's value when `key` is set), with secret-looking
   * values masked (`maskSecrets`: values under keys like `password`, `token`, `apiKey`, whether
   * the key is `key` itself or inside the value, and credentials in URLs). The message shows
   * the same masked value.
   */
  readonly value: unknown;
  /** What is allowed there, in words (`a number ≥ 0.05`). */
  readonly expected: string;
  constructor(
    plugin: string,
    key: string | undefined,
    value: unknown,
    expected: string,
    options?: ErrorOptions,
  ) {
    const where = key === undefined ? "config" : `config key ${key}`;
    const masked = maskSecrets(value, key === undefined ? [] : key.split("."));
    super(
      `plugin ${plugin || "?"}: invalid ${where}=${describe(masked)}: expected ${expected}`,
      options,
    );
    this.plugin = plugin;
    this.key = key;
    this.value = masked;
    this.expected = expected;
  }
}

/**
 * A value is not a plugin: a bad `definePlugin` argument, or a module whose default export
 * is not an object with `kind: "kube-lookout-plugin"`, a `name` and a `start` function.
 */
export class InvalidPluginError extends Error {
  override readonly name = "InvalidPluginError";
  readonly code = "LOOKOUT_PLUGIN_INVALID";
  /** Where the value came from: the module specifier, or `definePlugin`. */
  readonly source: string;
  constructor(source: string, problem: string) {
    super(`${source}: not a kube-lookout plugin: ${problem}`);
    this.source = source;
  }
}

/** A plugin's module could not be imported (not found, syntax error, top-level throw). */
export class PluginLoadError extends Error {
  override readonly name = "PluginLoadError";
  readonly code = "LOOKOUT_PLUGIN_LOAD_FAILED";
  /** The specifier as configured. */
  readonly specifier: string;
  constructor(specifier: string, cause: unknown) {
    super(`cannot load plugin module ${JSON.stringify(specifier)}`, { cause });
    this.specifier = specifier;
  }
}

/**
 * A running plugin failed: its `start` threw or rejected, it called `ctx.reportFailure`, or its
 * `stopped` promise rejected. Logged and counted; the plugin is restarted with backoff.
 */
export class PluginFailedError extends Error {
  override readonly name = "PluginFailedError";
  readonly code = "LOOKOUT_PLUGIN_FAILED";
  readonly plugin: string;
  /** Where the failure surfaced. */
  readonly phase: "start" | "reported" | "stopped";
  constructor(plugin: string, phase: "start" | "reported" | "stopped", cause: unknown) {
    super(`plugin ${plugin} failed (${phase})`, { cause });
    this.plugin = plugin;
    this.phase = phase;
  }
}

/** A host option has a value it cannot work with. Thrown by the constructor, before any I/O. */
export class InvalidPluginHostOptionError extends Error {
  override readonly name = "InvalidPluginHostOptionError";
  readonly code = "LOOKOUT_PLUGIN_INVALID_OPTION";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`invalid plugin host option ${option}=${describe(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/** `start()` was called after `close()`. */
export class PluginHostClosedError extends Error {
  override readonly name = "PluginHostClosedError";
  readonly code = "LOOKOUT_PLUGIN_HOST_CLOSED";
  constructor() {
    super("plugin host is closed");
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
