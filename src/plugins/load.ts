/**
 * Resolving a configured plugin reference to a plugin: a built-in name, a module specifier
 * (dynamic `import()`, default export), or a plugin object handed in by an embedding program.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { assertPlugin } from "./define-plugin.ts";
import { PluginLoadError } from "./errors.ts";
import type { Plugin } from "./types.ts";

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
export async function loadPlugin(
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
  const name: unknown =
    typeof ref === "object" && ref !== null ? Reflect.get(ref, "name") : undefined;
  return `object:${typeof name === "string" ? name : "?"}`;
}

function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier)) {
    return pathToFileURL(resolve(baseDir, specifier)).href;
  }
  return specifier;
}
