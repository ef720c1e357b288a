/**
 * RBAC as the apiserver's authorizer applies it, for the least-privilege test: the rules bound
 * to one ServiceAccount in rendered manifests, and the check of recorded requests against them
 * (every request allowed, every rule used).
 *
 * Matching follows plugin/pkg/auth/authorizer/rbac/rbac.go (`RuleAllows`) and
 * pkg/apis/rbac/v1/evaluation_helpers.go: verb, API group, resource (`resource/subresource` for a
 * subresource) and, when the rule lists any, resourceNames (a request without a name matches no
 * resourceNames rule: a create, a list); non-resource requests match `nonResourceURLs` exactly
 * or by a trailing-`*` prefix. A ClusterRoleBinding grants its role everywhere; a RoleBinding
 * grants its Role or ClusterRole's resource rules in its own namespace only (non-resource rules
 * never through a RoleBinding). `*` wildcards are understood but reported: our roles must name
 * what they grant.
 */
import { parseAllDocuments } from "yaml";
import type { RequestInfo } from "../../src/sim/index.ts";

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

/** A rule granted to the subject, and where. */
export interface Grant {
  /** `ClusterRole/kube-lookout rules[2]`, for messages. */
  readonly source: string;
  /** The RoleBinding's namespace; undefined through a ClusterRoleBinding (everywhere). */
  readonly namespace: string | undefined;
  readonly rule: PolicyRule;
}

/** The subject whose rules are collected. */
export interface Subject {
  readonly namespace: string;
  readonly name: string;
}

/** What {@link grantsOf} found. */
export interface Policy {
  readonly grants: Grant[];
  /** Wildcards, bindings to missing roles, roles bound to nobody: each one a failure. */
  readonly problems: string[];
}

/** The fields of a request the check reads (a `RecordedRequest` is one). */
export type CheckedRequest = Pick<
  RequestInfo,
  | "isResourceRequest"
  | "verb"
  | "path"
  | "apiGroup"
  | "resource"
  | "subresource"
  | "namespace"
  | "name"
>;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

function field(o: unknown, key: string): unknown {
  return isObj(o) ? o[key] : undefined;
}

function text(o: unknown, key: string): string {
  const v = field(o, key);
  return typeof v === "string" ? v : "";
}

function ruleOf(raw: unknown): PolicyRule {
  return {
    apiGroups: strings(field(raw, "apiGroups")),
    resources: strings(field(raw, "resources")),
    verbs: strings(field(raw, "verbs")),
    resourceNames: strings(field(raw, "resourceNames")),
    nonResourceURLs: strings(field(raw, "nonResourceURLs")),
  };
}

/** The objects of a multi-document YAML text (as `kubectl kustomize` prints). */
export function parseManifests(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText)
    .map((d): unknown => d.toJS())
    .filter(isObj);
}

/**
 * The rules bound to `subject` in `objects` (parsed manifests), with the problems found: a `*`
 * anywhere in a rule, a binding to a role that is not there, a role no binding of the subject
 * uses.
 */
export function grantsOf(objects: readonly Obj[], subject: Subject): Policy {
  const problems: string[] = [];
  const roles = new Map<string, PolicyRule[]>();
  for (const o of objects) {
    const kind = text(o, "kind");
    if (kind !== "ClusterRole" && kind !== "Role") continue;
    const meta = field(o, "metadata");
    const key =
      kind === "Role"
        ? `Role/${text(meta, "namespace")}/${text(meta, "name")}`
        : `ClusterRole/${text(meta, "name")}`;
    const rawRules = field(o, "rules");
    const rules = Array.isArray(rawRules) ? rawRules.map(ruleOf) : [];
    rules.forEach((r, i) => {
      const all = [
        ...r.apiGroups,
        ...r.resources,
        ...r.verbs,
        ...r.resourceNames,
        ...r.nonResourceURLs,
      ];
      const wild = all.filter((s) => s.includes("*"));
      if (wild.length > 0) problems.push(`${key} rules[${i}] uses the wildcard ${wild.join(", ")}`);
    });
    roles.set(key, rules);
  }
  const used = new Set<string>();
  const grants: Grant[] = [];
  for (const o of objects) {
    const kind = text(o, "kind");
    if (kind !== "ClusterRoleBinding" && kind !== "RoleBinding") continue;
    const subjects = field(o, "subjects");
    const bound =
      Array.isArray(subjects) &&
      subjects.some(
        (s) =>
          text(s, "kind") === "ServiceAccount" &&
          text(s, "name") === subject.name &&
          text(s, "namespace") === subject.namespace,
      );
    if (!bound) continue;
    const meta = field(o, "metadata");
    const ref = field(o, "roleRef");
    const bindingNs = kind === "RoleBinding" ? text(meta, "namespace") : undefined;
    const key =
      text(ref, "kind") === "Role"
        ? `Role/${bindingNs ?? ""}/${text(ref, "name")}`
        : `ClusterRole/${text(ref, "name")}`;
    const rules = roles.get(key);
    if (rules === undefined) {
      problems.push(
        `${kind}/${text(meta, "name")} refers to ${key}, which is not in the manifests`,
      );
      continue;
    }
    used.add(key);
    rules.forEach((rule, i) =>
      grants.push({ source: `${key} rules[${i}]`, namespace: bindingNs, rule }),
    );
  }
  for (const key of roles.keys()) {
    if (!used.has(key))
      problems.push(`${key} is bound to no binding of ${subject.namespace}/${subject.name}`);
  }
  return { grants, problems };
}

