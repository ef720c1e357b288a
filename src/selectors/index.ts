/**
 * Label and field selectors: parse once, compile to pure matchers, match many objects.
 * Used by the simulated API server and the cache API.
 */
export { SelectorError, SelectorErrorCode } from "./errors.ts";
export {
  LabelOperator,
  compileLabelRequirements,
  compileLabelSelector,
  matchAllLabels,
  parseLabelSelector,
} from "./label-selector.ts";
export type { LabelMatcher, LabelRequirement } from "./label-selector.ts";
export { compileFieldSelector, fieldGetter, parseFieldSelector } from "./field-selector.ts";
export type { FieldMatcher, FieldRequirement, FieldSelectorTarget } from "./field-selector.ts";
export { COMMON_FIELDS, FIELD_TABLE } from "./field-table.ts";
export type { FieldGetter } from "./field-table.ts";
