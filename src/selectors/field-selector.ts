/**
 * Kubernetes field selectors (apimachinery `pkg/fields/selector.go`): comma-ANDed terms
 * `field=value`, `field==value`, `field!=value`, with `\` escaping `,`, `=`, `!` and `\` in
 * values. Compiled against one resource's field table into a pure matcher.
 */
import { SelectorError, SelectorErrorCode } from "./errors.ts";
import { COMMON_FIELDS, FIELD_TABLE } from "./field-table.ts";
import type { FieldGetter } from "./field-table.ts";

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: "=" | "!=";
  readonly value: string;
}

/** A compiled field selector over whole objects. Pure. */
export type FieldMatcher = (object: Readonly<Record<string, unknown>>) => boolean;

/** The resource a field selector is compiled for: its API group and plural name. */
export interface FieldSelectorTarget {
  readonly group: string;
  readonly resource: string;
}

function fail(input: string, message: string): never {
  throw new SelectorError(SelectorErrorCode.Parse, message, input);
}

function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let cur = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === "\\" && i + 1 < input.length) {
      cur += c + input[i + 1]!;
      i++;
    } else if (c === ",") {
      terms.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  return terms;
}

function unescape(input: string, raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "\\") {
      const n = raw[i + 1];
      if (n !== "\\" && n !== "," && n !== "=" && n !== "!") {
        fail(input, `invalid field selector "${input}": invalid escape sequence in "${raw}"`);
      }
      out += n;
      i++;
    } else if (c === "," || c === "=") {
      fail(input, `invalid field selector "${input}": unescaped '${c}' in value "${raw}"`);
    } else {
      out += c;
    }
  }
  return out;
}

function unescapedIndex(term: string, op: string): number {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === "\\") {
      i++;
    } else if (term.startsWith(op, i)) {
      return i;
    }
  }
  return -1;
}

/**
 * Parses a field selector into its terms. `""` parses to none. Throws {@link SelectorError}
 * (`LOOKOUT_SELECTOR_PARSE`) naming the input for a term without an operator or a bad escape.
 */
export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === "") return [];
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(input)) {
    let matched = false;
    for (const op of ["!=", "==", "="] as const) {
      const at = unescapedIndex(term, op);
      if (at === -1) continue;
      // Not trimmed, as the API server does not: `status.phase = x` names the field label
      // `status.phase ` (refused as unsupported) instead of matching values with a space.
      const field = term.slice(0, at);
      if (field === "") fail(input, `invalid field selector "${input}": empty field in "${term}"`);
      const value = unescape(input, term.slice(at + op.length));
      out.push({ field, operator: op === "!=" ? "!=" : "=", value });
      matched = true;
      break;
    }
    if (!matched) fail(input, `invalid selector: '${input}'; can't understand '${term}'`);
  }
  return out;
}

/** The field getter for `field` of `target`, or undefined when the field label is unsupported. */
export function fieldGetter(target: FieldSelectorTarget, field: string): FieldGetter | undefined {
  return COMMON_FIELDS[field] ?? FIELD_TABLE[`${target.group}/${target.resource}`]?.[field];
}

/**
 * Parses and compiles a field selector for one resource. Throws {@link SelectorError} with
 * `LOOKOUT_SELECTOR_PARSE` for bad text and `LOOKOUT_SELECTOR_UNSUPPORTED_FIELD` (message
 * `field label not supported: X`, `field` = X) for a field the resource does not have.
 */
export function compileFieldSelector(input: string, target: FieldSelectorTarget): FieldMatcher {
  const reqs = parseFieldSelector(input);
  if (reqs.length === 0) return () => true;
  const parts = reqs.map((r): FieldMatcher => {
    const get = fieldGetter(target, r.field);
    if (get === undefined) {
      throw new SelectorError(
        SelectorErrorCode.UnsupportedField,
        `field label not supported: ${r.field}`,
        input,
        { field: r.field },
      );
    }
    const { value } = r;
    return r.operator === "=" ? (o) => get(o) === value : (o) => get(o) !== value;
  });
  if (parts.length === 1) return parts[0]!;
  return (o) => {
    for (const p of parts) if (!p(o)) return false;
    return true;
  };
}
