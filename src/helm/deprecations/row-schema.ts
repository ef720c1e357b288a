/**
 * The schema of one deprecation row, shared by the built-in table and user-supplied extra rows.
 * Validation returns the offending field instead of throwing, so that each caller can raise its
 * own error (built-in rows name the row index; extra rows also name the file).
 */
import { BadVersionError } from "./errors.ts";
import { isRecord } from "./json-shape.ts";
import { compareKubeVersions, parseKubeVersion } from "./kube-version.ts";
import type { KubeVersion } from "./kube-version.ts";

/** The component name of Kubernetes' built-in APIs. */
export const KUBERNETES_COMPONENT = "k8s";

/**
 * One row as written in the data files. Versions are `v1.22.0`-style strings or null. An empty
 * `kind` matches every kind of the apiVersion. `component` is `"k8s"` for built-in APIs; other
 * components (cert-manager, istio, …) are judged against that component's own version.
 * `replacementApi` null means there is no replacement API; `note` then says what replaces it.
 */
export interface DeprecationRowData {
  readonly apiVersion: string;
  readonly kind: string;
  readonly deprecatedIn: string | null;
  readonly removedIn: string | null;
  readonly replacementApi: string | null;
  readonly replacementAvailableIn: string | null;
  readonly component: string;
  readonly note?: string;
}

/** A validated row with its versions parsed. */
export interface DeprecationRule extends DeprecationRowData {
  readonly deprecated: KubeVersion | null;
  readonly removed: KubeVersion | null;
  readonly replacementAvailable: KubeVersion | null;
}

/** Why a row is invalid: the field at fault, its value and a reason; `cause` for versions. */
export interface RowProblem {
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;
  readonly cause?: BadVersionError;
}

const FIELDS = new Set([
  "apiVersion",
  "kind",
  "deprecatedIn",
  "removedIn",
  "replacementApi",
  "replacementAvailableIn",
  "component",
  "note",
]);
const DNS_LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";
/** `group/version` or a core `version`, version being `vN`, `vNalphaM` or `vNbetaM`. */
const API_VERSION = new RegExp(
  `^(?:${DNS_LABEL}(?:\\.${DNS_LABEL})*/)?v[1-9]\\d*(?:(?:alpha|beta)[1-9]\\d*)?$`,
);
const KIND = /^(?:[A-Z][A-Za-z0-9]*)?$/;
const COMPONENT = /^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/;

/** The lookup key of a row: component, apiVersion and kind. */
export function ruleKey(component: string, apiVersion: string, kind: string): string {
  return `${component}\n${apiVersion}\n${kind}`;
}

/** Formats a rule's key for messages: `k8s policy/v1beta1 PodSecurityPolicy`, `*` for all kinds. */
export function describeRule(
  rule: Pick<DeprecationRowData, "component" | "apiVersion" | "kind">,
): string {
  return `${rule.component} ${rule.apiVersion} ${rule.kind === "" ? "*" : rule.kind}`;
}

/** A version field: its text as written and its parsed value, both null when unset. */
interface VersionField {
  readonly text: string | null;
  readonly version: KubeVersion | null;
}

function versionField(
  row: Record<string, unknown>,
  field: string,
): { ok: VersionField } | { problem: RowProblem } {
  const value = row[field];
  if (value === null || value === undefined) return { ok: { text: null, version: null } };
  if (typeof value !== "string") {
    return {
      problem: {
        field,
        value,
        reason: `expected a quoted version string like "v1.22.0" or null, got ${typeof value}`,
      },
    };
  }
  try {
    return { ok: { text: value, version: parseKubeVersion(value) } };
  } catch (error) {
    if (!(error instanceof BadVersionError)) throw error;
    return { problem: { field, value, reason: error.message, cause: error } };
  }
}

/**
 * Validates one row: known fields only; `apiVersion` a valid group/version; `kind` empty or a
 * PascalCase name; versions parse; at least one of `deprecatedIn`/`removedIn`; `removedIn` ≥
 * `deprecatedIn` when both are set; `replacementApi` null or a valid apiVersion;
 * `replacementAvailableIn` only with a replacement; `component` defaults to `"k8s"`.
 * Returns the rule, or the first problem found.
 */
export function validateRow(input: unknown): { rule: DeprecationRule } | { problem: RowProblem } {
  if (!isRecord(input)) {
    return { problem: { field: "(row)", value: input, reason: "expected an object" } };
  }
  const row = input;
  for (const key of Object.keys(row)) {
    if (!FIELDS.has(key))
      return { problem: { field: key, value: row[key], reason: "unknown field" } };
  }
  const { apiVersion, kind, replacementApi, note } = row;
  const component = row["component"] ?? KUBERNETES_COMPONENT;
  if (typeof apiVersion !== "string" || !API_VERSION.test(apiVersion)) {
    return {
      problem: {
        field: "apiVersion",
        value: apiVersion,
        reason: "expected group/version like apps/v1beta2",
      },
    };
  }
  if (typeof kind !== "string" || !KIND.test(kind)) {
    return {
      problem: {
        field: "kind",
        value: kind,
        reason: 'expected a kind like "Deployment", or "" for every kind',
      },
    };
  }
  if (typeof component !== "string" || !COMPONENT.test(component)) {
    return {
      problem: {
        field: "component",
        value: component,
        reason: 'expected a component name like "k8s" or "cert-manager"',
      },
    };
  }
  if (replacementApi !== null && replacementApi !== undefined) {
    if (typeof replacementApi !== "string" || !API_VERSION.test(replacementApi)) {
      return {
        problem: {
          field: "replacementApi",
          value: replacementApi,
          reason: "expected null or group/version like apps/v1",
        },
      };
    }
  }
  if (note !== undefined && (typeof note !== "string" || note === "")) {
    return { problem: { field: "note", value: note, reason: "expected a non-empty string" } };
  }
  const dep = versionField(row, "deprecatedIn");
  if ("problem" in dep) return dep;
  const rem = versionField(row, "removedIn");
  if ("problem" in rem) return rem;
  const avail = versionField(row, "replacementAvailableIn");
  if ("problem" in avail) return avail;
  const deprecated = dep.ok.version;
  const removed = rem.ok.version;
  const available = avail.ok.version;
  if (deprecated === null && removed === null) {
    return {
      problem: {
        field: "removedIn",
        value: row["removedIn"] ?? null,
        reason: "a row needs deprecatedIn, removedIn or both",
      },
    };
  }
  if (deprecated !== null && removed !== null && compareKubeVersions(removed, deprecated) < 0) {
    return {
      problem: {
        field: "removedIn",
        value: row["removedIn"],
        reason: `removedIn is older than deprecatedIn ${String(row["deprecatedIn"])}`,
      },
    };
  }
  if (available !== null && (replacementApi === null || replacementApi === undefined)) {
    return {
      problem: {
        field: "replacementAvailableIn",
        value: row["replacementAvailableIn"],
        reason: "set without a replacementApi",
      },
    };
  }
  const rule: DeprecationRule = {
    apiVersion,
    kind,
    deprecatedIn: dep.ok.text,
    removedIn: rem.ok.text,
    replacementApi: typeof replacementApi === "string" ? replacementApi : null,
    replacementAvailableIn: avail.ok.text,
    component,
    ...(typeof note === "string" ? { note } : {}),
    deprecated,
    removed,
    replacementAvailable: available,
  };
  return { rule: Object.freeze(rule) };
}
