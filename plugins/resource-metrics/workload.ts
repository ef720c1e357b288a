/**
 * The workload that owns a pod, from the informer caches: pod → ReplicaSet → Deployment, or the
 * pod's controller (StatefulSet, DaemonSet, Job, a ReplicaSet without a Deployment, or any other
 * controller kind); a pod without a controller is its own workload (kind `Pod`).
 */
import type { KubeObject, ReadonlyStore } from "../../src/plugins/index.ts";

/** A workload: its namespace, controller kind and name. */
export interface Workload {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
}

interface Owner {
  readonly kind: string;
  readonly name: string;
}

/** The controller owner reference of an object (`controller: true`), or undefined. */
export function controllerOf(obj: KubeObject): Owner | undefined {
  for (const ref of obj.metadata.ownerReferences ?? []) {
    if (typeof ref !== "object" || ref === null) continue;
    const kind: unknown = Reflect.get(ref, "kind");
    const name: unknown = Reflect.get(ref, "name");
    if (Reflect.get(ref, "controller") !== true) continue;
    if (typeof kind === "string" && typeof name === "string" && kind !== "" && name !== "") {
      return { kind, name };
    }
  }
  return undefined;
}

/**
 * Resolves pods to workloads through the pods and replicasets caches. Remembers each pod's and
 * replicaset's answer by resourceVersion, so a collection parses only the objects that changed;
 * `prune()` after a collection forgets the pods not asked about since the previous prune.
 */
export class WorkloadResolver {
  readonly #pods: ReadonlyStore;
  readonly #replicaSets: ReadonlyStore;
  #podOwners = new Map<string, { rv: string; owner: Owner | undefined }>();
  #seen = new Map<string, { rv: string; owner: Owner | undefined }>();
  readonly #rsOwners = new Map<string, { rv: string; owner: Owner | undefined }>();

  constructor(pods: ReadonlyStore, replicaSets: ReadonlyStore) {
    this.#pods = pods;
    this.#replicaSets = replicaSets;
  }

  /** The workload of pod `namespace/name`, or undefined when the pod is not in the cache. */
  workloadOf(namespace: string, name: string): Workload | undefined {
    const pod = this.#pods.getByKey(namespace, name);
    if (pod === undefined) return undefined;
    const key = `${namespace}/${name}`;
    let entry = this.#podOwners.get(key);
    if (entry?.rv !== pod.resourceVersion) {
      entry = { rv: pod.resourceVersion, owner: controllerOf(pod.object) };
    }
    this.#seen.set(key, entry);
    const owner = entry.owner;
    if (owner === undefined) return { namespace, kind: "Pod", name };
    if (owner.kind === "ReplicaSet") {
      const deployment = this.#replicaSetOwner(namespace, owner.name);
      if (deployment?.kind === "Deployment") return { namespace, ...deployment };
    }
    return { namespace, kind: owner.kind, name: owner.name };
  }

  /** Forgets the pods not resolved since the last prune, and replicasets gone from the cache. */
  prune(): void {
    this.#podOwners = this.#seen;
    this.#seen = new Map();
    for (const key of this.#rsOwners.keys()) {
      if (this.#replicaSets.get(key) === undefined) this.#rsOwners.delete(key);
    }
  }

  #replicaSetOwner(namespace: string, name: string): Owner | undefined {
    const rs = this.#replicaSets.getByKey(namespace, name);
    if (rs === undefined) return undefined;
    const key = `${namespace}/${name}`;
    const cached = this.#rsOwners.get(key);
    if (cached?.rv === rs.resourceVersion) return cached.owner;
    const owner = controllerOf(rs.object);
    this.#rsOwners.set(key, { rv: rs.resourceVersion, owner });
    return owner;
  }
}
