/** Realistic pods (about 2 KiB of JSON with managedFields) for the kube tests and benchmarks. */
import type { KubeObject } from "../../src/kube/index.ts";

/** Pod number `i`, deterministic. */
export function makePod(i: number, rv = String(1000 + i)): KubeObject {
  const name = `web-${(i * 2654435761) % 1e9}-pod-${i}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      generateName: "web-7c9f8d-",
      namespace: `team-${i % 20}`,
      uid: `6f1b2c3d-0000-4000-8000-${String(i).padStart(12, "0")}`,
      resourceVersion: rv,
      creationTimestamp: "2026-11-20T10:11:12Z",
      labels: {
        app: "web",
        "pod-template-hash": "7c9f8d",
        "app.kubernetes.io/name": "web-frontend",
        "app.kubernetes.io/part-of": "shop",
        tier: i % 2 === 0 ? "frontend" : "backend",
      },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-20T10:00:00Z" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web-7c9f8d",
          uid: "0a1b2c3d-1111-4000-8000-000000000001",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: "2026-11-20T10:11:12Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": {
              "f:generateName": {},
              "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:tier": {} },
              "f:ownerReferences": { ".": {}, 'k:{"uid":"0a1b2c3d"}': {} },
            },
            "f:spec": {
              "f:containers": {
                'k:{"name":"web"}': {
                  ".": {},
                  "f:image": {},
                  "f:imagePullPolicy": {},
                  "f:name": {},
                  "f:ports": { ".": {}, 'k:{"containerPort":8080,"protocol":"TCP"}': {} },
                  "f:resources": { ".": {}, "f:limits": {}, "f:requests": {} },
                },
              },
              "f:dnsPolicy": {},
              "f:restartPolicy": {},
            },
          },
        },
        {
          manager: "kubelet",
          operation: "Update",
          apiVersion: "v1",
          time: "2026-11-20T10:11:20Z",
          fieldsType: "FieldsV1",
          subresource: "status",
          fieldsV1: {
            "f:status": {
              "f:conditions": { 'k:{"type":"Ready"}': { ".": {}, "f:status": {} } },
              "f:containerStatuses": {},
              "f:hostIP": {},
              "f:phase": {},
              "f:podIP": {},
            },
          },
        },
      ],
    },
    spec: {
      containers: [
        {
          name: "web",
          image: "registry.example.com/shop/web:1.42.0",
          imagePullPolicy: "IfNotPresent",
          ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
          resources: {
            limits: { cpu: "500m", memory: "256Mi" },
            requests: { cpu: "100m", memory: "128Mi" },
          },
          env: [{ name: "LOG_LEVEL", value: "info" }],
        },
      ],
      nodeName: `node-${i % 50}`,
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      schedulerName: "default-scheduler",
    },
    status: {
      phase: "Running",
      hostIP: `10.0.${i % 50}.1`,
      podIP: `10.1.${Math.floor(i / 250) % 250}.${i % 250}`,
      startTime: "2026-11-20T10:11:13Z",
      conditions: [
        { type: "Ready", status: "True", lastTransitionTime: "2026-11-20T10:11:20Z" },
        { type: "PodScheduled", status: "True", lastTransitionTime: "2026-11-20T10:11:12Z" },
      ],
      containerStatuses: [
        {
          name: "web",
          ready: true,
          restartCount: 0,
          image: "registry.example.com/shop/web:1.42.0",
          imageID: "registry.example.com/shop/web@sha256:" + "ab".repeat(32),
          containerID: "containerd://" + "cd".repeat(32),
          state: { running: { startedAt: "2026-11-20T10:11:19Z" } },
        },
      ],
    },
  };
}

/** One watch line (with its newline) for pod `i`. */
export function podWatchLine(i: number, type = "MODIFIED"): string {
  return `${JSON.stringify({ type, object: makePod(i) })}\n`;
}
