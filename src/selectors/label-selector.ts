/**
 * Kubernetes label selectors: the full grammar of apimachinery `pkg/labels/selector.go`
 * (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`, `>`/`<` on integers, comma AND), parsed
 * once into requirements and compiled into a pure, allocation-free matcher.
 */
import { SelectorError, SelectorErrorCode } from "./errors.ts";

/** The operators of a label requirement. */
export const LabelOperator = {
  Equals: "=",
  NotEquals: "!=",
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
  GreaterThan: ">",
  LessThan: "<",
} as const;
/** One of the {@link LabelOperator} values. */
export type LabelOperator = (typeof LabelOperator)[keyof typeof LabelOperator];

/** One comma-separated term of a label selector. `values` is empty for exists / `!key`. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A compiled label selector: true when the labels (undefined = no labels) match. Pure. */
export type LabelMatcher = (labels: Readonly<Record<string, string>> | undefined) => boolean;

const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const KEY_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const INTEGER = /^[-+]?[0-9]+$/;
const SPECIAL = new Set(["!", "=", ",", "(", ")", "<", ">", " ", "\t", "\n", "\r"]);

type Token =
  | { readonly kind: "id"; readonly text: string }
  | { readonly kind: "op"; readonly text: "!" | "=" | "==" | "!=" | "<" | ">" | "(" | ")" | "," }
  | { readonly kind: "end"; readonly text: "" };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "!" || c === "=") {
      if (input[i + 1] === "=") {
        tokens.push({ kind: "op", text: c === "!" ? "!=" : "==" });
        i += 2;
      } else {
        tokens.push({ kind: "op", text: c });
        i++;
      }
    } else if (c === "<" || c === ">" || c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "op", text: c });
      i++;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]!)) j++;
      tokens.push({ kind: "id", text: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}

function fail(input: string, message: string): never {
  throw new SelectorError(
    SelectorErrorCode.Parse,
    `unable to parse label selector "${input}": ${message}`,
    input,
  );
}

function checkKey(input: string, key: string): void {
  const slash = key.indexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  if (
    !KEY_NAME.test(name) ||
    (prefix !== undefined && (prefix.length > 253 || !KEY_PREFIX.test(prefix)))
  ) {
    fail(input, `invalid label key "${key}"`);
  }
}

function checkValue(input: string, value: string): void {
  if (!VALUE.test(value)) fail(input, `invalid label value "${value}"`);
}

/**
 * Parses a label selector into its requirements (in input order). `""` and whitespace parse to
 * no requirements (matches everything). Throws a {@link SelectorError} with code
 * `LOOKOUT_SELECTOR_PARSE` and `input` set to the text for any grammar or syntax error.
 */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const tokens = tokenize(input);
  const out: LabelRequirement[] = [];
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  if (peek().kind === "end") return out;
  for (;;) {
    let t = next();
    if (t.kind === "op" && t.text === "!") {
      const key = next();
      if (key.kind !== "id") fail(input, "expected a key after '!'");
      checkKey(input, key.text);
      out.push({ key: key.text, operator: LabelOperator.DoesNotExist, values: [] });
    } else if (t.kind === "id") {
      const key = t.text;
      checkKey(input, key);
      t = peek();
      if (t.kind === "end" || (t.kind === "op" && t.text === ",")) {
        out.push({ key, operator: LabelOperator.Exists, values: [] });
      } else if (t.kind === "op" && (t.text === "=" || t.text === "==" || t.text === "!=")) {
        pos++;
        const v = peek();
        let value = "";
        if (v.kind === "id") {
          value = v.text;
          pos++;
        } else if (!(v.kind === "end" || (v.kind === "op" && v.text === ","))) {
          fail(input, `unexpected '${v.text}' after '${t.text}'`);
        }
        checkValue(input, value);
        const operator = t.text === "!=" ? LabelOperator.NotEquals : LabelOperator.Equals;
        out.push({ key, operator, values: [value] });
      } else if (t.kind === "op" && (t.text === "<" || t.text === ">")) {
        pos++;
        const v = next();
        if (v.kind !== "id" || !INTEGER.test(v.text)) {
          fail(input, `for '${t.text}' the value must be an integer`);
        }
        const operator = t.text === ">" ? LabelOperator.GreaterThan : LabelOperator.LessThan;
        out.push({ key, operator, values: [v.text] });
      } else if (t.kind === "id" && (t.text === "in" || t.text === "notin")) {
        pos++;
        const operator = t.text === "in" ? LabelOperator.In : LabelOperator.NotIn;
        const open = next();
        if (open.kind !== "op" || open.text !== "(") fail(input, `expected '(' after '${t.text}'`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.kind === "id") {
            checkValue(input, v.text);
            values.push(v.text);
            pos++;
          } else {
            values.push(""); // an empty value between separators, as apimachinery allows
          }
          const sep = next();
          if (sep.kind === "op" && sep.text === ")") break;
          if (sep.kind !== "op" || sep.text !== ",")
            fail(input, "expected ',' or ')' in value set");
        }
        if (values.length === 1 && values[0] === "") {
          fail(input, `for '${operator}', values set can't be empty`);
        }
        out.push({ key, operator, values });
      } else {
        fail(input, `unexpected '${t.text}' after key "${key}"`);
      }
    } else {
      fail(input, `expected a key, found '${t.text === "" ? "end of input" : t.text}'`);
    }
    const sep = next();
    if (sep.kind === "end") return out;
    if (sep.kind !== "op" || sep.text !== ",") fail(input, `expected ',' found '${sep.text}'`);
  }
}

