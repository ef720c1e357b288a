/**
 * Masking of secret-looking values, for `config print` and for error messages. Secrets should
 * never be inline (they are files), but a plugin's config or an OTLP header may still hold one.
 */
import { MASKED, isSecretParamName, maskUrlCredentials } from "../logging/index.ts";

/** What a masked value is shown as. */
export const MASK = MASKED;

/**
 * True for a key whose value looks secret (`password`, `apiKey`, `accessKey`, `jwt`, `key`): the
 * names a URL's credential query parameters have (`isSecretParamName`), so the same names are
 * hidden in a plugin's config and in a URL. `...File` keys are paths, not secrets.
 */
export function isSecretKey(key: string): boolean {
  return !/file$/i.test(key) && isSecretParamName(key);
}

/** True when the value at `path` is to be masked: a secret-looking key on the way, or an OTLP header. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  if (path[0] === "telemetry" && path[1] === "otlp" && path[2] === "headers" && path.length > 3)
    return true;
  return path.some((segment) => typeof segment === "string" && isSecretKey(segment));
}

/**
 * A deep copy of `value` with every secret value replaced by {@link MASK} and URL credentials
 * hidden (`maskUrlCredentials`: passwords, and NATS tokens written as `nats://token@host`).
 */
export function maskSecrets(value: unknown, path: readonly PropertyKey[] = []): unknown {
  if (isSecretPath(path) && value !== undefined && value !== null && typeof value !== "object")
    return MASK;
  if (Array.isArray(value)) return value.map((v: unknown, i) => maskSecrets(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, [...path, k]);
    return out;
  }
  return typeof value === "string" ? maskUrlCredentials(value) : value;
}
