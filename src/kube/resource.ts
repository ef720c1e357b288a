/**
 * Identity of a Kubernetes resource type and the REST paths that address it.
 * Shared by the HTTP client, the informer and the simulated API server.
 */

/** A group/version/resource triple. `group` is `""` for the core (legacy) group. */
export interface ResourceId {
  readonly group: string;
  readonly version: string;
  /** Plural, lower-case resource name as in the URL: `pods`, `deployments`. */
  readonly resource: string;
}

/** What discovery says about a resource: its kind and whether it lives in namespaces. */
export interface ResourceDefinition extends ResourceId {
  readonly kind: string;
  readonly namespaced: boolean;
  /** Defaults to `${kind}List`. */
  readonly listKind?: string;
  readonly singularName?: string;
  readonly shortNames?: readonly string[];
  readonly verbs?: readonly string[];
}

/** `v1` for the core group, `apps/v1` otherwise: the `apiVersion` of the resource's objects. */
export function groupVersion(id: ResourceId): string {
  return id.group === "" ? id.version : `${id.group}/${id.version}`;
}

/** `/api/v1` for the core group, `/apis/G/V` otherwise. */
export function groupVersionPath(id: ResourceId): string {
  return id.group === "" ? `/api/${id.version}` : `/apis/${id.group}/${id.version}`;
}

/**
 * The collection path of a resource, optionally inside a namespace, optionally one object.
 * Names and namespaces are percent-encoded. A cluster-wide path is returned when `namespace`
 * is undefined or empty.
 */
export function resourcePath(id: ResourceId, namespace?: string, name?: string): string {
  let path = groupVersionPath(id);
  if (namespace !== undefined && namespace !== "") {
    path += `/namespaces/${encodeURIComponent(namespace)}`;
  }
  path += `/${id.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  return path;
}

/** `pods`, `apps/v1/deployments`: a short, unique, human-readable form of a resource id. */
export function formatResourceId(id: ResourceId): string {
  return `${groupVersion(id)}/${id.resource}`;
}

/**
 * Parses `v1/pods`, `pods` (core v1), `apps/v1/deployments` into a {@link ResourceId}.
 * Throws a `TypeError` naming the input when it has more than three segments or an empty one.
 */
export function parseResourceId(text: string): ResourceId {
  const parts = text.split("/");
  if (parts.some((p) => p === "") || parts.length > 3) {
    throw new TypeError(
      `invalid resource "${text}": expected RESOURCE, VERSION/RESOURCE or GROUP/VERSION/RESOURCE`,
    );
  }
  if (parts.length === 1) return { group: "", version: "v1", resource: parts[0]! };
  if (parts.length === 2) return { group: "", version: parts[0]!, resource: parts[1]! };
  return { group: parts[0]!, version: parts[1]!, resource: parts[2]! };
}

/**
 * What an error names as the request's target: the resource (`apps/v1/deployments`), or the
 * path itself for a non-resource GET (`KubeClient.getJson`: `/api/v1`, `/version`).
 */
export function requestTarget(resource: ResourceId): string {
  return resource.group === "" && resource.version === "" && resource.resource.startsWith("/")
    ? resource.resource
    : formatResourceId(resource);
}
