/**
 * RFC 6902 JSON Patch with the three operations kube-lookout emits (add, remove, replace), and
 * RFC 6901 JSON pointers. Pure functions over JSON values (null, booleans, finite numbers,
 * strings, arrays, plain objects); called for every modified event, so plain loops and no JSON
 * round trips.
 */
import { EventsBadPatchError } from "./errors.ts";
import type { JsonPatchOperation } from "./event-types.ts";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `~` → `~0`, `/` → `~1` (RFC 6901 §3). */
export function escapePointerToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * The reference tokens of an RFC 6901 pointer, unescaped: `""` → `[]`, `/a~1b/~0` → `["a/b",
 * "~"]`. Returns `undefined` when the text is not a pointer (it does not start with `/`, or a
 * `~` is not followed by `0` or `1`).
 */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  const tokens = pointer.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.includes("~")) continue;
    if (/~(?![01])/.test(token)) return undefined;
    tokens[i] = token.replaceAll("~1", "/").replaceAll("~0", "~");
  }
  return tokens;
}

/**
 * The RFC 6902 patch that turns `from` into `to`, using add, remove and replace only. Objects
 * are compared key by key, recursively; arrays element-wise over their common length, then
 * `add` for each extra element of `to` (explicit indexes, ascending) or `remove` for each extra
 * element of `from` (highest index first, so every index is valid when applied in order).
 * Values of different JSON types are replaced whole; a replaced root is one op with path `""`.
 * Equal documents give `[]`. The ops' values are shared with `to`, not copied.
 */
export function createPatch(from: unknown, to: unknown): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  diff(from, to, "", ops);
  return ops;
}

function diff(a: unknown, b: unknown, path: string, ops: JsonPatchOperation[]): void {
  if (a === b) return;
  if (Array.isArray(a)) {
    if (Array.isArray(b)) {
      diffArrays(a, b, path, ops);
      return;
    }
  } else if (isObject(a) && isObject(b)) {
    diffObjects(a, b, path, ops);
    return;
  }
  ops.push({ op: "replace", path, value: b });
}

function diffArrays(
  a: readonly unknown[],
  b: readonly unknown[],
  path: string,
  ops: JsonPatchOperation[],
): void {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const av = a[i];
    const bv = b[i];
    if (av !== bv) diff(av, bv, `${path}/${i}`, ops);
  }
  for (let i = common; i < b.length; i++) {
    ops.push({ op: "add", path: `${path}/${i}`, value: b[i] });
  }
  for (let i = a.length - 1; i >= common; i--) ops.push({ op: "remove", path: `${path}/${i}` });
}

function diffObjects(a: JsonObject, b: JsonObject, path: string, ops: JsonPatchOperation[]): void {
  let shared = 0;
  const aKeys = Object.keys(a);
  for (let i = 0; i < aKeys.length; i++) {
    const key = aKeys[i]!;
    if (!Object.hasOwn(b, key)) {
      ops.push({ op: "remove", path: `${path}/${escapePointerToken(key)}` });
      continue;
    }
    shared++;
    const av = a[key];
    const bv = b[key];
    if (av !== bv) diff(av, bv, `${path}/${escapePointerToken(key)}`, ops);
  }
  const bKeys = Object.keys(b);
  if (bKeys.length === shared) return;
  for (let i = 0; i < bKeys.length; i++) {
    const key = bKeys[i]!;
    if (!Object.hasOwn(a, key)) {
      ops.push({ op: "add", path: `${path}/${escapePointerToken(key)}`, value: b[key] });
    }
  }
}

/**
 * Applies `ops` in order to a copy of `doc` with RFC 6902 semantics for add (into an array it
 * inserts at the index; `-` appends; onto an existing key it replaces), remove and replace.
 * Neither `doc` nor the ops' values are mutated; the result shares unchanged subtrees with
 * them, so treat all of them as immutable. Throws `EventsBadPatchError`
 * (`LOOKOUT_EVENTS_BAD_PATCH`) naming the op's index when a path does not exist, an index is
 * out of range, a pointer is malformed or an op is unknown; nothing is returned then.
 */
