/**
 * Text to a value for a key, by the key's schema: how a `KUBE_LOOKOUT_*` variable is read, and
 * a `--set` value for a list key. One reading for both, so the two cannot drift apart.
 */
import { z } from "zod";
import { kindOf, unwrap } from "./schema-walk.ts";

type Node = z.core.$ZodType;

/** True when `node` (unwrapped) accepts a boolean: a boolean, or a union with one (`"auto" | boolean`). */
function acceptsBoolean(node: Node): boolean {
  if (node instanceof z.ZodBoolean) return true;
  return node instanceof z.ZodUnion && node.options.some((o) => acceptsBoolean(unwrap(o).node));
}

/** The schema of a list's items, unwrapped; undefined when `node` is not a list. */
function itemSchema(node: Node): Node | undefined {
  return node instanceof z.ZodArray ? unwrap(node.element).node : undefined;
}

/** True for a list whose items are written as text (numbers, strings, choices, durations). */
export function isListOfScalars(node: Node): boolean {
  const item = itemSchema(node);
  if (item === undefined) return false;
  const kind = kindOf(item);
  return kind !== "list" && kind !== "map" && kind !== "any";
}

function scalar(node: Node | undefined, text: string): unknown {
  const t = text.trim();
  if (node === undefined) return t;
  const kind = kindOf(node);
  if ((kind === "number" || kind === "duration") && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (acceptsBoolean(node)) {
    if (/^(true|yes|1)$/i.test(t)) return true;
    if (/^(false|no|0)$/i.test(t)) return false;
  }
  return t;
}

/**
 * Reads `text` for the key whose unwrapped schema is `node`: a number for a number, a boolean
 * for a key that takes one (`true`/`false`, `yes`/`no`, `1`/`0`, any case, also where a choice
 * such as `"auto"` is allowed too), and for a list a comma-separated list (blank items dropped,
 * so a single value is a one-item list) with each item read by the item's schema. Text that
 * fits none of these is passed on trimmed, so the schema reports it with the value. Pure.
 */
export function coerceText(node: Node | undefined, text: string): unknown {
  const item = node === undefined ? undefined : itemSchema(node);
  if (item === undefined) return scalar(node, text);
  return text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => scalar(item, part));
}
