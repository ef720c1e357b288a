/**
 * Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/G/V`) and `/version`, built from the
 * registry. Legacy (non-aggregated) discovery only: clients asking for aggregated discovery
 * get plain JSON and fall back, as with an older apiserver.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import { DEFAULT_VERBS } from "./registry-table.ts";
import type { Registry } from "./registry.ts";

/** `/api`. */
export function apiVersions(host: string): object {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

/** `/apis`. */
export function apiGroupList(registry: Registry): object {
  const groups = [...registry.groups()].map(([name, versions]) => {
    const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { name, versions: list, preferredVersion: list[0]! };
  });
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

/** `/apis/G`: one APIGroup, or undefined when the group is unknown. */
export function apiGroup(registry: Registry, group: string): object | undefined {
  const versions = registry.groups().get(group);
  if (versions === undefined) return undefined;
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return {
    kind: "APIGroup",
    apiVersion: "v1",
    name: group,
    versions: list,
    preferredVersion: list[0]!,
  };
}

function resourceEntry(def: ResourceDefinition): object {
  return {
    name: def.resource,
    singularName: def.singularName ?? def.kind.toLowerCase(),
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs ?? DEFAULT_VERBS,
    ...(def.shortNames === undefined ? {} : { shortNames: def.shortNames }),
  };
}

/** `/api/v1` or `/apis/G/V`: an APIResourceList, or undefined when nothing is served there. */
export function apiResourceList(registry: Registry, gv: string): object | undefined {
  const defs = registry.ofGroupVersion(gv);
  if (defs.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: gv,
    resources: defs.map(resourceEntry),
  };
}

/** `/version`, with major/minor derived from `gitVersion` (`v1.32.0` → "1", "32"). */
export function versionInfo(gitVersion: string): object {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? "1",
    minor: m?.[2] ?? "0",
    gitVersion,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: `${process.platform === "win32" ? "windows" : process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}
