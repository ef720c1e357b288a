/**
 * Type guards for JSON read from outside or from the store, so nothing is asserted blindly.
 */
import type { KubeObject } from "../kube/types.ts";

/** True for a plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for an object with an object `metadata`. */
export function isKubeObject(v: unknown): v is KubeObject {
  return isRecord(v) && isRecord(v["metadata"]);
}

/** Parses JSON text into `unknown`. Throws SyntaxError. */
export function parseJson(text: string): unknown {
  const v: unknown = JSON.parse(text);
  return v;
}

/** Parses stored object JSON; throws TypeError when it is not a Kubernetes object. */
export function parseKubeObject(text: string): KubeObject {
  const v = parseJson(text);
  if (!isKubeObject(v)) throw new TypeError("stored JSON is not a Kubernetes object");
  return v;
}
