/**
 * The Kubernetes objects of the demo's workload, as a real cluster holds them: Namespaces,
 * Nodes, Deployments owning ReplicaSets owning Pods (ownerReferences with `controller: true`),
 * StatefulSets and DaemonSets owning their Pods, with the status fields controllers write.
 * Pure builders: the workload (`demo-workload.ts`) decides what exists.
 */
import type { KubeObject } from "../kube/index.ts";

/** One container of an app, with its requests and the usage profile the metrics follow. */
export interface DemoContainer {
  readonly name: string;
  readonly image: string;
  /** CPU request in millicores; usage moves around about half of it. */
  readonly cpuMilli: number;
  /** Memory request in MiB; usage moves around about 70% of it. */
  readonly memoryMi: number;
}

/** An app of the demo: a Deployment, a StatefulSet or a DaemonSet. */
export interface DemoApp {
  readonly namespace: string;
  readonly name: string;
  readonly kind: "Deployment" | "StatefulSet" | "DaemonSet";
  /** Replicas at the default `--pods` (ignored for a DaemonSet: one pod per node). */
  readonly replicas: number;
  readonly team: string;
  readonly containers: readonly DemoContainer[];
}

/** A controller's identity, for its pods' ownerReferences. */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** A pod as the workload tracks it. */
export interface DemoPod {
  readonly namespace: string;
  readonly name: string;
  readonly app: DemoApp;
  readonly owner: OwnerRef;
  /** Extra labels (pod-template-hash, controller-revision-hash, statefulset pod name). */
  readonly labels: Readonly<Record<string, string>>;
  readonly node: string;
  readonly ip: string;
  phase: "Pending" | "Running";
  ready: boolean;
  restarts: number;
  /** RFC 3339, when the containers (re)started. */
  startedAt: string;
  lastTermination: string | undefined;
}

const CORE = "v1";
const APPS = "apps/v1";

function appLabels(app: DemoApp): Record<string, string> {
  return {
    app: app.name,
    "app.kubernetes.io/name": app.name,
    "app.kubernetes.io/part-of": app.namespace,
    team: app.team,
  };
}

function containerSpecs(app: DemoApp): object[] {
  return app.containers.map((c) => ({
    name: c.name,
    image: c.image,
    resources: {
      requests: { cpu: `${c.cpuMilli}m`, memory: `${c.memoryMi}Mi` },
      limits: { memory: `${c.memoryMi * 2}Mi` },
    },
  }));
}

function template(app: DemoApp, extra: Readonly<Record<string, string>>): object {
  return {
    metadata: { labels: { ...appLabels(app), ...extra } },
    spec: { containers: containerSpecs(app), restartPolicy: "Always" },
  };
}

