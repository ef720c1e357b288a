/**
 * `config print`: the effective configuration as YAML, secrets masked.
 */
import { stringify } from "yaml";
import { maskSecrets } from "./mask.ts";
import type { LookoutConfig } from "./schema.ts";

/**
 * The configuration as YAML that {@link loadConfig} reads back (durations in seconds), with
 * secret-looking values (plugin config keys such as `password`, OTLP headers, URL passwords)
 * replaced by `***`. Pure.
 */
export function printConfig(config: LookoutConfig): string {
  return stringify(maskSecrets(config), { lineWidth: 0 });
}
