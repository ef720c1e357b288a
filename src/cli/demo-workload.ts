/**
 * The demo's workload on a simulated cluster, through the simulator's public API only: the
 * namespaces, nodes and apps of `demo-apps.ts` (Pods owned by ReplicaSets owned by Deployments,
 * Pods owned by StatefulSets and a DaemonSet), the Helm releases of `demo-helm.ts`, and
 * metrics.k8s.io usages for every running pod and node. Then churn, one action at a time:
 * rolling restarts (a new ReplicaSet, its pods replacing the old ones), scaling, container
 * restarts, readiness flaps and evicted pods; new pods start Pending and run a tick later; usages
 * move. Every choice comes from one seeded PRNG, so a seed replays the same sequence.
 */
import type { KubeObject } from "../kube/index.ts";
import { mulberry32, type SimulatedCluster } from "../sim/index.ts";
import { DEMO_APPS, DEMO_NAMESPACES } from "./demo-apps.ts";
import { DemoHelm, type HelmStep } from "./demo-helm.ts";
import {
  controllerObject,
  namespaceObject,
  nodeObject,
  podObject,
  podStatus,
  replicaSetObject,
  type DemoPod,
} from "./demo-objects.ts";
import {
  CONTROLLER_RESOURCE,
  REPLICASETS,
  retireReplicaSet,
  syncController,
  type AppState,
} from "./demo-controllers.ts";
import { applyUsage } from "./demo-usage.ts";

const PODS = "v1/pods";
/** Characters of generated name suffixes, as Kubernetes uses (no vowels, no 0/1/3). */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** Old ReplicaSets kept per Deployment (its `revisionHistoryLimit`). */
const HISTORY = 3;

/** Options of {@link DemoWorkload}. */
export interface DemoWorkloadOptions {
  /** PRNG seed; default 1. */
  readonly seed?: number;
  /** About how many pods in all (apps scale to it, at least one pod each); default 40. */
  readonly pods?: number;
  /** Clock of status timestamps (ms since the epoch); default `Date.now`. */
  readonly now?: () => number;
}

/** A running workload's size. */
export interface WorkloadCounts {
  readonly namespaces: number;
  readonly nodes: number;
  readonly apps: number;
  readonly pods: number;
  readonly helmReleases: number;
}

/** The demo's workload on one simulated cluster. Nothing happens before {@link seed}. */
export class DemoWorkload {
  readonly #cluster: SimulatedCluster;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #targetPods: number;
  readonly #helm: DemoHelm;
  readonly #apps: AppState[] = [];
  readonly #nodes: string[] = [];
  /** Pods to turn Running (and ready) at the next {@link settle}. */
  #starting: DemoPod[] = [];
  #ip = 0;
  #tick = 0;

  constructor(cluster: SimulatedCluster, options: DemoWorkloadOptions = {}) {
    this.#cluster = cluster;
    this.#random = mulberry32(options.seed ?? 1);
    this.#now = options.now ?? Date.now;
    this.#targetPods = options.pods ?? 40;
    this.#helm = new DemoHelm(cluster);
  }

  /** The nodes' names. */
  get nodes(): readonly string[] {
    return this.#nodes;
  }

  /** Creates the namespaces, nodes, apps with their pods (running), Helm releases and usages. */
  seed(): WorkloadCounts {
    const nodeCount = Math.max(3, Math.ceil(this.#targetPods / 30));
    const daemonSets = DEMO_APPS.filter((a) => a.kind === "DaemonSet").length;
    const base = DEMO_APPS.reduce((n, a) => n + (a.kind === "DaemonSet" ? 0 : a.replicas), 0);
    const factor = Math.max(0, this.#targetPods - daemonSets * nodeCount) / base;
    this.#cluster.batch(() => {
      for (const ns of DEMO_NAMESPACES)
        this.#cluster.create("v1/namespaces", namespaceObject(ns.name, ns.team));
      for (let i = 0; i < nodeCount; i++) {
        const name = `node-${i + 1}`;
        this.#nodes.push(name);
        this.#cluster.create("v1/nodes", nodeObject(name, i));
      }
      for (const app of DEMO_APPS) {
        const replicas =
          app.kind === "DaemonSet" ? nodeCount : Math.max(1, Math.round(app.replicas * factor));
        const created = this.#cluster.create(
          CONTROLLER_RESOURCE[app.kind],
          controllerObject(app, replicas, 0, 1, undefined),
        );
        const owner = {
          apiVersion: "apps/v1",
          kind: app.kind,
          name: app.name,
          uid: uidOf(created),
        };
        const state: AppState = {
          app,
          owner,
          replicas,
          revision: 1,
          restartedAt: undefined,
          replicaSets: [],
          pods: [],
        };
        this.#apps.push(state);
        if (app.kind === "Deployment") this.#newReplicaSet(state);
        for (let i = 0; i < replicas; i++) this.#addPod(state, i);
      }
      this.settle();
      this.#helm.install();
    });
    this.moveUsage();
    return this.counts();
  }

