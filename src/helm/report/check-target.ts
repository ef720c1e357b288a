/**
 * The table and the one Kubernetes target a one-shot check runs against.
 */
import {
  assertTargetCovered,
  builtinTable,
  loadExtraRows,
  mergeExtraRows,
  parseKubeVersion,
  type DeprecationTable,
  type KubeVersion,
} from "../deprecations/index.ts";

/**
 * The target of a check: `text` parsed (`v1.25`, `v1.25.3`, `1.25`; vendor suffixes dropped),
 * or, when undefined, the newest version `table` covers (patch 0). Throws the deprecations
 * folder's `BadVersionError` (`LOOKOUT_HELM_BAD_VERSION`) for text that does not parse and
 * `TargetUncoveredError` (`LOOKOUT_HELM_TARGET_UNCOVERED`) for a minor beyond the coverage.
 */
export function resolveTarget(text: string | undefined, table: DeprecationTable): KubeVersion {
  if (text === undefined) return { ...table.coversUpTo, patch: 0 };
  const target = parseKubeVersion(text);
  assertTargetCovered(target, table.coversUpTo);
  return target;
}

/**
 * The built-in table, with the rows of `extraRowsFile` merged over it when given. Rejects with
 * the deprecations folder's `BadExtraRowsError` (`LOOKOUT_HELM_BAD_EXTRA_ROWS`) when the file
 * cannot be read or is invalid.
 */
export async function loadCheckTable(
  extraRowsFile: string | undefined,
  options: { readonly signal?: AbortSignal } = {},
): Promise<DeprecationTable> {
  const base = builtinTable();
  if (extraRowsFile === undefined) return base;
  const rows = await loadExtraRows(extraRowsFile, options);
  return mergeExtraRows(base, rows).table;
}

/** The components the table has rows for, other than Kubernetes itself, sorted. */
export function tableComponents(table: DeprecationTable): string[] {
  const names = new Set<string>();
  for (const rule of table.rules) if (rule.component !== "k8s") names.add(rule.component);
  return [...names].sort();
}
