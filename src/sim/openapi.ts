/**
 * A minimal OpenAPI v3 surface, just enough for kubectl: the `/openapi/v3` index and, per
 * group/version, a document whose PATCH operations declare the `fieldValidation` query
 * parameter. kubectl then validates on the server side (`?fieldValidation=Strict`, which the
 * simulator accepts and ignores) instead of downloading full schemas; `/openapi/v2` stays 404.
 */
import { groupVersion, groupVersionPath } from "../kube/resource.ts";
import type { Registry } from "./registry.ts";

function gvKey(gv: string): string {
  return gv.includes("/") ? `apis/${gv}` : `api/${gv}`;
}

/** `/openapi/v3`: the index of group/version documents. */
export function openApiV3Index(registry: Registry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const def of registry.all()) {
    const key = gvKey(groupVersion(def));
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=sim` };
  }
  return { paths };
}

/** `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V`: undefined when nothing is served there. */
export function openApiV3Document(
  registry: Registry,
  key: string,
  gitVersion: string,
): object | undefined {
  const defs = registry.all().filter((d) => gvKey(groupVersion(d)) === key);
  if (defs.length === 0) return undefined;
  const paths: Record<string, object> = {};
  for (const def of defs) {
    const base = groupVersionPath(def);
    const path = def.namespaced
      ? `${base}/namespaces/{namespace}/${def.resource}/{name}`
      : `${base}/${def.resource}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${def.kind}`,
        parameters: [
          { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
        ],
        responses: { "200": { description: "OK" } },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {
          group: def.group,
          version: def.version,
          kind: def.kind,
        },
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: gitVersion },
    paths,
    components: { schemas: {} },
  };
}
