/**
 * zod issues → {@link ConfigProblem}s that name the key, show the value (masked when secret)
 * and say what is allowed, with "did you mean" for unknown keys.
 */
import type { z } from "zod";
import type { ConfigProblem } from "./errors.ts";
import { formatKeyPath, getAt } from "./key-path.ts";
import { MASK, isSecretPath, maskSecrets } from "./mask.ts";
import { allowedText } from "./schema-kit.ts";
import { schemaAt, shapeOf, typeText } from "./schema-walk.ts";
import { closest } from "./suggest.ts";

/**
 * A value as shown in a problem: JSON, shortened, masked as `config print` masks it: `***`
 * at a secret-looking key; elsewhere URL passwords and, inside a list or object, the values of
 * secret-looking keys are `***` ({@link maskSecrets}).
 */
export function showValue(path: readonly PropertyKey[], value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (isSecretPath(path)) return MASK;
  const text = JSON.stringify(maskSecrets(value, path)) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function allowedFor(schema: z.core.$ZodType, path: readonly PropertyKey[]): string | undefined {
  const node = schemaAt(
    schema,
    path.filter((p) => typeof p !== "symbol"),
  );
  if (node === undefined) return undefined;
  return allowedText(node) ?? typeText(node);
}

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${n === 1 || n === 1n ? "" : "s"}`;
}

function messageOf(issue: z.core.$ZodIssue, schema: z.core.$ZodType, input: unknown): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = allowedFor(schema, issue.path) ?? issue.expected;
      return getAt(input, issue.path) === undefined
        ? `required; expected ${expected}`
        : `expected ${expected}`;
    }
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "invalid_union":
      return `expected ${allowedFor(schema, issue.path) ?? "one of the allowed forms"}`;
    case "too_small": {
      const op = issue.inclusive === false ? ">" : "≥";
      if (issue.origin === "array") return `expected at least ${plural(issue.minimum, "item")}`;
      if (issue.origin === "string")
        return `expected at least ${plural(issue.minimum, "character")}`;
      return `expected a number ${op} ${issue.minimum}`;
    }
    case "too_big": {
      const op = issue.inclusive === false ? "<" : "≤";
      if (issue.origin === "array") return `expected at most ${plural(issue.maximum, "item")}`;
      return `expected a number ${op} ${issue.maximum}`;
    }
    case "invalid_format":
      return issue.message.startsWith("expected") ? issue.message : `expected ${issue.format}`;
    default:
      return issue.message;
  }
}

function unknownKeyProblems(
  issue: z.core.$ZodIssueUnrecognizedKeys,
  schema: z.core.$ZodType,
  input: unknown,
): LocatedProblem[] {
  const parent = issue.path.filter((p) => typeof p !== "symbol");
  const node = schemaAt(schema, parent);
  const known = Object.keys((node === undefined ? undefined : shapeOf(node)) ?? {});
  return issue.keys.map((key) => {
    const path = [...parent, key];
    const value = showValue(path, getAt(input, path));
    if (known.includes(`${key}File`)) {
      return {
        path: formatKeyPath(path),
        keyPath: path,
        atKey: true,
        value: value === undefined ? undefined : MASK,
        message: `secrets are never inline: put it in a file and set ${key}File`,
        suggestion: `${key}File`,
      };
    }
    const suggestion = closest(key, known);
    return {
      path: formatKeyPath(path),
      keyPath: path,
      atKey: true,
      value,
      message: `unknown key; allowed: ${known.join(", ")}`,
      ...(suggestion === undefined ? {} : { suggestion }),
    };
  });
}

/**
 * A problem with the key path it is about, for locating it in the file; `atKey`: point at the
 * key itself (an unknown key) rather than at its value.
 */
export type LocatedProblem = ConfigProblem & {
  readonly keyPath: readonly PropertyKey[];
  readonly atKey?: boolean;
};

/** Every issue of a failed parse as problems (without position or source: see load.ts). */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  schema: z.core.$ZodType,
  input: unknown,
): LocatedProblem[] {
  const out: LocatedProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      out.push(...unknownKeyProblems(issue, schema, input));
      continue;
    }
    out.push({
      path: formatKeyPath(issue.path),
      value: showValue(issue.path, getAt(input, issue.path)),
      message: messageOf(issue, schema, input),
      keyPath: issue.path,
    });
  }
  return out;
}
