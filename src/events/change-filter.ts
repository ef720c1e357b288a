/**
 * Predicates that decide whether an update is worth an event: updates that change only
 * `status`, or only the bookkeeping fields `metadata.resourceVersion` and
 * `metadata.managedFields`, can be dropped by configuration. Pure, no copies.
 */

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep equality of JSON values: objects by their own keys regardless of order, arrays by
 * order, numbers by value (`0` equals `-0`), everything else by `===`.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isObject(a) || !isObject(b)) return false;
  return objectsEqualExcept(a, b, NOTHING);
}

const NOTHING: ReadonlySet<string> = new Set();
const NOISE: ReadonlySet<string> = new Set(["resourceVersion", "managedFields"]);
const METADATA: ReadonlySet<string> = new Set(["metadata"]);
const STATUS_AND_METADATA: ReadonlySet<string> = new Set(["status", "metadata"]);

/** Equal over the own keys of `a` and `b` that are not in `skip`. */
function objectsEqualExcept(a: JsonObject, b: JsonObject, skip: ReadonlySet<string>): boolean {
  let count = 0;
  for (const key of Object.keys(a)) {
    if (skip.has(key)) continue;
    if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
    count++;
  }
  for (const key of Object.keys(b)) if (!skip.has(key)) count--;
  return count === 0;
}

/**
 * Equal except `metadata.resourceVersion`, `metadata.managedFields` and the top-level keys in
 * `skip` (which must hold `metadata`).
 */
function equalIgnoringNoise(a: JsonObject, b: JsonObject, skip: ReadonlySet<string>): boolean {
  if (!objectsEqualExcept(a, b, skip)) return false;
  const am = a["metadata"];
  const bm = b["metadata"];
  if (isObject(am) && isObject(bm)) return objectsEqualExcept(am, bm, NOISE);
  return Object.hasOwn(a, "metadata") === Object.hasOwn(b, "metadata") && jsonEqual(am, bm);
}

/**
 * True when `previous` and `next` are objects that are equal once `status`,
 * `metadata.resourceVersion` and `metadata.managedFields` are set aside, and differ in `status`
 * (present versus absent counts as a difference). `metadata.generation` is compared: a spec
 * change bumps it. False for non-objects.
 */
export function onlyStatusChanged(previous: unknown, next: unknown): boolean {
  if (!isObject(previous) || !isObject(next)) return false;
  if (!equalIgnoringNoise(previous, next, STATUS_AND_METADATA)) return false;
  const hadStatus = Object.hasOwn(previous, "status");
  if (hadStatus !== Object.hasOwn(next, "status")) return true;
  return !jsonEqual(previous["status"], next["status"]);
}

/**
 * True when `previous` and `next` are objects that are equal once `metadata.resourceVersion`
 * and `metadata.managedFields` are set aside (identical objects included). False for
 * non-objects.
 */
export function onlyMetadataNoise(previous: unknown, next: unknown): boolean {
  if (!isObject(previous) || !isObject(next)) return false;
  return equalIgnoringNoise(previous, next, METADATA);
}
