/**
 * The `findings` column of `helm_findings`: one release's findings as one compact JSON array,
 * one array per finding holding the fields that are not the release's, in a fixed order:
 * `[apiVersion, kind, name, objectNamespace, source, component, target, status, deprecatedIn,
 * removedIn, replacementApi, minorsUntilRemoval]`, trailing nulls left out (so 8 to 12
 * elements). An exact duplicate of a finding already in the list (the same object twice in a
 * manifest) is not stored. Read back through type guards.
 */
import type { FindingStatus, HelmFinding, ManifestSource } from "../helm/index.ts";
import { StoreBadInputError } from "./errors.ts";

/** The release a list of findings is stored under: a finding must carry the same values. */
export interface FindingsOwner {
  readonly namespace: string;
  readonly release: string;
  readonly revision: number;
  readonly chart: string;
  readonly chartVersion: string;
}

const OWN_FIELDS = ["namespace", "release", "revision", "chart", "chartVersion"] as const;
/** Elements of a stored finding that are always present. */
const REQUIRED = 8;

function isSource(v: unknown): v is ManifestSource {
  return v === "manifest" || v === "hook";
}

function isStatus(v: unknown): v is FindingStatus {
  return v === "deprecated" || v === "removed";
}

function isMinors(v: unknown): v is number | null {
  return v === null || Number.isSafeInteger(v);
}

/**
 * Checks `findings` (each of `owner`, every field of its type) and returns the column text, exact
 * duplicates left out after the first. Throws {@link StoreBadInputError} naming
 * `<where>.findings[j].<field>` for the first bad value.
 */
export function encodeFindings(
  where: string,
  owner: FindingsOwner,
  findings: readonly HelmFinding[],
): string {
  const texts: string[] = [];
  // Duplicates are rare and lists short: compare with the few kept so far, and switch to a
  // set only for long lists (a set per release cost twice the whole encoding).
  let seen: Set<string> | undefined;
  next: for (let j = 0; j < findings.length; j++) {
    const f = findings[j]!;
    const bad = problem(f, owner);
    if (bad !== undefined) throw badInput(`${where}.findings[${j}]`, f, owner, bad);
    const row: unknown[] = [
      f.apiVersion,
      f.kind,
      f.name,
      f.objectNamespace,
      f.source,
      f.component,
      f.target,
      f.status,
      f.deprecatedIn,
      f.removedIn,
      f.replacementApi,
      f.minorsUntilRemoval,
    ];
    while (row.length > REQUIRED && row.at(-1) === null) row.pop();
    const text = JSON.stringify(row);
    if (seen !== undefined) {
      if (seen.has(text)) continue;
      seen.add(text);
    } else {
      for (const kept of texts) if (kept === text) continue next;
      if (texts.length === PAIRWISE_LIMIT) seen = new Set(texts).add(text);
    }
    texts.push(text);
  }
  return `[${texts.join(",")}]`;
}

/** Up to this many kept findings, a new one is compared with each; beyond, a set is used. */
const PAIRWISE_LIMIT = 16;

/**
 * The first field of `f` that is not the owner's or not of its type; undefined when none.
 * Written out field by field: loops over field names cost a third of the encoding.
 */
function problem(f: HelmFinding, owner: FindingsOwner): keyof HelmFinding | undefined {
  if (f.namespace !== owner.namespace) return "namespace";
  if (f.release !== owner.release) return "release";
  if (f.revision !== owner.revision) return "revision";
  if (f.chart !== owner.chart) return "chart";
  if (f.chartVersion !== owner.chartVersion) return "chartVersion";
  if (typeof f.apiVersion !== "string") return "apiVersion";
  if (typeof f.kind !== "string") return "kind";
  if (typeof f.name !== "string") return "name";
  if (typeof f.objectNamespace !== "string") return "objectNamespace";
  if (!isSource(f.source)) return "source";
  if (typeof f.component !== "string") return "component";
  if (typeof f.target !== "string") return "target";
  if (!isStatus(f.status)) return "status";
  if (f.deprecatedIn !== null && typeof f.deprecatedIn !== "string") return "deprecatedIn";
  if (f.removedIn !== null && typeof f.removedIn !== "string") return "removedIn";
  if (f.replacementApi !== null && typeof f.replacementApi !== "string") return "replacementApi";
  if (!isMinors(f.minorsUntilRemoval)) return "minorsUntilRemoval";
  return undefined;
}

const EXPECTED: Readonly<Record<string, string>> = {
  deprecatedIn: "must be a string or null",
  removedIn: "must be a string or null",
  replacementApi: "must be a string or null",
  source: 'must be "manifest" or "hook"',
  status: 'must be "deprecated" or "removed"',
  minorsUntilRemoval: "must be an integer or null",
};

function badInput(
  where: string,
  f: HelmFinding,
  owner: FindingsOwner,
  field: keyof HelmFinding,
): StoreBadInputError {
  const own = OWN_FIELDS.find((k) => k === field);
  const expected =
    own === undefined
      ? (EXPECTED[field] ?? "must be a string")
      : `expected ${JSON.stringify(owner[own])}, the release's`;
  return new StoreBadInputError(`${where}.${field}`, f[field], expected);
}

function nullableString(v: unknown): v is string | null | undefined {
  return v === undefined || v === null || typeof v === "string";
}

/** Reads one stored finding of `owner`, or undefined when the value is not one. */
function toFinding(v: unknown, owner: FindingsOwner): HelmFinding | undefined {
  if (!Array.isArray(v) || v.length < REQUIRED || v.length > 12) return undefined;
  const [
    apiVersion,
    kind,
    name,
    objectNamespace,
    source,
    component,
    target,
    status,
    deprecatedIn,
    removedIn,
    replacementApi,
    minorsUntilRemoval,
  ]: unknown[] = v;
  if (
    typeof apiVersion !== "string" ||
    typeof kind !== "string" ||
    typeof name !== "string" ||
    typeof objectNamespace !== "string" ||
    !isSource(source) ||
    typeof component !== "string" ||
    typeof target !== "string" ||
    !isStatus(status) ||
    !nullableString(deprecatedIn) ||
    !nullableString(removedIn) ||
    !nullableString(replacementApi) ||
    !(minorsUntilRemoval === undefined || isMinors(minorsUntilRemoval))
  ) {
    return undefined;
  }
  // The property order of the findings the checker computes (`HelmFinding`).
  return {
    namespace: owner.namespace,
    release: owner.release,
    revision: owner.revision,
    chart: owner.chart,
    chartVersion: owner.chartVersion,
    name,
    objectNamespace,
    kind,
    apiVersion,
    source,
    component,
    deprecatedIn: deprecatedIn ?? null,
    removedIn: removedIn ?? null,
    replacementApi: replacementApi ?? null,
    target,
    status,
    minorsUntilRemoval: minorsUntilRemoval ?? null,
  };
}

/** Parses a `findings` column of `owner`; undefined when it is not a JSON array of findings. */
export function parseFindings(text: string, owner: FindingsOwner): HelmFinding[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: HelmFinding[] = [];
  for (const v of parsed) {
    const f = toFinding(v, owner);
    if (f === undefined) return undefined;
    out.push(f);
  }
  return out;
}
