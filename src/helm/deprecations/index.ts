/**
 * The Helm checker's deprecation core: the deprecation table (data files plus user extra rows,
 * hot-reloadable), Kubernetes version parsing and upgrade targets, and the verdict of an
 * (apiVersion, kind) at a target version. Pure except for reading and watching the extra-rows file.
 */
export {
  BadExtraRowsError,
  BadTableRowError,
  BadVersionError,
  DeprecationsErrorCode,
  TargetUncoveredError,
} from "./errors.ts";
export { loadExtraRows, mergeExtraRows, parseExtraRows } from "./extra-rows.ts";
export type { MergedTable, RuleOverride } from "./extra-rows.ts";
export {
  compareKubeVersions,
  formatKubeVersion,
  parseKubeVersion,
  parseVersionInfo,
} from "./kube-version.ts";
export type { KubeVersion } from "./kube-version.ts";
export { KUBERNETES_COMPONENT, describeRule, validateRow } from "./row-schema.ts";
export type { DeprecationRowData, DeprecationRule, RowProblem } from "./row-schema.ts";
export { builtinTable, compileTable, formatCoverage, tableFromRules } from "./table.ts";
export type { DeprecationTable, DeprecationTableData } from "./table.ts";
export {
  ApiStatus,
  DEFAULT_TARGET_OFFSETS,
  assertTargetCovered,
  evaluate,
  planTargets,
} from "./targets.ts";
export type { Evaluation, TargetConfig, TargetPlan } from "./targets.ts";
export { watchExtraRows } from "./watch-extra-rows.ts";
export type { ExtraRowsChange, WatchExtraRowsOptions } from "./watch-extra-rows.ts";
