/**
 * The plugin API: `definePlugin`, the context a plugin gets, config helpers, and the
 * `PluginHost` that loads and supervises plugins. Plugins import only this module (and
 * `@opentelemetry/api`). See docs/plugins.md.
 */
export { definePlugin, assertPlugin, isPlugin } from "./define-plugin.ts";
export { PLUGIN_KIND } from "./types.ts";
export type {
  EventPublisher,
  Plugin,
  PluginContext,
  PluginDefinition,
  PluginRun,
  ResourceSpec,
} from "./types.ts";
export {
  MAX_TIMER_SECONDS,
  configIncreasingNumbers,
  configNumber,
  configObject,
} from "./config.ts";
export type { NumberRule } from "./config.ts";
export { PluginHost } from "./host.ts";
export type {
  PluginEntry,
  PluginHostOptions,
  PluginHostStartResult,
  PluginStartFailure,
  PluginStatus,
} from "./host.ts";
export type { PluginState } from "./runner.ts";
export { builtinPlugins } from "./builtin.ts";
export { checkPlugin, type BuiltinPlugins } from "./load.ts";
export {
  InvalidPluginError,
  InvalidPluginHostOptionError,
  PluginConfigError,
  PluginFailedError,
  PluginHostClosedError,
  PluginLoadError,
} from "./errors.ts";
export { formatResourceId } from "../kube/index.ts";
export { objectKey } from "../informer/index.ts";
export type { KubeObject, ListWatchClient, RawObject, ResourceId } from "../kube/index.ts";
export type {
  DeletedFinalStateUnknown,
  EventHandler,
  Informer,
  InformerFactory,
  InformerLease,
  ReadonlyStore,
} from "../informer/index.ts";
export type { Logger } from "../logging/index.ts";
export type { LookoutStore } from "../store/index.ts";
