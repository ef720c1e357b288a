/**
 * Key paths (`events.nats.servers`, `watch[0].labelSelector`): parsing, printing, and reading
 * and writing a value at one in plain data.
 */

/** Segments of a key path: object keys and list indexes. */
export type KeyPath = readonly (string | number)[];

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Parses `a.b[0].c`; undefined when malformed (empty segment, bad index, stray characters). */
export function parseKeyPath(text: string): KeyPath | undefined {
  const out: (string | number)[] = [];
  for (const part of text.split(".")) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (m === null || !KEY.test(m[1] ?? "")) return undefined;
    out.push(m[1] ?? "");
    for (const [, index] of (m[2] ?? "").matchAll(/\[(\d+)\]/g)) out.push(Number(index));
  }
  return out;
}

/** Prints a key path: `watch[0].labelSelector`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(top level)" : out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` in `data`, or undefined. */
export function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let here: unknown = data;
  for (const segment of path) {
    if (Array.isArray(here) && typeof segment === "number") here = here[segment];
    else if (isRecord(here) && typeof segment === "string" && Object.hasOwn(here, segment))
      here = here[segment];
    else return undefined;
  }
  return here;
}

/**
 * Sets `value` at `path` in `root` (a plain object), creating objects and lists on the way and
 * replacing a scalar that stands where an object is needed. Mutates `root`.
 */
export function setAt(root: Record<string, unknown>, path: KeyPath, value: unknown): void {
  let here: Record<string, unknown> | unknown[] = root;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    const nextIsIndex = typeof path[i + 1] === "number";
    const current: unknown = Array.isArray(here)
      ? typeof segment === "number"
        ? here[segment]
        : undefined
      : here[String(segment)];
    let child: unknown = current;
    if (!last && !(nextIsIndex ? Array.isArray(child) : isRecord(child)))
      child = nextIsIndex ? [] : {};
    const put = last ? value : child;
    if (Array.isArray(here) && typeof segment === "number") here[segment] = put;
    else if (!Array.isArray(here)) here[String(segment)] = put;
    if (!last && (Array.isArray(child) || isRecord(child))) here = child;
  });
}