const has = (list: readonly string[], v: string): boolean => list.includes(v) || list.includes("*");

function resourceMatches(rule: PolicyRule, r: CheckedRequest): boolean {
  const combined = r.subresource === "" ? r.resource : `${r.resource}/${r.subresource}`;
  if (has(rule.resources, combined)) return true;
  return r.subresource !== "" && rule.resources.includes(`*/${r.subresource}`);
}

function urlMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some((u) =>
    u.endsWith("*") ? path.startsWith(u.slice(0, -1)) : u === path,
  );
}

/** Whether `grant` allows `r`, as the RBAC authorizer decides. */
export function allows(grant: Grant, r: CheckedRequest): boolean {
  const { rule } = grant;
  if (!has(rule.verbs, r.verb)) return false;
  if (!r.isResourceRequest) return grant.namespace === undefined && urlMatches(rule, r.path);
  if (grant.namespace !== undefined && grant.namespace !== r.namespace) return false;
  if (!has(rule.apiGroups, r.apiGroup) || !resourceMatches(rule, r)) return false;
  return rule.resourceNames.length === 0 || (r.name !== "" && rule.resourceNames.includes(r.name));
}

/**
 * Discovery, which the built-in ClusterRole `system:discovery` grants every authenticated user
 * (`get` on `/api`, `/api/*`, `/apis`, `/apis/*`): exactly the discovery documents `/api`,
 * `/api/{version}`, `/apis`, `/apis/{group}` and `/apis/{group}/{version}`, nothing else.
 */
export function isDiscovery(r: CheckedRequest): boolean {
  if (r.isResourceRequest || r.verb !== "get") return false;
  return /^\/api(\/[^/]+)?\/?$/.test(r.path) || /^\/apis(\/[^/]+){0,2}\/?$/.test(r.path);
}

/** How a request reads in a failure. */
export function describe(r: CheckedRequest): string {
  if (!r.isResourceRequest) return `verb "${r.verb}" on the non-resource URL "${r.path}"`;
  const res = r.subresource === "" ? r.resource : `${r.resource}/${r.subresource}`;
  const ns = r.namespace === "" ? "at the cluster scope" : `in the namespace "${r.namespace}"`;
  const name = r.name === "" ? "" : ` (name "${r.name}")`;
  return `verb "${r.verb}" on resource "${res}" in API group "${r.apiGroup}" ${ns}${name}`;
}

/** The verdict of {@link checkRequests}. */
export interface Verdict {
  /** Requests no grant allows (each distinct request once), as {@link describe} words them. */
  readonly denied: string[];
  /** Granted (apiGroup × resource × verb, or URL × verb) combinations no request used. */
  readonly unused: string[];
}

/** The combinations a rule grants, one string each. */
function combinations(g: Grant): string[] {
  const out: string[] = [];
  const names = g.rule.resourceNames.length === 0 ? "" : ` names ${g.rule.resourceNames.join(",")}`;
  for (const verb of g.rule.verbs) {
    for (const url of g.rule.nonResourceURLs) out.push(`${g.source}: ${verb} ${url}`);
    for (const group of g.rule.apiGroups) {
      for (const resource of g.rule.resources) {
        out.push(`${g.source}: ${verb} ${resource} in group "${group}"${names}`);
      }
    }
  }
  return out;
}

/** Which of a grant's combinations `r` uses (when the grant allows it). */
function usedBy(g: Grant, r: CheckedRequest): string | undefined {
  if (!allows(g, r)) return undefined;
  const names = g.rule.resourceNames.length === 0 ? "" : ` names ${g.rule.resourceNames.join(",")}`;
  if (!r.isResourceRequest) {
    const url = g.rule.nonResourceURLs.find((u) =>
      urlMatches({ ...g.rule, nonResourceURLs: [u] }, r.path),
    );
    return `${g.source}: ${r.verb} ${url ?? r.path}`;
  }
  const res = r.subresource === "" ? r.resource : `${r.resource}/${r.subresource}`;
  return `${g.source}: ${r.verb} ${res} in group "${r.apiGroup}"${names}`;
}

/**
 * Checks every request against the grants: a request that is not discovery and that no grant
 * allows is denied; a combination of a rule that no request used is unused.
 */
export function checkRequests(
  grants: readonly Grant[],
  requests: readonly CheckedRequest[],
): Verdict {
  const denied = new Set<string>();
  const used = new Set<string>();
  for (const r of requests) {
    if (isDiscovery(r)) continue;
    let allowed = false;
    for (const g of grants) {
      const u = usedBy(g, r);
      if (u === undefined) continue;
      allowed = true;
      used.add(u);
    }
    if (!allowed) denied.add(describe(r));
  }
  const unused = grants.flatMap(combinations).filter((c) => !used.has(c));
  return { denied: [...denied].sort(), unused: [...new Set(unused)] };
}
