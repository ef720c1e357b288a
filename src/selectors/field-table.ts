/**
 * The field labels each built-in kind supports in field selectors, as one table
 * (kubernetes `pkg/apis/core/v1/conversion.go`, `pkg/registry/* /strategy.go`). Every kind
 * supports `metadata.name` and `metadata.namespace`. Values are rendered as the apiserver
 * does: absent strings are `""`, booleans are `"true"`/`"false"`.
 */

/** Reads one field of an object as the string a field selector compares against. */
export type FieldGetter = (object: Readonly<Record<string, unknown>>) => string;

function path(...keys: string[]): FieldGetter {
  return (object) => {
    let v: unknown = object;
    for (const k of keys) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return "";
      v = Reflect.get(v, k);
    }
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return "";
  };
}

function bool(...keys: string[]): FieldGetter {
  const get = path(...keys);
  return (object) => (get(object) === "true" ? "true" : "false");
}

const podIPs: FieldGetter = (object) => {
  const status = object["status"];
  const ips: unknown =
    typeof status === "object" && status !== null ? Reflect.get(status, "podIPs") : undefined;
  if (!Array.isArray(ips)) return "";
  return ips
    .map((p: unknown) => {
      const ip: unknown = typeof p === "object" && p !== null ? Reflect.get(p, "ip") : undefined;
      return typeof ip === "string" ? ip : "";
    })
    .join(",");
};

/** Fields every kind supports. */
export const COMMON_FIELDS: Readonly<Record<string, FieldGetter>> = {
  "metadata.name": path("metadata", "name"),
  "metadata.namespace": path("metadata", "namespace"),
};

/**
 * Extra field labels per resource, keyed by `group/resource` (`"/pods"` for core pods).
 * Aliases (`spec.host` for pods) are listed as fields of their own.
 */
export const FIELD_TABLE: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  "/pods": {
    "spec.nodeName": path("spec", "nodeName"),
    "spec.host": path("spec", "nodeName"),
    "spec.restartPolicy": path("spec", "restartPolicy"),
    "spec.schedulerName": path("spec", "schedulerName"),
    "spec.serviceAccountName": path("spec", "serviceAccountName"),
    "spec.hostNetwork": bool("spec", "hostNetwork"),
    "status.phase": path("status", "phase"),
    "status.podIP": path("status", "podIP"),
    "status.podIPs": podIPs,
    "status.nominatedNodeName": path("status", "nominatedNodeName"),
  },
  "/nodes": { "spec.unschedulable": bool("spec", "unschedulable") },
  "/secrets": { type: path("type") },
  "/namespaces": { "status.phase": path("status", "phase") },
  "/services": { "spec.clusterIP": path("spec", "clusterIP"), "spec.type": path("spec", "type") },
  "/events": {
    "involvedObject.kind": path("involvedObject", "kind"),
    "involvedObject.namespace": path("involvedObject", "namespace"),
    "involvedObject.name": path("involvedObject", "name"),
    "involvedObject.uid": path("involvedObject", "uid"),
    "involvedObject.apiVersion": path("involvedObject", "apiVersion"),
    "involvedObject.resourceVersion": path("involvedObject", "resourceVersion"),
    "involvedObject.fieldPath": path("involvedObject", "fieldPath"),
    reason: path("reason"),
    reportingComponent: path("reportingComponent"),
    source: path("source", "component"),
    type: path("type"),
  },
  "/replicationcontrollers": { "status.replicas": path("status", "replicas") },
};
