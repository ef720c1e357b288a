/**
 * `definePlugin` and the duck-typed check the host applies to every loaded value, so a module
 * outside this package can build a plugin by hand.
 */
import { InvalidPluginError } from "./errors.ts";
import { PLUGIN_KIND, type Plugin, type PluginDefinition } from "./types.ts";

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Makes a plugin from its definition: a frozen copy with `kind: "kube-lookout-plugin"`.
 * Throws `LOOKOUT_PLUGIN_INVALID` for a bad name, a missing `start` or a non-function
 * `configSchema`. No side effects.
 */
export function definePlugin<Config = unknown>(
  definition: PluginDefinition<Config>,
): Plugin<Config> {
  const plugin = { ...definition, kind: PLUGIN_KIND } as const;
  assertPlugin(plugin, "definePlugin");
  return Object.freeze(plugin);
}

/**
 * Narrows `value` to a plugin, or throws `LOOKOUT_PLUGIN_INVALID` saying what is wrong;
 * `source` (a module specifier) is named in the error.
 */
export function assertPlugin(value: unknown, source: string): asserts value is Plugin {
  if (typeof value !== "object" || value === null) {
    throw new InvalidPluginError(source, `expected an object, got ${typeName(value)}`);
  }
  const get = (key: string): unknown => Reflect.get(value, key);
  if (get("kind") !== PLUGIN_KIND) {
    throw new InvalidPluginError(source, `kind must be "${PLUGIN_KIND}" (use definePlugin)`);
  }
  const name = get("name");
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new InvalidPluginError(source, `name must match ${NAME.source}`);
  }
  if (typeof get("start") !== "function") {
    throw new InvalidPluginError(source, "start must be a function");
  }
  if (get("configSchema") !== undefined && typeof get("configSchema") !== "function") {
    throw new InvalidPluginError(source, "configSchema must be a function when given");
  }
}

/** True when `value` passes {@link assertPlugin}. */
export function isPlugin(value: unknown): value is Plugin {
  try {
    assertPlugin(value, "value");
    return true;
  } catch {
    return false;
  }
}

function typeName(value: unknown): string {
  return value === null ? "null" : typeof value;
}
