/**
 * Parses and validates the query parameters of list and watch requests the way apimachinery
 * does (`pkg/apis/meta/internalversion/validation`): violations are 422 Invalid on kind
 * ListOptions, malformed numbers and selectors 400 BadRequest.
 */
import {
  compileFieldSelector,
  compileLabelSelector,
  parseFieldSelector,
  SelectorError,
} from "../selectors/index.ts";
import type { FieldMatcher, LabelMatcher } from "../selectors/index.ts";
import type { ResourceDefinition } from "../kube/resource.ts";
import { badRequest, invalid } from "./status.ts";

/** Parsed list/watch parameters. */
export interface ParsedListOptions {
  readonly watch: boolean;
  /** undefined when unset or empty. */
  readonly resourceVersion: string | undefined;
  readonly resourceVersionMatch: string | undefined;
  readonly limit: number | undefined;
  readonly continueToken: string | undefined;
  readonly allowWatchBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly sendInitialEvents: boolean | undefined;
  readonly labelMatcher: LabelMatcher | undefined;
  readonly fieldMatcher: FieldMatcher | undefined;
  /** True when a label or field selector was given. */
  readonly hasSelectors: boolean;
}

function bool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0" || v === "") return false;
  throw badRequest(`invalid boolean value "${v}"`);
}

function int(name: string, v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: "${v}" is not an integer`);
  return Number(v);
}

type Cause = { field: string; type: string; detail: string };

function listOptionsInvalid(causes: Cause[]): never {
  throw invalid("ListOptions", "meta.k8s.io", "", causes);
}

/**
 * Reads list/watch parameters from `query`. `name` is the object name of a
 * `.../RES/NAME?watch=1` request: it becomes a `metadata.name` field selector (a conflicting
 * one is a 400). Throws SimError (400 / 422) for invalid input.
 */
export function parseListOptions(
  query: URLSearchParams,
  def: ResourceDefinition,
  options: { watchList: boolean; name?: string },
): ParsedListOptions {
  const watch = bool(query.get("watch")) ?? false;
  const rv = query.get("resourceVersion") || undefined;
  const match = query.get("resourceVersionMatch") || undefined;
  const continueToken = query.get("continue") || undefined;
  const limitRaw = int("limit", query.get("limit"));
  const limit = limitRaw !== undefined && limitRaw > 0 ? limitRaw : undefined;
  const timeoutSeconds = int("timeoutSeconds", query.get("timeoutSeconds"));
  const sendInitialEvents = bool(query.get("sendInitialEvents"));
  const allowWatchBookmarks = bool(query.get("allowWatchBookmarks")) ?? false;

  const causes: Cause[] = [];
  if (watch) {
    if (sendInitialEvents !== undefined) {
      if (match !== "NotOlderThan") {
        causes.push({
          field: "resourceVersionMatch",
          type: "Forbidden",
          detail: "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        });
      }
      if (!options.watchList) {
        causes.push({
          field: "sendInitialEvents",
          type: "Forbidden",
          detail:
            "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
        });
      }
    }
    if (match !== undefined) {
      if (sendInitialEvents === undefined) {
        causes.push({
          field: "resourceVersionMatch",
          type: "Forbidden",
          detail:
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        });
      }
      if (match !== "NotOlderThan") {
        causes.push({
          field: "resourceVersionMatch",
          type: "Unsupported value",
          detail: `"${match}": supported values: "NotOlderThan"`,
        });
      }
    }
  } else {
    if (match !== undefined) {
      if (rv === undefined) {
        causes.push({
          field: "resourceVersionMatch",
          type: "Forbidden",
          detail: "resourceVersionMatch is forbidden unless resourceVersion is provided",
        });
      }
      if (continueToken !== undefined) {
        causes.push({
          field: "resourceVersionMatch",
          type: "Forbidden",
          detail: "resourceVersionMatch is forbidden when continue is provided",
        });
      }
      if (match !== "Exact" && match !== "NotOlderThan") {
        causes.push({
          field: "resourceVersionMatch",
          type: "Unsupported value",
          detail: `"${match}": supported values: "Exact", "NotOlderThan", ""`,
        });
      }
      if (match === "Exact" && rv === "0") {
        causes.push({
          field: "resourceVersionMatch",
          type: "Forbidden",
          detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        });
      }
    }
    if (sendInitialEvents !== undefined) {
      causes.push({
        field: "sendInitialEvents",
        type: "Forbidden",
        detail: "sendInitialEvents is forbidden for list",
      });
    }
  }
  if (causes.length > 0) listOptionsInvalid(causes);

  const labelSelector = query.get("labelSelector") ?? "";
  let fieldSelector = query.get("fieldSelector") ?? "";
  if (options.name !== undefined) {
    const name = options.name;
    let terms: ReturnType<typeof parseFieldSelector> = [];
    try {
      terms = parseFieldSelector(fieldSelector);
    } catch (error: unknown) {
      if (error instanceof SelectorError) throw badRequest(error.message);
      throw error;
    }
    for (const t of terms) {
      if (t.field === "metadata.name" && t.operator === "=" && t.value !== name) {
        throw badRequest(
          `fieldSelector metadata.name doesn't match requested name: "${t.value}" != "${name}"`,
        );
      }
    }
    const own = `metadata.name=${options.name.replaceAll("\\", "\\\\").replaceAll(",", "\\,").replaceAll("=", "\\=")}`;
    fieldSelector = fieldSelector === "" ? own : `${fieldSelector},${own}`;
  }
  let labelMatcher: LabelMatcher | undefined;
  let fieldMatcher: FieldMatcher | undefined;
  try {
    if (labelSelector.trim() !== "") labelMatcher = compileLabelSelector(labelSelector);
    if (fieldSelector.trim() !== "") fieldMatcher = compileFieldSelector(fieldSelector, def);
  } catch (error: unknown) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
  return {
    watch,
    resourceVersion: rv,
    resourceVersionMatch: match,
    limit,
    continueToken,
    allowWatchBookmarks,
    timeoutSeconds,
    sendInitialEvents,
    labelMatcher,
    fieldMatcher,
    hasSelectors: labelMatcher !== undefined || fieldMatcher !== undefined,
  };
}

/** Parses a resourceVersion query value as the simulator's integer RV; 400 otherwise. */
export function parseRv(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
  return Number(rv);
}
