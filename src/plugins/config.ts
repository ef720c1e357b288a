/**
 * Small helpers a `configSchema` can use to validate a plain-object config, each throwing a
 * `PluginConfigError` that names the offending key.
 */
import { PluginConfigError } from "./errors.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

/**
 * The config as a plain object: `undefined`/`null` become `{}`; anything else that is not a
 * plain object, or an object with a key outside `allowed`, throws `LOOKOUT_PLUGIN_BAD_CONFIG`.
 */
export function configObject(
  plugin: string,
  raw: unknown,
  allowed: readonly string[],
): Readonly<Record<string, unknown>> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new PluginConfigError(plugin, undefined, raw, "an object");
  }
  const obj: Record<string, unknown> = { ...raw };
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new PluginConfigError(plugin, key, obj[key], `one of the keys ${allowed.join(", ")}`);
    }
  }
  return obj;
}

/** Bounds of {@link configNumber}. */
/**
 * The most seconds a plugin may hand to one Node timer (`setTimeout`, `AbortSignal.timeout`):
 * 2^31−1 ms, about 24.8 days. A longer delay fires after 1 ms.
 */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/**
 * `obj[key]` as a finite number within the rule, or `fallback` when absent. Throws
 * `LOOKOUT_PLUGIN_BAD_CONFIG` naming `key` otherwise.
 */
export function configNumber(
  plugin: string,
  obj: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
  rule: NumberRule = {},
): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (!fitsRule(value, rule)) throw new PluginConfigError(plugin, key, value, ruleText(rule));
  return value;
}

/**
 * `obj[key]` as a strictly increasing, non-empty array of numbers within the rule, or
 * `fallback` when absent (e.g. histogram bucket boundaries). Throws naming `key` or `key.i`.
 */
export function configIncreasingNumbers(
  plugin: string,
  obj: Readonly<Record<string, unknown>>,
  key: string,
  fallback: readonly number[],
  rule: NumberRule = {},
): readonly number[] {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0) {
    throw new PluginConfigError(plugin, key, value, "a non-empty array of numbers");
  }
  const out: number[] = [];
  for (const [i, item] of value.entries()) {
    const prev = out.at(-1);
    if (!fitsRule(item, rule) || (prev !== undefined && item <= prev)) {
      throw new PluginConfigError(plugin, `${key}.${i}`, item, `increasing, ${ruleText(rule)}`);
    }
    out.push(item);
  }
  return out;
}

function fitsRule(value: unknown, rule: NumberRule): value is number {
  return (
    typeof value === "number" &&
    Number.isFinite(value) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.integer !== true || Number.isInteger(value))
  );
}

function ruleText(rule: NumberRule): string {
  const parts = [rule.integer === true ? "an integer" : "a finite number"];
  if (rule.min !== undefined) parts.push(`≥ ${rule.min}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  return parts.join(" ");
}
