/**
 * The JSON columns of `helm_releases`, read back through type guards. `objects` is compact: one
 * array per object, `[apiVersion, kind, name, namespace, source, hookIndex, template]` with
 * `null` for an absent field and trailing nulls left out (a third fewer bytes than objects with
 * keys, which is most of a release row). `errors` (rare) is `JSON.stringify` of the issues.
 */
import type { ScanIssue, ScannedObject } from "../helm/index.ts";

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optional(o: Json, key: string, type: "string" | "number"): boolean {
  return !(key in o) || typeof o[key] === type;
}

function isSource(v: unknown): v is "manifest" | "hook" {
  return v === "manifest" || v === "hook";
}

/** Writes the `objects` column. */
export function encodeObjects(objects: readonly ScannedObject[]): string {
  const rows: unknown[] = [];
  for (const o of objects) {
    const row: unknown[] = [
      o.apiVersion,
      o.kind,
      o.name ?? null,
      o.namespace ?? null,
      o.source,
      o.hookIndex ?? null,
      o.template ?? null,
    ];
    while (row.length > 5 && row.at(-1) === null) row.pop();
    rows.push(row);
  }
  return JSON.stringify(rows);
}

function nullOr(v: unknown, type: "string" | "number"): boolean {
  return v === undefined || v === null || typeof v === type;
}

/** Reads one stored object, or undefined when the value is not one. */
function toObject(v: unknown): ScannedObject | undefined {
  if (!Array.isArray(v) || v.length < 5 || v.length > 7) return undefined;
  const [apiVersion, kind, name, namespace, source, hookIndex, template]: unknown[] = v;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !isSource(source)) {
    return undefined;
  }
  if (
    !nullOr(name, "string") ||
    !nullOr(namespace, "string") ||
    !nullOr(hookIndex, "number") ||
    !nullOr(template, "string")
  ) {
    return undefined;
  }
  const out: ScannedObject = { apiVersion, kind, source };
  if (typeof name === "string") out.name = name;
  if (typeof namespace === "string") out.namespace = namespace;
  if (typeof hookIndex === "number") out.hookIndex = hookIndex;
  if (typeof template === "string") out.template = template;
  return out;
}

/** Reads one stored issue, or undefined when the value is not one. */
function toIssue(v: unknown): ScanIssue | undefined {
  if (!isRecord(v)) return undefined;
  const { code, message, documentIndex, source, hookIndex, field, limit } = v;
  if (typeof code !== "string" || typeof message !== "string") return undefined;
  if (
    !optional(v, "documentIndex", "number") ||
    !optional(v, "hookIndex", "number") ||
    !optional(v, "field", "string") ||
    !optional(v, "limit", "number") ||
    ("source" in v && !isSource(source))
  ) {
    return undefined;
  }
  const out: ScanIssue = { code, message };
  if (typeof documentIndex === "number") out.documentIndex = documentIndex;
  if (isSource(source)) out.source = source;
  if (typeof hookIndex === "number") out.hookIndex = hookIndex;
  if (typeof field === "string") out.field = field;
  if (typeof limit === "number") out.limit = limit;
  return out;
}

function parseList<T>(text: string, item: (v: unknown) => T | undefined): T[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: T[] = [];
  for (const v of parsed) {
    const x = item(v);
    if (x === undefined) return undefined;
    out.push(x);
  }
  return out;
}

/** Parses an `objects` column; undefined when it is not a JSON array of scanned objects. */
export function parseObjects(text: string): ScannedObject[] | undefined {
  return parseList(text, toObject);
}

/** Parses an `errors` column; undefined when it is not a JSON array of scan issues. */
export function parseIssues(text: string): ScanIssue[] | undefined {
  return parseList(text, toIssue);
}