export function applyPatch(doc: unknown, ops: readonly JsonPatchOperation[]): unknown {
  const owned = new Set<object>();
  let root = doc;
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    const tokens = typeof op.path === "string" ? parsePointer(op.path) : undefined;
    if (tokens === undefined) throw new EventsBadPatchError(index, op.path, "not a JSON pointer");
    const kind: unknown = op.op;
    if (kind !== "add" && kind !== "remove" && kind !== "replace") {
      throw new EventsBadPatchError(index, op.path, `unsupported op ${String(kind)}`);
    }
    if (tokens.length === 0) {
      if (op.op === "remove")
        throw new EventsBadPatchError(index, op.path, "cannot remove the root");
      root = op.value;
      continue;
    }
    let parent = own(root, owned, index, op.path);
    root = parent;
    for (let t = 0; t < tokens.length - 1; t++) {
      const token = tokens[t]!;
      const child = childOf(parent, token);
      if (child === undefined) throw new EventsBadPatchError(index, op.path, "path does not exist");
      const copy = own(child, owned, index, op.path);
      if (copy !== child) setChild(parent, token, copy);
      parent = copy;
    }
    const last = tokens.at(-1)!;
    if (Array.isArray(parent)) applyToArray(parent, last, op, index);
    else applyToObject(parent, last, op, index);
  }
  return root;
}

function own(
  value: unknown,
  owned: Set<object>,
  index: number,
  path: string,
): JsonObject | unknown[] {
  if (Array.isArray(value)) {
    if (owned.has(value)) return value;
    const copy = value.slice();
    owned.add(copy);
    return copy;
  }
  if (isObject(value)) {
    if (owned.has(value)) return value;
    const copy = copyObject(value);
    owned.add(copy);
    return copy;
  }
  throw new EventsBadPatchError(index, path, "path does not exist (not a container)");
}

function copyObject(source: JsonObject): JsonObject {
  // Spread defines own properties, so a `__proto__` key stays a key.
  return { ...source };
}

function childOf(parent: JsonObject | unknown[], token: string): unknown {
  if (Array.isArray(parent)) {
    const i = arrayIndex(token);
    return i !== undefined && i < parent.length ? parent[i] : undefined;
  }
  return Object.hasOwn(parent, token) ? parent[token] : undefined;
}

function setChild(parent: JsonObject | unknown[], token: string, value: unknown): void {
  if (Array.isArray(parent)) parent[Number(token)] = value;
  else setKey(parent, token, value);
}

function setKey(target: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/** A canonical non-negative decimal index (`0`, `12`; not `01`, `-1`, `1.0`), else undefined. */
function arrayIndex(token: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return undefined;
  return Number(token);
}

function applyToArray(
  target: unknown[],
  token: string,
  op: JsonPatchOperation,
  index: number,
): void {
  if (op.op === "add" && token === "-") {
    target.push(op.value);
    return;
  }
  const i = arrayIndex(token);
  const limit = op.op === "add" ? target.length : target.length - 1;
  if (i === undefined || i > limit) {
    throw new EventsBadPatchError(index, op.path, `array index ${token} out of range`);
  }
  if (op.op === "add") target.splice(i, 0, op.value);
  else if (op.op === "remove") target.splice(i, 1);
  else target[i] = op.value;
}

function applyToObject(
  target: JsonObject,
  key: string,
  op: JsonPatchOperation,
  index: number,
): void {
  if (op.op === "add") {
    setKey(target, key, op.value);
    return;
  }
  if (!Object.hasOwn(target, key)) {
    throw new EventsBadPatchError(index, op.path, "path does not exist");
  }
  if (op.op === "remove") delete target[key];
  else setKey(target, key, op.value);
}
