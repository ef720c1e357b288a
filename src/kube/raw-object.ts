/**
 * {@link RawObject} construction: an object's JSON text plus its identity, read by the targeted
 * scan in `object-scan.ts` instead of JSON.parse. Every stored string is a fresh flat copy
 * decoded from bytes, so a cached RawObject never retains the response chunk it came from.
 */
import { KubeBadResponseError } from "./errors.ts";
import { skipWs } from "./json-bytes.ts";
import { scanObject } from "./object-scan.ts";
import type { KubeObject, RawObject } from "./types.ts";

/** The {@link RawObject} implementation. Immutable; `object` parses `json` on every access. */
export class RawKubeObject<T extends KubeObject = KubeObject> implements RawObject<T> {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly json: string;

  constructor(
    json: string,
    name: string,
    namespace: string,
    uid: string,
    resourceVersion: string,
    labels: Readonly<Record<string, string>> | undefined,
  ) {
    this.name = name;
    this.namespace = namespace;
    this.uid = uid;
    this.resourceVersion = resourceVersion;
    this.labels = labels;
    this.json = json;
  }

  /**
   * A freshly parsed copy of the object on every access. The scan that built this object
   * accepts only text JSON.parse accepts, so this does not throw for objects read by the client
   * or by `rawObjectFromJson`.
   */
  get object(): T {
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- T is the caller's claim about the API's objects
    return JSON.parse(this.json) as T;
  }
}

/**
 * Builds a RawObject from the object whose `{` is the first non-whitespace byte at or after
 * `start` in `b`. When `strip` is true, `metadata.managedFields` is removed by moving the bytes
 * after it down **inside `b`** (the caller must own `b` and not read `[start, end)` again).
 * Returns the object and the index just after its closing brace.
 * Throws `KubeBadResponseError` on broken structure.
 */
export function rawObjectFromBytes(
  b: Buffer,
  start: number,
  end: number,
  strip: boolean,
): { object: RawKubeObject; end: number } {
  const s = skipWs(b, start, end);
  const scan = scanObject(b, s, end);
  let stop = scan.end;
  const cuts = scan.cuts;
  if (strip && cuts.length > 0) {
    // Move every kept range down over the cut ones, left to right.
    let w = cuts[0]!;
    for (let k = 0; k < cuts.length; k += 2) {
      const from = cuts[k + 1]!;
      const to = k + 2 < cuts.length ? cuts[k + 2]! : scan.end;
      b.copyWithin(w, from, to);
      w += to - from;
    }
    stop = w;
  }
  const json = b.toString("utf8", s, stop);
  return {
    object: new RawKubeObject(
      json,
      scan.name,
      scan.namespace,
      scan.uid,
      scan.resourceVersion,
      scan.labels,
    ),
    end: scan.end,
  };
}

/** Options of {@link rawObjectFromJson} and {@link rawObjectFromObject}. */
export interface RawObjectOptions {
  /** Remove `metadata.managedFields` from the stored JSON text (default true). */
  readonly stripManagedFields?: boolean;
}

/**
 * Builds a RawObject from one object's JSON text. Throws `KubeBadResponseError`
 * (`LOOKOUT_KUBE_BAD_RESPONSE`) when the text is not one JSON object (trailing bytes other
 * than whitespace are rejected).
 */
export function rawObjectFromJson<T extends KubeObject = KubeObject>(
  text: string,
  options: RawObjectOptions = {},
): RawObject<T> {
  const b = Buffer.from(text, "utf8");
  const { object, end } = rawObjectFromBytes(b, 0, b.length, options.stripManagedFields ?? true);
  const rest = skipWs(b, end, b.length);
  if (rest !== b.length) {
    throw new KubeBadResponseError(`unexpected bytes after the object at byte ${rest}`, rest);
  }
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- T is the caller's claim about the API's objects
  return object as RawKubeObject<T>;
}

/**
 * Builds a RawObject from a parsed object: `json` is `JSON.stringify(obj)` (without
 * `metadata.managedFields` unless `stripManagedFields` is false), identity read from
 * `obj.metadata`. `obj` is not modified. Throws a `TypeError` when `obj.metadata` is not an object.
 */
export function rawObjectFromObject<T extends KubeObject = KubeObject>(
  obj: T,
  options: RawObjectOptions = {},
): RawObject<T> {
  const meta = obj.metadata as unknown;
  if (typeof meta !== "object" || meta === null) {
    throw new TypeError("rawObjectFromObject: obj.metadata is not an object");
  }
  let json: string;
  if ((options.stripManagedFields ?? true) && "managedFields" in obj.metadata) {
    const { managedFields: _, ...rest } = obj.metadata;
    json = JSON.stringify({ ...obj, metadata: rest });
  } else {
    json = JSON.stringify(obj);
  }
  const m = obj.metadata;
  let labels: Record<string, string> | undefined;
  if (typeof m.labels === "object" && m.labels !== null) {
    labels = {};
    for (const [k, v] of Object.entries(m.labels)) if (typeof v === "string") labels[k] = v;
  }
  return new RawKubeObject<T>(
    json,
    str(m.name),
    str(m.namespace),
    str(m.uid),
    str(m.resourceVersion),
    labels,
  );
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}
