/**
 * The built-in resources of the simulated cluster, as one table: what discovery reports and
 * which paths are served.
 */
import type { ResourceDefinition } from "../kube/resource.ts";

/** The verbs every simulated resource supports. */
export const DEFAULT_VERBS: readonly string[] = [
  "create",
  "delete",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

/** Built-in resources, in discovery order. */
export const BUILTIN_RESOURCES: readonly ResourceDefinition[] = [
  {
    group: "",
    version: "v1",
    resource: "namespaces",
    kind: "Namespace",
    namespaced: false,
    singularName: "namespace",
    shortNames: ["ns"],
  },
  {
    group: "",
    version: "v1",
    resource: "pods",
    kind: "Pod",
    namespaced: true,
    singularName: "pod",
    shortNames: ["po"],
  },
  {
    group: "",
    version: "v1",
    resource: "services",
    kind: "Service",
    namespaced: true,
    singularName: "service",
    shortNames: ["svc"],
  },
  {
    group: "",
    version: "v1",
    resource: "secrets",
    kind: "Secret",
    namespaced: true,
    singularName: "secret",
  },
  {
    group: "",
    version: "v1",
    resource: "configmaps",
    kind: "ConfigMap",
    namespaced: true,
    singularName: "configmap",
    shortNames: ["cm"],
  },
  {
    group: "",
    version: "v1",
    resource: "nodes",
    kind: "Node",
    namespaced: false,
    singularName: "node",
    shortNames: ["no"],
  },
  {
    group: "",
    version: "v1",
    resource: "events",
    kind: "Event",
    namespaced: true,
    singularName: "event",
    shortNames: ["ev"],
  },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    namespaced: true,
    singularName: "deployment",
    shortNames: ["deploy"],
  },
  {
    group: "apps",
    version: "v1",
    resource: "replicasets",
    kind: "ReplicaSet",
    namespaced: true,
    singularName: "replicaset",
    shortNames: ["rs"],
  },
  {
    group: "apps",
    version: "v1",
    resource: "statefulsets",
    kind: "StatefulSet",
    namespaced: true,
    singularName: "statefulset",
    shortNames: ["sts"],
  },
  {
    group: "apps",
    version: "v1",
    resource: "daemonsets",
    kind: "DaemonSet",
    namespaced: true,
    singularName: "daemonset",
    shortNames: ["ds"],
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    resource: "ingresses",
    kind: "Ingress",
    namespaced: true,
    singularName: "ingress",
    shortNames: ["ing"],
  },
  {
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    kind: "Lease",
    namespaced: true,
    singularName: "lease",
  },
  {
    group: "batch",
    version: "v1",
    resource: "jobs",
    kind: "Job",
    namespaced: true,
    singularName: "job",
  },
];

/** Namespaces every simulated cluster starts with, as a fresh cluster has. */
export const INITIAL_NAMESPACES: readonly string[] = [
  "default",
  "kube-node-lease",
  "kube-public",
  "kube-system",
];
