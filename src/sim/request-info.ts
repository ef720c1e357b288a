/**
 * What the Kubernetes API server's authorizer sees of a request: its RequestInfo, derived from
 * the HTTP method, the path and the query as k8s.io/apiserver does it
 * (`staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`, `NewRequestInfo`). The
 * rules, restated from that file (the code below is ours):
 *
 * - Every request starts as a non-resource request whose verb is the lower-cased HTTP method
 *   and whose path is the URL path. It stays one unless the path has at least three segments
 *   and starts with an API prefix (`api`, or `apis`, which needs a fourth segment for the
 *   group): so `/api`, `/api/v1`, `/apis`, `/apis/G`, `/apis/G/V`, `/version`, `/healthz`,
 *   `/openapi/v2` are non-resource requests.
 * - A resource request takes its group (after `apis`) and version, then either a "special verb"
 *   segment (`watch`, `proxy`: the verb is that word) or a verb from the method: POST create,
 *   GET and HEAD get, PUT update, PATCH patch, DELETE delete, anything else "".
 * - `namespaces/{ns}` sets the namespace; when a further segment follows that is not a
 *   namespace subresource (`status`, `finalize`), the rest is read relative to it. Otherwise
 *   the namespace is "" (and `/api/v1/namespaces/x` is resource `namespaces`, name `x`,
 *   namespace `x`).
 * - The rest is resource / name / subresource (no subresource after `proxy`).
 * - A `get` without a name is `list`, or `watch` when the `watch` query parameter is present
 *   with any value but `false` or `0` (apimachinery's string-to-bool conversion); a
 *   `fieldSelector` requiring `metadata.name=X` then names the object (when X is a valid path
 *   segment name), which is what lets `resourceNames` rules match single-object list/watch.
 * - A `delete` without a name is `deletecollection`.
 * - With the AuthorizeWithSelectors gate (beta, on by default since 1.32) list, watch and
 *   deletecollection requests whose verb came from the method also carry the raw
 *   `labelSelector` and `fieldSelector` parameters.
 */

/** A request as the apiserver's RequestInfo classifies it. */
export interface RequestInfo {
  /** Whether it addresses an API resource (or subresource). */
  readonly isResourceRequest: boolean;
  /** The URL path, percent-decoded. */
  readonly path: string;
  /** The Kubernetes verb (`list`, `watch`, `get`, …), or the lower-cased method of a non-resource request. */
  readonly verb: string;
  /** `api` or `apis` ("" for a non-resource request). */
  readonly apiPrefix: string;
  /** "" for the core group. */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** "" at the cluster scope. */
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  /** The object's name: from the path, or from a `metadata.name=` field selector of a list/watch. */
  readonly name: string;
  /** The raw `labelSelector` of a list, watch or deletecollection ("" when absent). */
  readonly labelSelector: string;
  /** The raw `fieldSelector` of a list, watch or deletecollection ("" when absent). */
  readonly fieldSelector: string;
}

const API_PREFIXES = new Set(["api", "apis"]);
const GROUPLESS_PREFIXES = new Set(["api"]);
const SPECIAL_VERBS = new Set(["proxy", "watch"]);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(["proxy"]);
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const VERBS_WITH_SELECTORS = new Set(["list", "watch", "deletecollection"]);

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The value a field selector requires for `field` with `=` or `==`, if any. */
function exactFieldMatch(selector: string, field: string): string | undefined {
  for (const term of selector.split(",")) {
    const m = /^\s*([^!=\s]+)\s*==?\s*(.*?)\s*$/.exec(term);
    if (m !== null && m[1] === field) return m[2];
  }
  return undefined;
}

/** apimachinery's path.IsValidPathSegmentName: not `.`/`..`, no `/` or `%`. */
function validSegmentName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !/[/%]/.test(name);
}

/**
 * Classifies one request as the apiserver's RequestInfo does (see the module comment).
 * `url` is the request target (`/api/v1/pods?watch=1`) or an absolute URL. Pure; never throws.
 */
export function requestInfo(method: string, url: string): RequestInfo {
  const parsed = new URL(url, "http://request-info.invalid");
  const path = decodePath(parsed.pathname);
  const query = parsed.searchParams;
  const info = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    apiGroup: "",
    apiVersion: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
    labelSelector: "",
    fieldSelector: "",
  };
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  let parts = trimmed === "" ? [] : trimmed.split("/");
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  const prefix = parts[0]!;
  parts = parts.slice(1);
  let group = "";
  if (!GROUPLESS_PREFIXES.has(prefix)) {
    if (parts.length < 3) return info;
    group = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiPrefix = prefix;
  info.apiGroup = group;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  let verbViaPath = false;
  if (SPECIAL_VERBS.has(parts[0]!)) {
    // The apiserver answers an error for `/watch` alone; the info so far is what it knows.
    if (parts.length < 2) return info;
    info.verb = parts[0]!;
    parts = parts.slice(1);
    verbViaPath = true;
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? "";
  }

  if (parts[0] === "namespaces") {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) {
    info.subresource = parts[2]!;
  }
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (info.name === "" && info.verb === "get") {
    const watch = query.get("watch");
    info.verb = watch !== null && !["false", "0"].includes(watch.toLowerCase()) ? "watch" : "list";
    const named = exactFieldMatch(query.get("fieldSelector") ?? "", "metadata.name");
    if (named !== undefined && validSegmentName(named)) info.name = named;
  }
  if (info.name === "" && info.verb === "delete") info.verb = "deletecollection";
  if (!verbViaPath && VERBS_WITH_SELECTORS.has(info.verb)) {
    info.labelSelector = query.get("labelSelector") ?? "";
    info.fieldSelector = query.get("fieldSelector") ?? "";
  }
  return info;
}
