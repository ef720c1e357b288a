/**
 * The one duration parser of the configuration: seconds as a number (`30`, `0.5`) or a string
 * of unit-suffixed parts (`"30s"`, `"5m"`, `"1h30m"`, `"250ms"`, `"7d"`).
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
};

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** What a duration may look like, for error messages and docs. */
export const DURATION_ALLOWED =
  'a duration: seconds as a number (30) or a string like "250ms", "30s", "5m", "1h", "1h30m", "7d"';

/**
 * Parses a duration into seconds (non-negative, finite; fractions kept: `"250ms"` → 0.25).
 * A numeric string (`"30"`) is seconds too. Returns undefined for anything else: negative,
 * unknown unit, empty, not a number or string.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!WHOLE.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit ?? ""] ?? Number.NaN);
  }
  // Rounded to the millisecond: 0.1 + 0.2 must not come out as 0.30000000000000004.
  const rounded = Math.round(seconds * 1000) / 1000;
  return Number.isFinite(rounded) ? rounded : undefined;
}

/**
 * Seconds (the configuration's unit) as whole milliseconds, the way the sidecar hands a
 * duration to its components (`Math.round`). Bounds on durations are checked on this value.
 */
export function toMilliseconds(seconds: number): number {
  return Math.round(seconds * 1000);
}
