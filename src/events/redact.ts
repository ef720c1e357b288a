/**
 * The transformation every object goes through before it is stored or published: Secret values
 * replaced by keyed hashes (secrets never leave the sidecar), `metadata.managedFields` removed,
 * configured fields dropped. Keyed (HMAC-SHA256) because a plain hash of a short password is
 * reversed by a dictionary; the key stays in the sidecar.
 */
import { createHmac } from "node:crypto";
import type { ResourceId } from "../kube/index.ts";
import { EventsInvalidOptionError } from "./errors.ts";
import { parsePointer } from "./json-patch.ts";

/** Options of {@link compileRedaction} and {@link redactObject}. */
export interface RedactionOptions {
  /** The HMAC key, at least {@link MIN_HASH_KEY_BYTES} bytes. Keep it secret and stable. */
  readonly hashKey: Uint8Array;
  /**
   * RFC 6901 pointers removed from every object where present, e.g. `/status` or
   * `/metadata/annotations/example.com~1note`. Array elements are addressed by index. Applied
   * in the order given.
   */
  readonly dropFields?: readonly string[];
}

/**
 * A compiled redaction: returns a new value for `object`, never mutating it (unchanged subtrees
 * are shared with the input: treat both as immutable). `resource`, when given, names the
 * object's resource: `core/v1 secrets` makes the object a Secret even without `apiVersion` and
 * `kind` (list items often lack them). Non-objects are returned as they are.
 */
export type Redaction = (object: unknown, resource?: ResourceId) => unknown;

/** The shortest accepted `hashKey`: 16 bytes (128 bits). */
export const MIN_HASH_KEY_BYTES = 16;

/** The prefix of every hashed value: `hmac-sha256:<64 hex digits>`. */
export const HASH_PREFIX = "hmac-sha256:";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates `options` once and returns the per-object {@link Redaction}, which does no
 * validation. For a core Secret (`apiVersion: "v1"`, `kind: "Secret"`, or `resource` core/v1
 * secrets): each `data` value (base64) becomes `hmac-sha256:<hex>` of its decoded bytes (of the
 * raw string when it is not canonical base64), each `stringData` value the HMAC of its UTF-8;
 * key names stay. A non-string value is hashed as its JSON text, and a `data`/`stringData` that
 * is not an object is replaced whole by the hash of its JSON. The Secret's annotation
 * `kubectl.kubernetes.io/last-applied-configuration` (which holds the values in plain text) is
 * replaced by its HMAC. `metadata.managedFields` is removed from every object, then each
 * `dropFields` pointer.
 *
 * Throws `EventsInvalidOptionError` (`LOOKOUT_EVENTS_INVALID_OPTION`) when `hashKey` is not a
 * Uint8Array of at least {@link MIN_HASH_KEY_BYTES} bytes or a `dropFields` entry is not a
 * pointer starting with `/` (or has a `~` not followed by `0` or `1`).
 */
export function compileRedaction(options: RedactionOptions): Redaction {
  const { hashKey } = options;
  if (!(hashKey instanceof Uint8Array) || hashKey.length < MIN_HASH_KEY_BYTES) {
    throw new EventsInvalidOptionError(
      "hashKey",
      hashKey,
      `a Uint8Array of at least ${MIN_HASH_KEY_BYTES} bytes`,
    );
  }
  const key = Buffer.from(hashKey); // a private copy: later changes by the caller do not apply
  const drops = parseDropFields(options.dropFields ?? []);
  const hash = (bytes: string | Uint8Array): string =>
    HASH_PREFIX + createHmac("sha256", key).update(bytes).digest("hex");
  return (object, resource) => {
    if (!isObject(object)) return object;
    const result: JsonObject = { ...object };
    const metadata = result["metadata"];
    if (isObject(metadata) && Object.hasOwn(metadata, "managedFields")) {
      const copy = { ...metadata };
      delete copy["managedFields"];
      result["metadata"] = copy;
    }
    for (const tokens of drops) dropPath(result, tokens);
    if (isSecret(object, resource)) redactSecret(result, hash);
    return result;
  };
}

