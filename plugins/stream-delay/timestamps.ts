/**
 * The timestamps a change can be measured against, read from an object's metadata.
 * Kubernetes writes them as RFC 3339 with whole seconds (`2024-05-01T10:00:00Z`).
 */
import type { KubeObject } from "../../src/plugins/index.ts";

/** `metadata.creationTimestamp` in ms since the epoch, or undefined when absent or unreadable. */
export function creationTime(obj: KubeObject): number | undefined {
  return parseTime(obj.metadata.creationTimestamp);
}

/** `metadata.deletionTimestamp` in ms, or undefined. */
export function deletionTime(obj: KubeObject): number | undefined {
  return parseTime(obj.metadata.deletionTimestamp);
}

/**
 * The newest `metadata.managedFields[].time` in ms, or undefined when the object has no
 * managedFields (the informer strips them unless `keepManagedFields` is set) or no times.
 */
export function newestManagedFieldsTime(obj: KubeObject): number | undefined {
  const fields = obj.metadata.managedFields;
  if (!Array.isArray(fields)) return undefined;
  let newest: number | undefined;
  for (const entry of fields) {
    if (typeof entry !== "object" || entry === null) continue;
    const t = parseTime(Reflect.get(entry, "time"));
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