/** A Namespace with the labels the API server and a team convention set. */
export function namespaceObject(name: string, team: string): KubeObject {
  return {
    apiVersion: CORE,
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name, team } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

/** A Ready Node with 4 CPUs and 16 GiB. */
export function nodeObject(name: string, index: number): KubeObject {
  const zone = `eu-west-1${"abc"[index % 3] ?? "a"}`;
  const capacity = { cpu: "4", memory: "16373576Ki", pods: "110", "ephemeral-storage": "100Gi" };
  return {
    apiVersion: CORE,
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m6i.xlarge",
        "topology.kubernetes.io/zone": zone,
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24` },
    status: {
      capacity,
      allocatable: { ...capacity, cpu: "3920m", memory: "15225672Ki" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      addresses: [{ type: "InternalIP", address: `10.0.${index}.10` }],
      nodeInfo: { kubeletVersion: "v1.32.0", osImage: "Ubuntu 24.04 LTS", architecture: "amd64" },
    },
  };
}

/** The app's controller object with its status for `replicas` pods (`ready` of them ready). */
export function controllerObject(
  app: DemoApp,
  replicas: number,
  ready: number,
  revision: number,
  restartedAt: string | undefined,
): KubeObject {
  const labels = appLabels(app);
  const tpl = template(app, {});
  const annotations: Record<string, string> =
    restartedAt === undefined ? {} : { "kubectl.kubernetes.io/restartedAt": restartedAt };
  const podTemplate = { ...tpl, metadata: { labels, annotations } };
  const selector = { matchLabels: { app: app.name } };
  const meta = { name: app.name, namespace: app.namespace, labels };
  if (app.kind === "Deployment") {
    return {
      apiVersion: APPS,
      kind: "Deployment",
      metadata: { ...meta, annotations: { "deployment.kubernetes.io/revision": String(revision) } },
      spec: {
        replicas,
        selector,
        template: podTemplate,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        revisionHistoryLimit: 3,
      },
      status: {
        observedGeneration: revision,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: ready,
        availableReplicas: ready,
        ...(ready < replicas ? { unavailableReplicas: replicas - ready } : {}),
      },
    };
  }
  if (app.kind === "StatefulSet") {
    return {
      apiVersion: APPS,
      kind: "StatefulSet",
      metadata: meta,
      spec: { replicas, selector, serviceName: app.name, template: podTemplate },
      status: {
        replicas,
        readyReplicas: ready,
        currentReplicas: replicas,
        availableReplicas: ready,
      },
    };
  }
  return {
    apiVersion: APPS,
    kind: "DaemonSet",
    metadata: meta,
    spec: { selector, template: podTemplate },
    status: {
      currentNumberScheduled: replicas,
      desiredNumberScheduled: replicas,
      numberReady: ready,
      numberAvailable: ready,
      updatedNumberScheduled: replicas,
    },
  };
}

/** A Deployment's ReplicaSet `<app>-<hash>`, owned by the Deployment. */
export function replicaSetObject(
  app: DemoApp,
  hash: string,
  owner: OwnerRef,
  replicas: number,
  ready: number,
  revision: number,
): KubeObject {
  const labels = { ...appLabels(app), "pod-template-hash": hash };
  return {
    apiVersion: APPS,
    kind: "ReplicaSet",
    metadata: {
      name: `${app.name}-${hash}`,
      namespace: app.namespace,
      labels,
      annotations: { "deployment.kubernetes.io/revision": String(revision) },
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: app.name, "pod-template-hash": hash } },
      template: template(app, { "pod-template-hash": hash }),
    },
    status: {
      replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      fullyLabeledReplicas: replicas,
    },
  };
}

function ownerReference(owner: OwnerRef): object {
  return { ...owner, controller: true, blockOwnerDeletion: true };
}

/** The pod's status as the kubelet reports it. */
export function podStatus(pod: DemoPod): object {
  const running = pod.phase === "Running";
  const ready = running && pod.ready ? "True" : "False";
  return {
    phase: pod.phase,
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Initialized", status: "True" },
      { type: "ContainersReady", status: ready },
      { type: "Ready", status: ready },
    ],
    hostIP: pod.ip.replace(/\.\d+$/, ".1"),
    ...(running ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
    startTime: pod.startedAt,
    qosClass: "Burstable",
    containerStatuses: pod.app.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ready: running && pod.ready,
      started: running,
      restartCount: pod.restarts,
      state: running
        ? { running: { startedAt: pod.startedAt } }
        : { waiting: { reason: "ContainerCreating" } },
      ...(pod.lastTermination === undefined
        ? {}
        : {
            lastState: {
              terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: pod.lastTermination },
            },
          }),
    })),
  };
}

/** The whole Pod object, owned by its ReplicaSet, StatefulSet or DaemonSet. */
export function podObject(pod: DemoPod): KubeObject {
  return {
    apiVersion: CORE,
    kind: "Pod",
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      labels: { ...appLabels(pod.app), ...pod.labels },
      ownerReferences: [ownerReference(pod.owner)],
    },
    spec: {
      nodeName: pod.node,
      containers: containerSpecs(pod.app),
      restartPolicy: "Always",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
    },
    status: podStatus(pod),
  };
}
