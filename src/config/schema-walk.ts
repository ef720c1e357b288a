/**
 * Reads the configuration schema as data: its leaves (for the env table and the docs), and the
 * node at a key path (for "did you mean" and coercion). Knows only the zod classes the schema uses.
 */
import { z } from "zod";
import { allowedText, durationText, isDuration } from "./schema-kit.ts";

type Node = z.core.$ZodType;

function describe(node: Node): string | undefined {
  return z.globalRegistry.get(node)?.description;
}

/** A schema with its wrappers (default, prefault, optional) taken off. */
export interface Unwrapped {
  readonly node: Node;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly optional: boolean;
  readonly description: string | undefined;
}

/** Strips `.default()`, `.prefault()` and `.optional()`, keeping the outermost description and default. */
export function unwrap(schema: Node): Unwrapped {
  let node = schema;
  let hasDefault = false;
  let defaultValue: unknown;
  let optional = false;
  let description = describe(schema);
  for (;;) {
    if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = node.def.defaultValue;
      }
      node = node.def.innerType;
    } else if (node instanceof z.ZodOptional) {
      optional = true;
      node = node.def.innerType;
    } else break;
    description ??= describe(node);
  }
  return { node, hasDefault, defaultValue, optional, description };
}

/** How a leaf's value is written: drives env coercion and the docs' type column. */
export type LeafKind =
  "string" | "number" | "boolean" | "duration" | "list" | "map" | "choice" | "any";

/** One configurable key of the schema. */
export interface SchemaLeaf {
  /** Key path segments; `[]` marks "each element of a list" (`watch`, `[]`, `group`). */
  readonly path: readonly string[];
  readonly kind: LeafKind;
  /** Human type: `string`, `integer ≥ 1`, `"FULL" \| "NORMAL"`, `duration`, `list of string`. */
  readonly type: string;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  /** May be left out (no default either): the component decides. */
  readonly optional: boolean;
  readonly description: string;
  /** The unwrapped schema. */
  readonly node: Node;
}

/** The type of a schema node in words, for errors and docs (`integer ≥ 1`, `"FULL" | "NORMAL"`). */
export function typeText(node: Node): string {
  const words = allowedText(node);
  if (words !== undefined) return words;
  const duration = durationText(node);
  if (duration !== undefined) return duration;
  if (node instanceof z.ZodEnum) return node.options.map((o) => JSON.stringify(o)).join(" | ");
  if (node instanceof z.ZodLiteral)
    return [...node.values].map((v) => JSON.stringify(v)).join(" | ");
  if (node instanceof z.ZodNumber) {
    const int = node.format === "safeint" || node.isInt;
    const min = node.minValue;
    const max = node.maxValue;
    const base = int ? "integer" : "number";
    const lo =
      min !== null && Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER ? ` ≥ ${min}` : "";
    const hi =
      max !== null && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER ? ` ≤ ${max}` : "";
    return `${base}${lo}${hi}`;
  }
  if (node instanceof z.ZodBoolean) return "boolean";
  if (node instanceof z.ZodURL) return "http(s) URL";
  if (node instanceof z.ZodString) return "string";
  if (node instanceof z.ZodArray) return `list of ${typeText(unwrap(node.element).node)}`;
  if (node instanceof z.ZodRecord) return "map of string";
  if (node instanceof z.ZodUnion)
    return node.options.map((o) => typeText(unwrap(o).node)).join(" | ");
  return "any";
}

/** The {@link LeafKind} of an unwrapped schema node. */
export function kindOf(node: Node): LeafKind {
  if (isDuration(node)) return "duration";
  if (node instanceof z.ZodNumber) return "number";
  if (node instanceof z.ZodBoolean) return "boolean";
  if (node instanceof z.ZodURL) return "string";
  if (node instanceof z.ZodString || node instanceof z.ZodURL) return "string";
  if (node instanceof z.ZodEnum || node instanceof z.ZodLiteral || node instanceof z.ZodUnion)
    return "choice";
  if (node instanceof z.ZodArray) return "list";
  if (node instanceof z.ZodRecord) return "map";
  return "any";
}

/** The object shape of a node, when it is an object. */
export function shapeOf(node: Node): Readonly<Record<string, Node>> | undefined {
  return node instanceof z.ZodObject ? node.shape : undefined;
}

/**
 * Every leaf under `schema`, depth first in declaration order. A list of objects (`watch`,
 * `plugins`) is one leaf itself and its element's keys follow as `watch[].group` ...
 */
export function schemaLeaves(schema: Node, prefix: readonly string[] = []): SchemaLeaf[] {
  const out: SchemaLeaf[] = [];
  const shape = shapeOf(unwrap(schema).node);
  for (const [key, child] of Object.entries(shape ?? {})) {
    const u = unwrap(child);
    const path = [...prefix, key];
    const childShape = shapeOf(u.node);
    if (childShape !== undefined) {
      out.push(...schemaLeaves(u.node, path));
      continue;
    }
    const elementShape =
      u.node instanceof z.ZodArray ? shapeOf(unwrap(u.node.element).node) : undefined;
    out.push({
      path,
      kind: kindOf(u.node),
      type: elementShape === undefined ? typeText(u.node) : "list of objects",
      hasDefault: u.hasDefault,
      defaultValue: u.defaultValue,
      optional: u.optional,
      description: u.description ?? "",
      node: u.node,
    });
    if (u.node instanceof z.ZodArray && elementShape !== undefined) {
      out.push(...schemaLeaves(u.node.element, [...path, "[]"]));
    }
  }
  return out;
}

/**
 * The unwrapped node at a key path (numbers index lists), or undefined when the path leaves
 * the schema. Unions are not entered.
 */
export function schemaAt(
  schema: Node,
  path: readonly (string | number | symbol)[],
): Node | undefined {
  let node: Node | undefined = unwrap(schema).node;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (node instanceof z.ZodArray && typeof segment === "number") {
      node = unwrap(node.element).node;
      continue;
    }
    const shape = shapeOf(node);
    const child: Node | undefined =
      shape !== undefined && typeof segment === "string" && Object.hasOwn(shape, segment)
        ? shape[segment]
        : undefined;
    node = child === undefined ? undefined : unwrap(child).node;
  }
  return node;
}
