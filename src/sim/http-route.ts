/**
 * Mapping Kubernetes REST paths to what they address: discovery documents, or a resource
 * collection / object with its verb.
 */
import type { IncomingMessage } from "node:http";
import type { ResourceDefinition } from "../kube/resource.ts";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./discovery.ts";
import type { SimVerb } from "./faults.ts";
import { openApiV3Document, openApiV3Index } from "./openapi.ts";
import type { Registry } from "./registry.ts";

/** A resource collection (name undefined) or object addressed by a path. */
export interface Target {
  readonly def: ResourceDefinition;
  readonly namespace: string;
  readonly name: string | undefined;
}

/** The target of `/api/v1/...` or `/apis/G/V/...` segments, or undefined (404). */
export function resolveTarget(registry: Registry, segments: string[]): Target | undefined {
  let gv: { group: string; version: string };
  let rest: string[];
  if (segments[0] === "api" && segments.length >= 3) {
    gv = { group: "", version: segments[1]! };
    rest = segments.slice(2);
  } else if (segments[0] === "apis" && segments.length >= 4) {
    gv = { group: segments[1]!, version: segments[2]! };
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  const find = (resource: string) => registry.find({ ...gv, resource });
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const def = find(rest[2]!);
    if (def === undefined || !def.namespaced || rest.length > 4) return undefined;
    return { def, namespace: rest[1]!, name: rest[3] };
  }
  if (rest.length > 2) return undefined;
  const def = find(rest[0]!);
  if (def === undefined) return undefined;
  if (def.namespaced && rest.length === 2) return undefined;
  return { def, namespace: "", name: rest[1] };
}

/** The discovery / version / OpenAPI document at `segments`, or undefined. */
export function discovery(
  ctx: { readonly registry: Registry; readonly gitVersion: string },
  req: IncomingMessage,
  segments: string[],
): string | undefined {
  const p = segments.join("/");
  if (p === "version") return JSON.stringify(versionInfo(ctx.gitVersion));
  if (p === "openapi/v3") return JSON.stringify(openApiV3Index(ctx.registry));
  if (p.startsWith("openapi/v3/")) {
    const doc = openApiV3Document(ctx.registry, p.slice("openapi/v3/".length), ctx.gitVersion);
    return doc === undefined ? undefined : JSON.stringify(doc);
  }
  if (p === "api") return JSON.stringify(apiVersions(req.headers.host ?? ""));
  if (p === "apis") return JSON.stringify(apiGroupList(ctx.registry));
  if (segments[0] === "api" && segments.length === 2) {
    const list = apiResourceList(ctx.registry, segments[1]!);
    return list === undefined ? undefined : JSON.stringify(list);
  }
  if (segments[0] === "apis" && segments.length === 2) {
    const g = apiGroup(ctx.registry, segments[1]!);
    return g === undefined ? undefined : JSON.stringify(g);
  }
  if (segments[0] === "apis" && segments.length === 3) {
    const list = apiResourceList(ctx.registry, `${segments[1]}/${segments[2]}`);
    return list === undefined ? undefined : JSON.stringify(list);
  }
  return undefined;
}

/** The Kubernetes verb of a request on `target`, or undefined (405). */
export function verbOf(method: string, target: Target, watch: boolean): SimVerb | undefined {
  switch (method) {
    case "GET":
      if (watch) return "watch";
      return target.name === undefined ? "list" : "get";
    case "POST":
      return target.name === undefined ? "create" : undefined;
    case "PUT":
      return target.name === undefined ? undefined : "update";
    case "PATCH":
      return target.name === undefined ? undefined : "patch";
    case "DELETE":
      return target.name === undefined ? undefined : "delete";
    default:
      return undefined;
  }
}
