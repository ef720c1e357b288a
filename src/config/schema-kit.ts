/**
 * Building blocks of the configuration schema: durations, names, and the "allowed" text of
 * schemas whose zod error alone would not say what is allowed (unions).
 */
import { z } from "zod";
import { DURATION_ALLOWED, parseDuration } from "./duration.ts";

const durations = new WeakSet<z.core.$ZodType>();
const allowedTexts = new WeakMap<z.core.$ZodType, string>();

/** A duration field: accepts seconds or `"30s"`/`"5m"`/`"1h"`, yields seconds. */
export function duration(): z.ZodPipe<z.ZodUnknown, z.ZodTransform<number>> {
  const schema = z.unknown().transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds !== undefined) return seconds;
    ctx.issues.push({ code: "custom", message: `expected ${DURATION_ALLOWED}`, input: value });
    return z.NEVER;
  });
  durations.add(schema);
  return schema;
}

/** True for a schema made by {@link duration}. */
export function isDuration(schema: z.core.$ZodType): boolean {
  return durations.has(schema);
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
