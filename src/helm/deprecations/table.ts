/**
 * The deprecation table: validated rows compiled into a map for O(1) lookups by
 * (component, apiVersion, kind), with the empty-kind row of an apiVersion as the fallback.
 */
import components from "./components.json" with { type: "json" };
import kubernetes from "./kubernetes.json" with { type: "json" };
import { BadTableRowError, BadVersionError } from "./errors.ts";
import { formatKubeVersion, parseKubeVersion } from "./kube-version.ts";
import type { KubeVersion } from "./kube-version.ts";
import { KUBERNETES_COMPONENT, describeRule, ruleKey, validateRow } from "./row-schema.ts";
import type { DeprecationRule } from "./row-schema.ts";

/** A compiled, immutable deprecation table. */
export interface DeprecationTable {
  /** The newest Kubernetes minor the table knows about; a newer target is uncovered. */
  readonly coversUpTo: KubeVersion;
  /** Every rule, in source order. */
  readonly rules: readonly DeprecationRule[];
  /**
   * The rule for an object's apiVersion and kind of `component` (default `"k8s"`): the row with
   * exactly that kind first, else the apiVersion's empty-kind row, else undefined. O(1).
   */
  lookup(apiVersion: string, kind: string, component?: string): DeprecationRule | undefined;
}

/** The JSON shape of a table file: `coversUpTo` (Kubernetes) and the rows. */
export interface DeprecationTableData {
  readonly coversUpTo: string;
  readonly rows: readonly unknown[];
}

class CompiledTable implements DeprecationTable {
  readonly coversUpTo: KubeVersion;
  readonly rules: readonly DeprecationRule[];
  readonly #byKey: ReadonlyMap<string, DeprecationRule>;

  constructor(
    coversUpTo: KubeVersion,
    rules: readonly DeprecationRule[],
    byKey: ReadonlyMap<string, DeprecationRule>,
  ) {
    this.coversUpTo = coversUpTo;
    this.rules = Object.freeze([...rules]);
    this.#byKey = byKey;
  }

  lookup(
    apiVersion: string,
    kind: string,
    component: string = KUBERNETES_COMPONENT,
  ): DeprecationRule | undefined {
    return (
      this.#byKey.get(ruleKey(component, apiVersion, kind)) ??
      this.#byKey.get(ruleKey(component, apiVersion, ""))
    );
  }
}

/**
 * Builds a table from already validated rules. Throws {@link BadTableRowError} with field
 * `kind` when two rules share (component, apiVersion, kind).
 */
export function tableFromRules(
  coversUpTo: KubeVersion,
  rules: readonly DeprecationRule[],
): DeprecationTable {
  const byKey = new Map<string, DeprecationRule>();
  rules.forEach((rule, index) => {
    const key = ruleKey(rule.component, rule.apiVersion, rule.kind);
    if (byKey.has(key)) {
      throw new BadTableRowError(
        index,
        "kind",
        rule.kind,
        `duplicate row for ${describeRule(rule)}`,
      );
    }
    byKey.set(key, rule);
  });
  return new CompiledTable(coversUpTo, rules, byKey);
}

/**
 * Validates table data (`{coversUpTo, rows}`) and compiles it. Throws {@link BadTableRowError}
 * (`LOOKOUT_HELM_BAD_TABLE_ROW`) naming the first bad row's index and field, including
 * duplicates; a bad `coversUpTo` is reported as row -1, field `coversUpTo`.
 */
export function compileTable(data: DeprecationTableData): DeprecationTable {
  let coversUpTo: KubeVersion;
  try {
    coversUpTo = parseKubeVersion(data.coversUpTo);
  } catch (error) {
    if (!(error instanceof BadVersionError)) throw error;
    throw new BadTableRowError(-1, "coversUpTo", data.coversUpTo, error.message, error);
  }
  if (!Array.isArray(data.rows)) {
    throw new BadTableRowError(-1, "rows", data.rows, "expected an array of rows");
  }
  const rules = data.rows.map((row, index) => {
    const result = validateRow(row);
    if ("problem" in result) {
      const { field, value, reason, cause } = result.problem;
      throw new BadTableRowError(index, field, value, reason, cause);
    }
    return result.rule;
  });
  return tableFromRules(coversUpTo, rules);
}

let builtin: DeprecationTable | undefined;

/**
 * The table shipped with kube-lookout: Kubernetes' built-in APIs (`kubernetes.json`) followed by
 * the component CRD rows (`components.json`). Compiled on first call and memoized (it is
 * immutable). Throws {@link BadTableRowError} only if the shipped data is broken.
 */
export function builtinTable(): DeprecationTable {
  builtin ??= compileTable({
    coversUpTo: kubernetes.coversUpTo,
    rows: [...kubernetes.rows, ...components.rows],
  });
  return builtin;
}

/** `v1.35`-style text of a table's coverage. */
export function formatCoverage(table: DeprecationTable): string {
  return formatKubeVersion(table.coversUpTo, true);
}
