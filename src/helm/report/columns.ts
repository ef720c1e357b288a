/**
 * The columns every report format shares: the JSON field names of a finding, in order, and
 * how to read each as text.
 */
import type { HelmFinding } from "../findings.ts";

/** The fields of a finding in a report, in column order (also the JSON key order). */
export const FINDING_FIELDS = [
  "namespace",
  "release",
  "revision",
  "name",
  "kind",
  "apiVersion",
  "deprecatedIn",
  "removedIn",
  "replacementApi",
  "status",
] as const satisfies readonly (keyof HelmFinding)[];

/** One of {@link FINDING_FIELDS}. */
export type FindingField = (typeof FINDING_FIELDS)[number];

/** A finding's field as text; null (no version, no replacement) as `empty`. */
export function fieldText(finding: HelmFinding, field: FindingField, empty: string): string {
  const value = finding[field];
  return value === null ? empty : String(value);
}

/** A message on one line: whitespace runs (including newlines) become one space. */
export function oneLine(text: string): string {
  return text.replaceAll(/\s+/g, " ").trim();
}

/**
 * The first line of an error message, for one-line displays: text before the first line
 * break, a trailing colon (announcing the detail that followed) dropped, spaces collapsed.
 */
export function messageLine(message: string): string {
  const first = message.split(/\r?\n/, 1)[0] ?? "";
  return oneLine(first).replace(/:$/, "");
}
