/**
 * The apps the demo runs: a shop, a payments system, a monitoring stack and cluster DNS, as
 * Deployments, StatefulSets and a DaemonSet with realistic container requests.
 */
import type { DemoApp, DemoContainer } from "./demo-objects.ts";

const c = (name: string, image: string, cpuMilli: number, memoryMi: number): DemoContainer => ({
  name,
  image,
  cpuMilli,
  memoryMi,
});

/** The namespaces the demo creates, with the team that owns each. */
export const DEMO_NAMESPACES: readonly { readonly name: string; readonly team: string }[] = [
  { name: "shop", team: "storefront" },
  { name: "payments", team: "payments" },
  { name: "monitoring", team: "platform" },
];

/** The apps, in creation order. */
export const DEMO_APPS: readonly DemoApp[] = [
  {
    namespace: "shop",
    name: "web",
    kind: "Deployment",
    replicas: 4,
    team: "storefront",
    containers: [
      c("app", "ghcr.io/acme/web:2.3.1", 200, 256),
      c("envoy", "envoyproxy/envoy:v1.31.2", 50, 64),
    ],
  },
  {
    namespace: "shop",
    name: "cart",
    kind: "Deployment",
    replicas: 3,
    team: "storefront",
    containers: [c("app", "ghcr.io/acme/cart:1.8.0", 150, 192)],
  },
  {
    namespace: "shop",
    name: "catalog",
    kind: "Deployment",
    replicas: 3,
    team: "storefront",
    containers: [c("app", "ghcr.io/acme/catalog:4.2.0", 100, 256)],
  },
  {
    namespace: "shop",
    name: "storefront",
    kind: "Deployment",
    replicas: 2,
    team: "storefront",
    containers: [c("app", "ghcr.io/acme/storefront:0.9.2", 100, 128)],
  },
  {
    namespace: "shop",
    name: "redis",
    kind: "StatefulSet",
    replicas: 3,
    team: "storefront",
    containers: [c("redis", "redis:7.4.1", 100, 512)],
  },
  {
    namespace: "payments",
    name: "api",
    kind: "Deployment",
    replicas: 4,
    team: "payments",
    containers: [c("app", "ghcr.io/acme/payments-api:3.0.0", 250, 384)],
  },
  {
    namespace: "payments",
    name: "worker",
    kind: "Deployment",
    replicas: 3,
    team: "payments",
    containers: [c("worker", "ghcr.io/acme/payments-worker:3.0.0", 200, 256)],
  },
  {
    namespace: "payments",
    name: "ledger-db",
    kind: "StatefulSet",
    replicas: 3,
    team: "payments",
    containers: [c("postgres", "postgres:16.4", 500, 1024)],
  },
  {
    namespace: "monitoring",
    name: "prometheus",
    kind: "StatefulSet",
    replicas: 2,
    team: "platform",
    containers: [
      c("prometheus", "quay.io/prometheus/prometheus:v2.54.1", 500, 2048),
      c(
        "config-reloader",
        "quay.io/prometheus-operator/prometheus-config-reloader:v0.77.1",
        10,
        32,
      ),
    ],
  },
  {
    namespace: "monitoring",
    name: "grafana",
    kind: "Deployment",
    replicas: 1,
    team: "platform",
    containers: [c("grafana", "grafana/grafana:11.3.0", 100, 256)],
  },
  {
    namespace: "monitoring",
    name: "node-exporter",
    kind: "DaemonSet",
    replicas: 1,
    team: "platform",
    containers: [c("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", 20, 32)],
  },
  {
    namespace: "kube-system",
    name: "coredns",
    kind: "Deployment",
    replicas: 2,
    team: "platform",
    containers: [c("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", 100, 70)],
  },
];
