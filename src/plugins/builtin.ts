/**
 * The built-in plugins, loaded by name. Each is imported on first use only (and this keeps
 * the import graph acyclic: the plugins import the plugin API, which does not import them).
 */
import type { BuiltinPlugins } from "./load.ts";

/** `stream-delay`, `watch-verify` and `resource-metrics` (plugins/ at the package root). */
export const builtinPlugins: BuiltinPlugins = Object.freeze({
  "stream-delay": () => import("../../plugins/stream-delay/index.ts"),
  "watch-verify": () => import("../../plugins/watch-verify/index.ts"),
  "resource-metrics": () => import("../../plugins/resource-metrics/index.ts"),
});
