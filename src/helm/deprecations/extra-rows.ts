/**
 * User-supplied extra rows (CRDs, in-house components, local corrections) from a YAML or JSON
 * file, validated like the built-in rows and merged over a base table.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import { BadExtraRowsError } from "./errors.ts";
import { isRecord } from "./json-shape.ts";
import { describeRule, ruleKey, validateRow } from "./row-schema.ts";
import type { DeprecationRule } from "./row-schema.ts";
import { tableFromRules } from "./table.ts";
import type { DeprecationTable } from "./table.ts";

/** A built-in rule that a user row replaced (same component, apiVersion and kind). */
export interface RuleOverride {
  readonly replaced: DeprecationRule;
  readonly by: DeprecationRule;
}

/** The base table with the extra rows merged in, and which base rules they replaced. */
export interface MergedTable {
  readonly table: DeprecationTable;
  readonly overrides: readonly RuleOverride[];
}

function parseText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === ".json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new BadExtraRowsError(file, "not valid JSON", { cause: error });
    }
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    throw new BadExtraRowsError(file, `not valid YAML: ${first.message}`, { cause: first });
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/**
 * Parses and validates the text of an extra-rows file: either a list of rows or an object with
 * `rows` (a list). `.json` files are read as JSON, anything else as YAML (one document).
 * Versions must be strings (`"v1.22.0"`; an unquoted YAML `1.20` is a number and rejected).
 * Throws {@link BadExtraRowsError} (`LOOKOUT_HELM_BAD_EXTRA_ROWS`) with `file`, and for a bad
 * row its index `row` and `field`; duplicates within the file are reported on field `kind`.
 */
export function parseExtraRows(text: string, file: string): readonly DeprecationRule[] {
  const data = parseText(text, file);
  const rows: unknown = Array.isArray(data) ? data : isRecord(data) ? data["rows"] : undefined;
  if (!Array.isArray(rows)) {
    throw new BadExtraRowsError(file, "expected a list of rows or an object with a rows list", {
      value: data,
    });
  }
  const seen = new Set<string>();
  return rows.map((row: unknown, index: number) => {
    const result = validateRow(row);
    if ("problem" in result) {
      const { field, value, reason, cause } = result.problem;
      throw new BadExtraRowsError(file, reason, { row: index, field, value, cause });
    }
    const key = ruleKey(result.rule.component, result.rule.apiVersion, result.rule.kind);
    if (seen.has(key)) {
      throw new BadExtraRowsError(file, `duplicate row for ${describeRule(result.rule)}`, {
        row: index,
        field: "kind",
        value: result.rule.kind,
      });
    }
    seen.add(key);
    return result.rule;
  });
}

/**
 * Reads and validates an extra-rows file. Rejects with {@link BadExtraRowsError} when the file
 * cannot be read (cause: the fs error) or is invalid (see {@link parseExtraRows}), or with the
 * signal's reason when aborted.
 */
export async function loadExtraRows(
  file: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<readonly DeprecationRule[]> {
  let text: string;
  try {
    text = await readFile(file, {
      encoding: "utf8",
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw new BadExtraRowsError(file, "cannot read the file", { cause: error });
  }
  return parseExtraRows(text, file);
}

/**
 * Merges extra rows over a base table: a row with the key (component, apiVersion, kind) of a
 * base rule replaces it in place (listed in `overrides`), other rows are appended. The base
 * table is not changed; the result keeps the base's coverage.
 */
export function mergeExtraRows(
  base: DeprecationTable,
  extra: readonly DeprecationRule[],
): MergedTable {
  const byKey = new Map(
    extra.map((rule) => [ruleKey(rule.component, rule.apiVersion, rule.kind), rule]),
  );
  const overrides: RuleOverride[] = [];
  const rules = base.rules.map((rule) => {
    const key = ruleKey(rule.component, rule.apiVersion, rule.kind);
    const by = byKey.get(key);
    if (by === undefined) return rule;
    byKey.delete(key);
    overrides.push({ replaced: rule, by });
    return by;
  });
  rules.push(...byKey.values());
  return { table: tableFromRules(base.coversUpTo, rules), overrides };
}
