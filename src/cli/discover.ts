/**
 * Discovery at start: for each configured resource, whether the cluster serves it, its kind and
 * whether it is namespaced (`GET /api/v1`, `GET /apis/{group}/{version}`).
 */
import type { KubeClient, ResourceId } from "../kube/index.ts";

/** What discovery says of one resource. */
export interface Discovered {
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Resources the cluster does not serve (`LOOKOUT_CLI_UNKNOWN_RESOURCE`), named. */
export class UnknownResourcesError extends Error {
  override readonly name = "UnknownResourcesError";
  readonly code = "LOOKOUT_CLI_UNKNOWN_RESOURCE";
  readonly resources: readonly string[];
  constructor(resources: readonly string[]) {
    super(
      `the cluster does not serve ${resources.join(", ")} (check watch[].group, version and resource)`,
    );
    this.resources = resources;
  }
}

/** The discovery document of a resource's group and version. */
function path(id: ResourceId): string {
  return id.group === "" ? `/api/${id.version}` : `/apis/${id.group}/${id.version}`;
}

function label(id: ResourceId): string {
  return id.group === ""
    ? `${id.version}/${id.resource}`
    : `${id.group}/${id.version}/${id.resource}`;
}

/**
 * Looks every resource up; rejects with {@link UnknownResourcesError} naming all the missing
 * ones, or with the client's error when discovery itself fails.
 */
export async function discover(
  client: KubeClient,
  ids: readonly ResourceId[],
): Promise<Map<string, Discovered>> {
  const byGroupVersion = new Map<string, Promise<unknown>>();
  for (const id of ids) {
    const p = path(id);
    if (!byGroupVersion.has(p)) {
      byGroupVersion.set(
        p,
        client.getJson(p).catch(() => undefined),
      );
    }
  }
  const out = new Map<string, Discovered>();
  const missing: string[] = [];
  for (const id of ids) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- the requests already run together
    const list = await byGroupVersion.get(path(id));
    const found = findResource(list, id.resource);
    if (found === undefined) missing.push(label(id));
    else out.set(label(id), found);
  }
  if (missing.length > 0) throw new UnknownResourcesError(missing);
  return out;
}

/** The key of a resource in {@link discover}'s map. */
export function discoveredKey(id: ResourceId): string {
  return label(id);
}

function findResource(list: unknown, resource: string): Discovered | undefined {
  if (typeof list !== "object" || list === null) return undefined;
  const resources: unknown = Reflect.get(list, "resources");
  if (!Array.isArray(resources)) return undefined;
  for (const r of resources as unknown[]) {
    if (typeof r !== "object" || r === null) continue;
    if (Reflect.get(r, "name") !== resource) continue;
    const kind: unknown = Reflect.get(r, "kind");
    const namespaced: unknown = Reflect.get(r, "namespaced");
    if (typeof kind === "string") return { kind, namespaced: namespaced === true };
  }
  return undefined;
}
