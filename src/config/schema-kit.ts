/**
 * Building blocks of the configuration schema: durations, names, and the "allowed" text of
 * schemas whose zod error alone would not say what is allowed (unions).
 */
import { z } from "zod";
import { DURATION_ALLOWED, parseDuration, toMilliseconds } from "./duration.ts";
import { MAX_TIMER_MS } from "../timers/index.ts";

const durations = new WeakMap<z.core.$ZodType, DurationBounds>();
const allowedTexts = new WeakMap<z.core.$ZodType, string>();

/**
 * Bounds of a duration on its whole milliseconds ({@link toMilliseconds}: what the sidecar hands
 * the component), set to what the component accepts, so that a value the component would throw
 * on at start is a configuration problem instead.
 */
export interface DurationBounds {
  /** The fewest milliseconds (1: positive; 1000: at least a second). Default 0. */
  readonly minMs?: number;
  /** The most milliseconds (`Number.MAX_SAFE_INTEGER` for a component that wants a safe integer). */
  readonly maxMs?: number;
}

function msText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** What the bounds add to "duration" in words (`≥ 1s`), or "" when there is no lower bound. */
function boundsText(bounds: DurationBounds): string {
  const min = bounds.minMs ?? 0;
  const max = bounds.maxMs ?? Number.MAX_SAFE_INTEGER;
  const parts = [
    ...(min > 0 ? [`≥ ${msText(min)}`] : []),
    // A safe integer of ms is ~285,000 years: not worth saying; a timer's bound is.
    ...(max < Number.MAX_SAFE_INTEGER ? [`≤ ${Math.floor(max / 1000)}s`] : []),
  ];
  return parts.length === 0 ? "" : ` ${parts.join(", ")}`;
}

/** Why `seconds` is outside `bounds`, or undefined when it is inside. */
function outOfBounds(seconds: number, bounds: DurationBounds): string | undefined {
  const ms = toMilliseconds(seconds);
  const min = bounds.minMs ?? 0;
  if (!(ms >= min)) return `expected a duration ≥ ${msText(min)}`;
  const max = bounds.maxMs ?? Number.MAX_VALUE;
  if (!(ms <= max)) return `expected a duration ≤ ${Math.floor(max / 1000)}s`;
  return undefined;
}

/**
 * A duration field: accepts seconds or `"30s"`/`"5m"`/`"1h"`, yields seconds; `bounds` (on the
 * whole milliseconds) mirror what the component the value feeds accepts.
 */
export function duration(
  bounds: DurationBounds = {},
): z.ZodPipe<z.ZodUnknown, z.ZodTransform<number>> {
  const schema = z.unknown().transform((value, ctx) => {
    const seconds = parseDuration(value);
    const problem =
      seconds === undefined ? `expected ${DURATION_ALLOWED}` : outOfBounds(seconds, bounds);
    if (problem === undefined) return seconds ?? z.NEVER;
    ctx.issues.push({ code: "custom", message: problem, input: value });
    return z.NEVER;
  });
  durations.set(schema, bounds);
  return schema;
}

/** Bounds of a component that wants a safe integer of milliseconds (the Helm checker, the stream). */
export const SAFE_MS: DurationBounds = { maxMs: Number.MAX_SAFE_INTEGER };

/** Bounds of a component that wants positive milliseconds, as a safe integer. */
export const POSITIVE_SAFE_MS: DurationBounds = { minMs: 1, maxMs: Number.MAX_SAFE_INTEGER };

export { MAX_TIMER_MS };

/** Bounds of a duration the component hands to a timer (`setTimeout`, a request timeout). */
export const TIMER_MS: DurationBounds = { maxMs: MAX_TIMER_MS };

/** Bounds of a positive duration the component hands to a timer. */
export const POSITIVE_TIMER_MS: DurationBounds = { minMs: 1, maxMs: MAX_TIMER_MS };

/** True for a schema made by {@link duration}. */
export function isDuration(schema: z.core.$ZodType): boolean {
  return durations.has(schema);
}

/** A duration schema's type in words: `duration`, or `duration ≥ 1s` with a lower bound. */
export function durationText(schema: z.core.$ZodType): string | undefined {
  const bounds = durations.get(schema);
  return bounds === undefined ? undefined : `duration${boundsText(bounds)}`;
}

/** Records what `schema` allows, in words, for its error messages and the docs. */
export function allowed<T extends z.ZodType>(schema: T, text: string): T {
  allowedTexts.set(schema, text);
  return schema;
}

/** The words recorded by {@link allowed}, if any. */
export function allowedText(schema: z.core.$ZodType): string | undefined {
  return allowedTexts.get(schema);
}

/** A namespace name (an RFC 1123 label). */
export const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "expected a namespace name (RFC 1123 label)");

/** A path to a file holding a secret (never the secret itself). */
export function secretFile(what: string): z.ZodOptional<z.ZodString> {
  return z
    .string()
    .min(1)
    .optional()
    .describe(`Path of a file holding ${what} (the secret itself is never in the config).`);
}

/** A whole number ≥ `min`. */
export function intMin(min: number): z.ZodInt {
  return z.int().min(min);
}
