/**
 * Default objects for the load driver: realistic pods of about 2 KiB of JSON (labels,
 * ownerReferences, managedFields, containers, conditions), and a generic object for any other
 * resource.
 */
import type { ResourceDefinition } from "../kube/resource.ts";
import type { KubeObject } from "../kube/types.ts";

const APPS = ["checkout", "payments", "catalog", "search", "frontend", "ledger", "mailer", "auth"];

function hex(i: number, len: number): string {
  return ((i * 2_654_435_761) >>> 0).toString(16).padStart(8, "0").repeat(4).slice(0, len);
}

/** A realistic pod numbered `i`, in `namespace`. */
export function makePod(i: number, namespace: string): KubeObject {
  const app = APPS[i % APPS.length]!;
  const rs = `${app}-${hex(i % 97, 10)}`;
  const name = `${rs}-${hex(i, 5)}-${i}`;
  const ts = "2026-01-01T00:00:00Z";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      labels: { app, "pod-template-hash": hex(i % 97, 10), tier: i % 3 === 0 ? "web" : "backend" },
      annotations: { "kubectl.kubernetes.io/default-container": app },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: rs,
          uid: `00000000-0000-4000-8000-${hex(i % 97, 12)}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: ts,
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": {
              "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:tier": {} },
              "f:ownerReferences": { ".": {} },
            },
            "f:spec": {
              "f:containers": {
                [`k:{"name":"${app}"}`]: {
                  ".": {},
                  "f:image": {},
                  "f:name": {},
                  "f:ports": {},
                  "f:resources": {},
                },
              },
            },
          },
        },
        {
          manager: "kubelet",
          operation: "Update",
          apiVersion: "v1",
          time: ts,
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:status": {
              "f:conditions": {},
              "f:containerStatuses": {},
              "f:phase": {},
              "f:podIP": {},
              "f:startTime": {},
            },
          },
          subresource: "status",
        },
      ],
    },
    spec: {
      nodeName: `node-${i % 50}`,
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: app,
          image: `registry.example.com/${app}:1.${i % 20}.0`,
          ports: [{ containerPort: 8080, protocol: "TCP" }],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          env: [
            { name: "APP", value: app },
            { name: "LOG_LEVEL", value: "info" },
          ],
        },
      ],
    },
    status: {
      phase: "Running",
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      hostIP: `192.168.0.${i % 50}`,
      startTime: ts,
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True",
        lastTransitionTime: ts,
      })),
      containerStatuses: [
        {
          name: app,
          ready: true,
          restartCount: 0,
          image: `registry.example.com/${app}:1.${i % 20}.0`,
          started: true,
          state: { running: { startedAt: ts } },
        },
      ],
    },
  };
}

/** A generic object of `def` numbered `i` (namespaced ones in `namespace`). */
export function makeObject(def: ResourceDefinition, i: number, namespace: string): KubeObject {
  if (def.group === "" && def.resource === "pods") return makePod(i, namespace);
  return {
    metadata: {
      name: `${def.singularName ?? def.kind.toLowerCase()}-${i}`,
      ...(def.namespaced ? { namespace } : {}),
      labels: { app: APPS[i % APPS.length]!, index: String(i) },
    },
    ...(def.kind === "ConfigMap" ? { data: { index: String(i) } } : { spec: { index: i } }),
  };
}