function compileRequirement(r: LabelRequirement): LabelMatcher {
  const { key } = r;
  switch (r.operator) {
    case LabelOperator.Exists:
      return (l) => l !== undefined && Object.hasOwn(l, key);
    case LabelOperator.DoesNotExist:
      return (l) => l === undefined || !Object.hasOwn(l, key);
    case LabelOperator.Equals: {
      const v = r.values[0]!;
      return (l) => l !== undefined && Object.hasOwn(l, key) && l[key] === v;
    }
    case LabelOperator.NotEquals: {
      const v = r.values[0]!;
      return (l) => l === undefined || !Object.hasOwn(l, key) || l[key] !== v;
    }
    case LabelOperator.In: {
      const set = new Set(r.values);
      return (l) => l !== undefined && Object.hasOwn(l, key) && set.has(l[key]!);
    }
    case LabelOperator.NotIn: {
      const set = new Set(r.values);
      return (l) => l === undefined || !Object.hasOwn(l, key) || !set.has(l[key]!);
    }
    case LabelOperator.GreaterThan:
    case LabelOperator.LessThan: {
      const bound = Number.parseInt(r.values[0]!, 10);
      const greater = r.operator === LabelOperator.GreaterThan;
      return (l) => {
        if (l === undefined || !Object.hasOwn(l, key)) return false;
        const raw = l[key]!;
        if (!INTEGER.test(raw)) return false;
        const n = Number.parseInt(raw, 10);
        return greater ? n > bound : n < bound;
      };
    }
    default:
      throw new TypeError(`unknown label operator ${JSON.stringify(r.operator)}`);
  }
}

/** The matcher of the empty selector: matches every label set. */
export const matchAllLabels: LabelMatcher = () => true;

/**
 * Compiles requirements (ANDed) into a matcher. Compile once, call many times; the matcher
 * is pure and does not allocate.
 */
export function compileLabelRequirements(requirements: readonly LabelRequirement[]): LabelMatcher {
  if (requirements.length === 0) return matchAllLabels;
  const parts = requirements.map(compileRequirement);
  if (parts.length === 1) return parts[0]!;
  return (labels) => {
    for (const p of parts) if (!p(labels)) return false;
    return true;
  };
}

/**
 * Parses and compiles a label selector. Throws {@link SelectorError} (`LOOKOUT_SELECTOR_PARSE`)
 * for invalid text; `""` compiles to {@link matchAllLabels}.
 */
export function compileLabelSelector(input: string): LabelMatcher {
  return compileLabelRequirements(parseLabelSelector(input));
}