  /** What exists now. */
  counts(): WorkloadCounts {
    return {
      namespaces: DEMO_NAMESPACES.length,
      nodes: this.#nodes.length,
      apps: this.#apps.length,
      pods: this.#apps.reduce((n, s) => n + s.pods.length, 0),
      helmReleases: this.#helm.releases,
    };
  }

  /** Applies one churn action and returns what it did, e.g. `rolling restart shop/web`. */
  step(): string {
    return this.#cluster.batch(() => {
      const r = this.#random();
      const state = this.#pick(this.#apps);
      if (state === undefined) return "no apps";
      if (r < 0.1 && state.app.kind === "Deployment") return this.#rollingRestart(state);
      if (r < 0.25 && state.app.kind === "Deployment") return this.#scale(state);
      const pod = this.#pick(state.pods.filter((p) => p.phase === "Running" && p.ready));
      if (pod === undefined) return this.#scale(state);
      if (r < 0.45) return this.#replacePod(state, pod);
      if (r < 0.7) return this.#restartContainer(state, pod);
      // A failed readiness probe: not ready until the next settle.
      pod.ready = false;
      this.#starting.push(pod);
      this.#patchPod(pod);
      syncController(this.#cluster, state);
      return `readiness probe failed ${pod.namespace}/${pod.name}`;
    });
  }

  /** Pods created or restarted by the previous actions become Running and ready. */
  settle(): void {
    const starting = this.#starting;
    this.#starting = [];
    const touched = new Set<AppState>();
    for (const pod of starting) {
      const state = this.#apps.find((s) => s.pods.includes(pod));
      if (state === undefined) continue;
      pod.phase = "Running";
      pod.ready = true;
      this.#patchPod(pod);
      touched.add(state);
    }
    for (const state of touched) syncController(this.#cluster, state);
  }

  /** Moves every running pod's and node's metrics.k8s.io usage one step along its curve. */
  moveUsage(): void {
    this.#tick++;
    applyUsage(
      this.#cluster.metrics,
      this.#apps.flatMap((s) => s.pods),
      this.#nodes,
      this.#tick,
      this.#random,
    );
  }

  /** Upgrades one Helm release to fixed APIs, or rolls one back (see `DemoHelm.step`). */
  helmStep(): HelmStep | undefined {
    return this.#helm.step();
  }

  #pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.#random() * items.length)];
  }

  #suffix(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(this.#random() * ALPHABET.length)];
    return s;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString().replace(/\.\d+Z$/, "Z");
  }

  #newReplicaSet(state: AppState): void {
    const hash = this.#suffix(10);
    const rs = replicaSetObject(state.app, hash, state.owner, state.replicas, 0, state.revision);
    const created = this.#cluster.create(REPLICASETS, rs);
    state.replicaSets.unshift({
      name: `${state.app.name}-${hash}`,
      hash,
      uid: uidOf(created),
      revision: state.revision,
    });
  }

  #addPod(state: AppState, ordinal: number): DemoPod {
    const { app } = state;
    const rs = state.replicaSets[0];
    const nodeIndex =
      app.kind === "DaemonSet" ? ordinal : Math.floor(this.#random() * this.#nodes.length);
    const node = this.#nodes[nodeIndex] ?? "node-1";
    let name: string;
    let owner = state.owner;
    let labels: Record<string, string>;
    if (app.kind === "Deployment" && rs !== undefined) {
      name = `${rs.name}-${this.#suffix(5)}`;
      owner = { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.name, uid: rs.uid };
      labels = { "pod-template-hash": rs.hash };
    } else if (app.kind === "StatefulSet") {
      name = `${app.name}-${ordinal}`;
      labels = {
        "statefulset.kubernetes.io/pod-name": name,
        "apps.kubernetes.io/pod-index": String(ordinal),
      };
    } else {
      name = `${app.name}-${this.#suffix(5)}`;
      labels = { "controller-revision-hash": "6d8c9b7f5c" };
    }
    this.#ip++;
    const pod: DemoPod = {
      namespace: app.namespace,
      name,
      app,
      owner,
      labels,
      node,
      ip: `10.244.${nodeIndex}.${(this.#ip % 250) + 2}`,
      phase: "Pending",
      ready: false,
      restarts: 0,
      startedAt: this.#iso(),
      lastTermination: undefined,
    };
    this.#cluster.create(PODS, podObject(pod));
    state.pods.push(pod);
    this.#starting.push(pod);
    return pod;
  }

  #deletePod(state: AppState, pod: DemoPod): void {
    this.#cluster.delete(PODS, pod.namespace, pod.name);
    state.pods = state.pods.filter((p) => p !== pod);
    this.#starting = this.#starting.filter((p) => p !== pod);
  }

  #patchPod(pod: DemoPod): void {
    this.#cluster.patch(PODS, pod.namespace, pod.name, { status: podStatus(pod) });
  }

  #rollingRestart(state: AppState): string {
    state.revision++;
    state.restartedAt = this.#iso();
    const old = state.replicaSets[0];
    this.#newReplicaSet(state);
    // #deletePod replaces state.pods, so this walks the old list.
    for (const pod of state.pods) this.#deletePod(state, pod);
    for (let i = 0; i < state.replicas; i++) this.#addPod(state, i);
    if (old !== undefined) {
      retireReplicaSet(this.#cluster, state, old);
    }
    for (const gone of state.replicaSets.splice(HISTORY + 1)) {
      this.#cluster.delete(REPLICASETS, state.app.namespace, gone.name);
    }
    syncController(this.#cluster, state);
    return `rolling restart ${state.app.namespace}/${state.app.name} (revision ${state.revision})`;
  }

  #scale(state: AppState): string {
    const { app } = state;
    if (app.kind === "DaemonSet") return `nothing to scale in ${app.namespace}/${app.name}`;
    const up = state.replicas <= 1 || (state.replicas < app.replicas * 2 && this.#random() < 0.5);
    if (up) {
      state.replicas++;
      this.#addPod(state, state.replicas - 1);
    } else {
      state.replicas--;
      // A StatefulSet removes its highest ordinal; a ReplicaSet a pod of its choosing.
      const victim =
        app.kind === "StatefulSet"
          ? state.pods.find((p) => p.name === `${app.name}-${state.replicas}`)
          : this.#pick(state.pods);
      if (victim !== undefined) this.#deletePod(state, victim);
    }
    syncController(this.#cluster, state);
    return `scaled ${app.namespace}/${app.name} to ${state.replicas}`;
  }

  #replacePod(state: AppState, pod: DemoPod): string {
    const ordinal =
      state.app.kind === "DaemonSet" ? this.#nodes.indexOf(pod.node) : state.pods.indexOf(pod);
    this.#deletePod(state, pod);
    const fresh = this.#addPod(
      state,
      state.app.kind === "StatefulSet" ? Number(pod.name.split("-").at(-1)) : ordinal,
    );
    syncController(this.#cluster, state);
    return `evicted ${pod.namespace}/${pod.name}, replaced by ${fresh.name}`;
  }

  #restartContainer(state: AppState, pod: DemoPod): string {
    pod.restarts++;
    pod.lastTermination = this.#iso();
    pod.startedAt = this.#iso();
    pod.ready = false;
    this.#starting.push(pod);
    this.#patchPod(pod);
    syncController(this.#cluster, state);
    return `container restart ${pod.namespace}/${pod.name} (restarts ${pod.restarts})`;
  }
}

function uidOf(obj: KubeObject): string {
  return obj.metadata.uid ?? "";
}
