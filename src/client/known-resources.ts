/**
 * The `@kubernetes/client-node` model type of each well-known route name, so that
 * `client.list("pods")` is typed `V1Pod[]` without a type argument.
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1DaemonSet,
  V1Deployment,
  V1Endpoints,
  CoreV1Event,
  V1Ingress,
  V1Job,
  V1Namespace,
  V1Node,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ReplicaSet,
  V1Secret,
  V1Service,
  V1ServiceAccount,
  V1StatefulSet,
  V1CronJob,
} from "@kubernetes/client-node";

/** Route name → model type. Other names give `KubernetesObject` unless a type is passed. */
export interface KnownResources {
  pods: V1Pod;
  services: V1Service;
  endpoints: V1Endpoints;
  configmaps: V1ConfigMap;
  /** Served with every value replaced by an HMAC (see docs/api.md). */
  secrets: V1Secret;
  serviceaccounts: V1ServiceAccount;
  namespaces: V1Namespace;
  nodes: V1Node;
  events: CoreV1Event;
  persistentvolumes: V1PersistentVolume;
  persistentvolumeclaims: V1PersistentVolumeClaim;
  "deployments.apps": V1Deployment;
  "replicasets.apps": V1ReplicaSet;
  "statefulsets.apps": V1StatefulSet;
  "daemonsets.apps": V1DaemonSet;
  "jobs.batch": V1Job;
  "cronjobs.batch": V1CronJob;
  "ingresses.networking.k8s.io": V1Ingress;
}

/** The model type of route name `R`. */
export type ResourceType<R extends string> = R extends keyof KnownResources
  ? KnownResources[R]
  : KubernetesObject;
