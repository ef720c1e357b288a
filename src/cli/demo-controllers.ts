/**
 * The demo's controllers as the workload tracks them, and how their objects follow the pods:
 * a Deployment's (or StatefulSet's, DaemonSet's) spec and status, and its ReplicaSets'.
 */
import type { KubeObject } from "../kube/index.ts";
import type { SimulatedCluster } from "../sim/index.ts";
import {
  controllerObject,
  replicaSetObject,
  type DemoApp,
  type DemoPod,
  type OwnerRef,
} from "./demo-objects.ts";

/** The ReplicaSets' resource. */
export const REPLICASETS = "apps/v1/replicasets";

/** Each controller kind's resource. */
export const CONTROLLER_RESOURCE = {
  Deployment: "apps/v1/deployments",
  StatefulSet: "apps/v1/statefulsets",
  DaemonSet: "apps/v1/daemonsets",
} as const;

/** A ReplicaSet of a Deployment. */
export interface ReplicaSetRef {
  readonly name: string;
  readonly hash: string;
  readonly uid: string;
  /** The Deployment revision it was created for. */
  readonly revision: number;
}

/** One app's controller, ReplicaSets and pods. */
export interface AppState {
  readonly app: DemoApp;
  readonly owner: OwnerRef;
  replicas: number;
  revision: number;
  restartedAt: string | undefined;
  /** The current ReplicaSet (Deployments), then the old ones, newest first. */
  replicaSets: ReplicaSetRef[];
  pods: DemoPod[];
}

/**
 * Replaces the stored object's annotations, spec and status by `desired`'s; the simulator sends
 * no event when nothing changed. Does nothing when the object is gone.
 */
export function replaceObject(
  cluster: SimulatedCluster,
  resource: string,
  desired: KubeObject,
): void {
  const { namespace = "", name = "" } = desired.metadata;
  const stored = cluster.get(resource, namespace, name);
  if (stored === undefined) return;
  const metadata = { ...stored.metadata };
  if (desired.metadata.annotations === undefined) delete metadata.annotations;
  else metadata.annotations = desired.metadata.annotations;
  cluster.update(resource, {
    ...stored,
    metadata,
    spec: desired["spec"],
    status: desired["status"],
  });
}

/** Writes the controller's (and its current ReplicaSet's) spec and status from the pods. */
export function syncController(cluster: SimulatedCluster, state: AppState): void {
  const { app } = state;
  const ready = state.pods.filter((p) => p.phase === "Running" && p.ready).length;
  const desired = controllerObject(app, state.replicas, ready, state.revision, state.restartedAt);
  replaceObject(cluster, CONTROLLER_RESOURCE[app.kind], desired);
  const rs = state.replicaSets[0];
  if (rs === undefined) return;
  replaceObject(
    cluster,
    REPLICASETS,
    replicaSetObject(app, rs.hash, state.owner, state.replicas, ready, rs.revision),
  );
}

/** Scales an old ReplicaSet to zero, as a finished rollout leaves it. */
export function retireReplicaSet(
  cluster: SimulatedCluster,
  state: AppState,
  rs: ReplicaSetRef,
): void {
  replaceObject(
    cluster,
    REPLICASETS,
    replicaSetObject(state.app, rs.hash, state.owner, 0, 0, rs.revision),
  );
}
