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
 * default export (or the object) is not a plugin.
 */
export async function loadPlugin(
  ref: string | Plugin,
  builtins: BuiltinPlugins,
  baseDir: string,
): Promise<{ plugin: Plugin; source: string }> {
  if (typeof ref !== "string") {
    assertPlugin(ref, "plugin object");
    return { plugin: ref, source: `object:${ref.name}` };
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
  return { plugin: exported, source: builtin === undefined ? ref : `builtin:${ref}` };
}

function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith("./") || specifier.startsWith("../") || isAbsolute(specifier)) {
    return pathToFileURL(resolve(baseDir, specifier)).href;
  }
  return specifier;
}