function parseDropFields(dropFields: readonly string[]): string[][] {
  const drops: string[][] = [];
  for (let i = 0; i < dropFields.length; i++) {
    const pointer: unknown = dropFields[i];
    const tokens = typeof pointer === "string" ? parsePointer(pointer) : undefined;
    if (tokens === undefined || tokens.length === 0) {
      throw new EventsInvalidOptionError(
        `dropFields[${i}]`,
        pointer,
        'an RFC 6901 JSON pointer starting with "/"',
      );
    }
    drops.push(tokens);
  }
  return drops;
}

/**
 * A transform removing the fields at `dropFields` (RFC 6901 pointers) from an object, copying
 * only the containers on each dropped path (the input is not modified); a pointer that does not
 * resolve is ignored. Usable as an informer's `transform`, so that the cache and the events both
 * lack the fields. Throws `EventsInvalidOptionError` (`LOOKOUT_EVENTS_INVALID_OPTION`) for an
 * entry that is not a pointer starting with `/`.
 */
export function compileDropFields(dropFields: readonly string[]): <T>(object: T) => T {
  const drops = parseDropFields(dropFields);
  return <T>(object: T): T => {
    if (!isObject(object) || drops.length === 0) return object;
    const result: JsonObject = { ...object };
    for (const tokens of drops) dropPath(result, tokens);
    // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- same shape minus fields
    return result as T;
  };
}

/**
 * One-shot form of {@link compileRedaction}: validates `options` and redacts `object`. Prefer
 * `compileRedaction` on hot paths.
 */
export function redactObject(
  object: unknown,
  options: RedactionOptions,
  resource?: ResourceId,
): unknown {
  return compileRedaction(options)(object, resource);
}

function isSecret(object: JsonObject, resource: ResourceId | undefined): boolean {
  if (resource !== undefined && resource.group === "" && resource.resource === "secrets") {
    return true;
  }
  return object["apiVersion"] === "v1" && object["kind"] === "Secret";
}

function redactSecret(result: JsonObject, hash: (bytes: string | Uint8Array) => string): void {
  if (Object.hasOwn(result, "data")) {
    result["data"] = hashValues(result["data"], (value) =>
      BASE64.test(value) ? hash(Buffer.from(value, "base64")) : hash(value),
    );
  }
  if (Object.hasOwn(result, "stringData")) {
    result["stringData"] = hashValues(result["stringData"], (value) => hash(value));
  }
  const metadata = result["metadata"];
  if (!isObject(metadata)) return;
  const annotations = metadata["annotations"];
  if (!isObject(annotations) || !Object.hasOwn(annotations, LAST_APPLIED)) return;
  const applied = annotations[LAST_APPLIED];
  result["metadata"] = {
    ...metadata,
    annotations: {
      ...annotations,
      [LAST_APPLIED]: hash(typeof applied === "string" ? applied : jsonText(applied)),
    },
  };
}

function hashValues(values: unknown, hashString: (value: string) => string): unknown {
  if (!isObject(values)) return hashString(jsonText(values));
  const out: JsonObject = {};
  for (const name of Object.keys(values)) {
    const value = values[name];
    Object.defineProperty(out, name, {
      value: hashString(typeof value === "string" ? value : jsonText(value)),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** Removes the value at `tokens` from `root` (already a copy), copying containers on the way. */
function dropPath(root: JsonObject, tokens: readonly string[]): void {
  let parent: JsonObject | unknown[] = root;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    const last = t === tokens.length - 1;
    if (Array.isArray(parent)) {
      if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return;
      const i = Number(token);
      if (i >= parent.length) return;
      if (last) {
        parent.splice(i, 1);
        return;
      }
      const child: unknown = parent[i];
      const copy = copyContainer(child);
      if (copy === undefined) return;
      parent[i] = copy;
      parent = copy;
    } else {
      if (!Object.hasOwn(parent, token)) return;
      if (last) {
        delete parent[token];
        return;
      }
      const copy = copyContainer(parent[token]);
      if (copy === undefined) return;
      Object.defineProperty(parent, token, {
        value: copy,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      parent = copy;
    }
  }
}

function copyContainer(value: unknown): JsonObject | unknown[] | undefined {
  if (Array.isArray(value)) return value.slice();
  if (isObject(value)) return { ...value };
  return undefined;
}
