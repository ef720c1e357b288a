/**
 * Resolving a configured plugin reference to a plugin: a built-in name, a module specifier
 * (dynamic `import()`, default export), or a plugin object handed in by an embedding program.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { builtinPlugins } from "./builtin.ts";
import { assertPlugin } from "./define-plugin.ts";
import { PluginConfigError, PluginLoadError } from "./errors.ts";
import type { Plugin } from "./types.ts";

/** How long a plugin's import may take, by default (the host's `loadTimeoutMs`). */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

/** Built-in plugins by name: each loader imports the plugin's module (default export). */
export type BuiltinPlugins = Readonly<Record<string, () => Promise<unknown>>>;

/**
 * Loads the plugin `ref` names. Strings found in `builtins` load that built-in; other strings
 * are module specifiers: paths (`./x.mjs`, `../x.ts`, `/abs/x.js`) are resolved against
 * `baseDir`, `file:` URLs and package names are imported as given. Rejects with
 * `LOOKOUT_PLUGIN_LOAD_FAILED` when the import fails and `LOOKOUT_PLUGIN_INVALID` when the
 * default export (or the object) is not a plugin. `ref` is typed `unknown`: anything but a
 * string must be a plugin object (checked here).
 */
async function loadPlugin(
  ref: unknown,
  builtins: BuiltinPlugins,
  baseDir: string,
): Promise<{ plugin: Plugin; source: string }> {
  if (typeof ref !== "string") {
    assertPlugin(ref, "plugin object");
    return { plugin: ref, source: sourceOf(ref, builtins) };
  }
  const builtin = Object.hasOwn(builtins, ref) ? builtins[ref] : undefined;
  let mod: unknown;
  try {
    mod = await (builtin === undefined ? import(moduleUrl(ref, baseDir)) : builtin());
  } catch (err) {
    throw new PluginLoadError(ref, err);
  }
  const exported =
    typeof mod === "object" && mod !== null ? (Reflect.get(mod, "default") as unknown) : undefined;
  assertPlugin(exported, ref);
  return { plugin: exported, source: sourceOf(ref, builtins) };
}

/**
 * Where `ref` comes from, known before it is loaded: `builtin:<name>` for a built-in, the
 * specifier for a module, `object:<name>` for a plugin object (`object:?` without a string name).
 */
export function sourceOf(ref: unknown, builtins: BuiltinPlugins): string {
  if (typeof ref === "string") return Object.hasOwn(builtins, ref) ? `builtin:${ref}` : ref;
  return `object:${labelOf(ref)}`;
}

/** The entry as configured: the string, or the plugin object's name. */
export function labelOf(ref: unknown): string {
  if (typeof ref === "string") return ref;
  const name: unknown =
    typeof ref === "object" && ref !== null ? Reflect.get(ref, "name") : undefined;
  return typeof name === "string" ? name : "?";
}

function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier)) {
    return pathToFileURL(resolve(baseDir, specifier)).href;
  }
  return specifier;
}

/**
 * Runs the plugin's `configSchema`; any error becomes `LOOKOUT_PLUGIN_BAD_CONFIG`. The error's
 * value is the offending key's value when the schema named a key, else the whole config
 * (`PluginConfigError` masks secret-looking values in both).
 */
function validateConfig(plugin: Plugin, raw: unknown): unknown {
  if (plugin.configSchema === undefined) return raw;
  try {
    return plugin.configSchema(raw);
  } catch (err) {
    if (err instanceof PluginConfigError && err.plugin === plugin.name) throw err;
    const named: unknown =
      typeof err === "object" && err !== null ? Reflect.get(err, "key") : undefined;
    const key = typeof named === "string" ? named : undefined;
    const message = err instanceof Error ? err.message : String(err);
    const value = key === undefined ? raw : valueAt(raw, key);
    throw new PluginConfigError(plugin.name, key, value, message, { cause: err });
  }
}

/** The value under a dotted `key` (`prometheus.url`, `buckets.2`), or undefined. */
function valueAt(raw: unknown, key: string): unknown {
  if (typeof raw === "object" && raw !== null && Object.hasOwn(raw, key)) {
    return Reflect.get(raw, key);
  }
  let value = raw;
  for (const segment of key.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = Reflect.get(value, segment);
  }
  return value;
}

/** A plugin loaded, with its config as its `configSchema` returned it. */
export interface LoadedPlugin {
  readonly plugin: Plugin;
  readonly source: string;
  readonly config: unknown;
}

/**
 * Loads the plugin `ref` names and runs its `configSchema` on `raw`, as the host does before it
 * starts a plugin. Rejects with `LOOKOUT_PLUGIN_LOAD_FAILED` naming `label` (cause: a
 * `TimeoutError`) when the import has not settled within `timeoutMs`, with `signal.reason` when
 * `signal` aborts first, else as {@link loadPlugin} and {@link validateConfig} do. A load that
 * settles after that is ignored.
 */
export async function loadConfigured(
  ref: unknown,
  raw: unknown,
  o: {
    readonly builtins: BuiltinPlugins;
    readonly baseDir: string;
    readonly timeoutMs: number;
    readonly label: string;
    readonly signal?: AbortSignal;
  },
): Promise<LoadedPlugin> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const cause = new DOMException(`plugin not loaded within ${o.timeoutMs} ms`, "TimeoutError");
      reject(new PluginLoadError(o.label, cause));
    }, o.timeoutMs);
    onAbort = (): void => reject(o.signal?.reason);
    o.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const loading = (async () => {
    const { plugin, source } = await loadPlugin(ref, o.builtins, o.baseDir);
    return { plugin, source, config: validateConfig(plugin, raw) };
  })();
  try {
    o.signal?.throwIfAborted();
    return await Promise.race([loading, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) o.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Loads the plugin `ref` names and runs its `configSchema` on `config`, as the host does at
 * start, without starting it: for `kube-lookout config check`. The options default as the
 * host's do (`builtinPlugins`, `process.cwd()`, {@link DEFAULT_LOAD_TIMEOUT_MS}). Resolves with
 * the plugin's name and source; rejects as {@link loadConfigured} does
 * (`LOOKOUT_PLUGIN_LOAD_FAILED`, also when the import has not settled within `timeoutMs`;
 * `LOOKOUT_PLUGIN_INVALID`; `LOOKOUT_PLUGIN_BAD_CONFIG`). Importing a module runs its top-level
 * code.
 */
export async function checkPlugin(
  ref: unknown,
  config: unknown,
  options: { builtins?: BuiltinPlugins; baseDir?: string; timeoutMs?: number } = {},
): Promise<{ name: string; source: string }> {
  const builtins = options.builtins ?? builtinPlugins;
  const { plugin, source } = await loadConfigured(ref, config, {
    builtins,
    baseDir: options.baseDir ?? process.cwd(),
    timeoutMs: options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
    label: sourceOf(ref, builtins),
  });
  return { name: plugin.name, source };
}
