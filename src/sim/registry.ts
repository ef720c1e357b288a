/**
 * The set of resources a simulated cluster serves, looked up by group/version/resource, and
 * grouped for discovery. Owned by one cluster (no module-level registry).
 */
import { groupVersion, parseResourceId } from "../kube/resource.ts";
import type { ResourceDefinition, ResourceId } from "../kube/resource.ts";
import { SimError, SimErrorCode } from "./errors.ts";
import { failure } from "./status.ts";

function idKey(id: ResourceId): string {
  return `${id.group}/${id.version}/${id.resource}`;
}

/** Resources by id, plus the group/versions they form. */
export class Registry {
  readonly #byKey = new Map<string, ResourceDefinition>();

  /** Adds or replaces a definition. Throws `LOOKOUT_SIM_INVALID` for an empty name part. */
  add(def: ResourceDefinition): void {
    if (def.version === "" || def.resource === "" || def.kind === "") {
      throw new SimError(
        SimErrorCode.Invalid,
        failure(422, "Invalid", `invalid resource definition ${JSON.stringify(def)}`),
      );
    }
    this.#byKey.set(idKey(def), def);
  }

  /** The definition of `id`, or undefined. */
  find(id: ResourceId): ResourceDefinition | undefined {
    return this.#byKey.get(idKey(id));
  }

  /** Resolves a ResourceId or string (`pods`, `apps/v1/deployments`); throws UNKNOWN_RESOURCE. */
  resolve(resource: ResourceId | string): ResourceDefinition {
    let id: ResourceId;
    try {
      id = typeof resource === "string" ? parseResourceId(resource) : resource;
    } catch (error: unknown) {
      throw new SimError(
        SimErrorCode.UnknownResource,
        failure(404, "NotFound", `unknown resource ${JSON.stringify(resource)}`),
        { cause: error },
      );
    }
    const def = this.find(id);
    if (def === undefined) {
      throw new SimError(
        SimErrorCode.UnknownResource,
        failure(404, "NotFound", `unknown resource "${idKey(id)}"`),
      );
    }
    return def;
  }

  /** Every definition, in registration order. */
  all(): ResourceDefinition[] {
    return [...this.#byKey.values()];
  }

  /** Definitions of one group/version (`v1`, `apps/v1`). */
  ofGroupVersion(gv: string): ResourceDefinition[] {
    return this.all().filter((d) => groupVersion(d) === gv);
  }

  /** Non-core groups with their versions, in registration order. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.#byKey.values()) {
      if (d.group === "") continue;
      const versions = out.get(d.group) ?? [];
      if (!versions.includes(d.version)) versions.push(d.version);
      out.set(d.group, versions);
    }
    return out;
  }
}
