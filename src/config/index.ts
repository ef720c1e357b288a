/**
 * The sidecar's configuration: schema, loading (file < env < flags), printing, and the diff of
 * watch lists for live reconfiguration. See docs/config.md.
 */
export {
  configSchema,
  type LookoutConfig,
  type LookoutConfigInput,
  type WatchEntry,
} from "./schema.ts";
export { FEEDS } from "./schema-watch.ts";
export { parseDuration, toMilliseconds, DURATION_ALLOWED } from "./duration.ts";
export {
  loadConfig,
  resolveConfig,
  parseSetFlags,
  type LoadConfigOptions,
  type ResolveConfigInput,
} from "./load.ts";
export { printConfig } from "./print.ts";
export { diffWatchConfig, watchIdentity, type WatchDiff, type ChangedWatch } from "./watch-diff.ts";
export { envTable, envName, ENV_PREFIX, CONFIG_FILE_ENV, type EnvVar } from "./env.ts";
export { MASK, isSecretKey, maskSecrets } from "./mask.ts";
export { CONFIG_DOC_PATH, renderConfigDoc } from "./config-doc.ts";
export { EXAMPLE_CONFIG } from "./example.ts";
export {
  ConfigInvalidError,
  ConfigReadError,
  formatProblem,
  type ConfigProblem,
  type ConfigSource,
} from "./errors.ts";
