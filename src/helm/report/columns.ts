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

// C0 and C1 control characters other than whitespace (ESC, BEL, NUL, ...): from a payload or a
// manifest, they would reach a terminal as escape sequences.
// oxlint-disable-next-line eslint/no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;

/**
 * A message on one line: whitespace runs (including newlines) become one space, and other
 * control characters are shown as `\uXXXX` escapes, never written as they are.
 */
export function oneLine(text: string): string {
  return text
    .replaceAll(/\s+/g, " ")
    .trim()
    .replaceAll(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Where an error is: `namespace/release`, or the one of them that is not empty, on one line. */
export function errorWhere(error: {
  readonly namespace: string;
  readonly release: string;
}): string {
  const parts = [error.namespace, error.release].filter((part) => part !== "");
  return oneLine(parts.join("/"));
}

/**
 * The first line of an error message, for one-line displays: text before the first line
 * break, a trailing colon (announcing the detail that followed) dropped, spaces collapsed.
 */
export function messageLine(message: string): string {
  const first = message.split(/\r?\n/, 1)[0] ?? "";
  return oneLine(first).replace(/:$/, "");
}
