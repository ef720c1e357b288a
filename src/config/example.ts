/**
 * The example configuration shown in docs/config.md (a test loads and validates it).
 */

/** A realistic sidecar configuration, as YAML. */
export const EXAMPLE_CONFIG = `# kube-lookout.yaml
cluster:
  name: prod-eu-1
kube:
  inCluster: auto
watch:
  - version: v1
    resource: pods
    kind: Pod
    namespaces: { labelSelector: "team in (payments,checkout)" }
    fieldSelector: status.phase!=Succeeded
    dropFields: [/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration]
    feeds: [events, cache, metrics]
  - group: apps
    version: v1
    resource: deployments
    kind: Deployment
    namespaces: [payments, checkout]
    pageSize: 250
helm:
  targets:
    offsets: [1, 2]
  fullScanInterval: 30m
store:
  path: /var/lib/kube-lookout/state.db
  synchronous: NORMAL
events:
  enabled: true
  nats:
    servers: [nats://nats.messaging:4222]
    tokenFile: /var/run/secrets/nats/token
  stream:
    maxAge: 72h
    replicas: 3
  fullPolicy: drop-oldest
telemetry:
  otlp:
    endpoint: http://otel-collector.monitoring:4318/v1/metrics
    intervalSeconds: 30s
api:
  host: 0.0.0.0
  tokenFile: /var/run/secrets/lookout/api-token
plugins:
  - name: stream-delay
leaderElection:
  enabled: true
  leaseNamespace: kube-lookout
logLevel: info
`;
