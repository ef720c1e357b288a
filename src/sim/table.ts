/**
 * A minimal server-side `Table` (meta.k8s.io/v1) for `kubectl get` without `-o`: columns
 * Name and Age, rows carrying the object's metadata (PartialObjectMetadata) so kubectl can
 * add the NAMESPACE column.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";
import { isKubeObject, isRecord, parseJson } from "./json.ts";

function age(created: string | undefined, now: number): string {
  if (created === undefined) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Turns a list body (`{"metadata":...,"items":[...]}`) into a Table body. */
export function renderTable(listBody: string, def: ResourceDefinition): string {
  const parsed = parseJson(listBody);
  const list = isRecord(parsed) ? parsed : {};
  const items = Array.isArray(list["items"]) ? list["items"].filter(isKubeObject) : [];
  const now = Date.now();
  return JSON.stringify({
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: isRecord(list["metadata"]) ? list["metadata"] : {},
    columnDefinitions: [
      {
        name: "Name",
        type: "string",
        format: "name",
        description: `Name of the ${def.kind}`,
        priority: 0,
      },
      { name: "Age", type: "string", format: "", description: "Time since creation", priority: 0 },
    ],
    rows: items.map((o: KubeObject) => ({
      cells: [o.metadata.name ?? "", age(o.metadata.creationTimestamp, now)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  });
}
