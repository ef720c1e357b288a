/**
 * Rendered manifests that look like `helm template` output: `---` separated documents each
 * starting with `# Source: <chart>/templates/<file>.yaml`, with the objects a typical chart
 * renders (Deployments, Services, ConfigMaps, RBAC, Ingresses, CronJobs, PDBs, HPAs, CRD-based
 * objects), some on deprecated or removed apiVersions. Each object is also returned as data,
 * so tests can check a scanner against what was written rather than against another parser.
 */

/** One object written into a manifest or hook, as the generator wrote it. */
export interface HelmObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Set only when the document carries `metadata.namespace`. */
  readonly namespace?: string;
  readonly source: "manifest" | "hook";
  /** The `# Source:` path, `chart/templates/x.yaml`. */
  readonly template: string;
}

/** What the renderer of one kind needs. */
export interface RenderContext {
  readonly release: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly appVersion: string;
  /** The revision as text (or a marker replaced later). */
  readonly revision: string;
  /** A per-object number in [0, 1e6) that varies sizes and values deterministically. */
  readonly salt: number;
}

/** The kinds a chart renders, their current apiVersion and their template file. */
export const CHART_KINDS = [
  { kind: "Deployment", apiVersion: "apps/v1", file: "deployment", weight: 6 },
  { kind: "Service", apiVersion: "v1", file: "service", weight: 6 },
  { kind: "ConfigMap", apiVersion: "v1", file: "configmap", weight: 6 },
  { kind: "ServiceAccount", apiVersion: "v1", file: "serviceaccount", weight: 3 },
  { kind: "Ingress", apiVersion: "networking.k8s.io/v1", file: "ingress", weight: 3 },
  { kind: "CronJob", apiVersion: "batch/v1", file: "cronjob", weight: 2 },
  { kind: "PodDisruptionBudget", apiVersion: "policy/v1", file: "pdb", weight: 2 },
  { kind: "HorizontalPodAutoscaler", apiVersion: "autoscaling/v2", file: "hpa", weight: 2 },
  { kind: "Role", apiVersion: "rbac.authorization.k8s.io/v1", file: "role", weight: 2 },
  {
    kind: "RoleBinding",
    apiVersion: "rbac.authorization.k8s.io/v1",
    file: "rolebinding",
    weight: 2,
  },
  {
    kind: "ClusterRole",
    apiVersion: "rbac.authorization.k8s.io/v1",
    file: "clusterrole",
    weight: 1,
  },
  { kind: "Certificate", apiVersion: "cert-manager.io/v1", file: "certificate", weight: 1 },
  {
    kind: "ServiceMonitor",
    apiVersion: "monitoring.coreos.com/v1",
    file: "servicemonitor",
    weight: 1,
  },
  {
    kind: "VolumeSnapshotClass",
    apiVersion: "snapshot.storage.k8s.io/v1",
    file: "snapshotclass",
    weight: 1,
  },
] as const;

function labels(c: RenderContext, component: string, indent: string): string {
  return (
    `${indent}helm.sh/chart: ${c.chart}-${c.chartVersion}\n` +
    `${indent}app.kubernetes.io/name: ${c.chart}\n` +
    `${indent}app.kubernetes.io/instance: ${c.release}\n` +
    `${indent}app.kubernetes.io/component: ${component}\n` +
    `${indent}app.kubernetes.io/version: "${c.appVersion}"\n` +
    `${indent}app.kubernetes.io/managed-by: Helm\n`
  );
}

function selector(c: RenderContext, indent: string): string {
  return `${indent}app.kubernetes.io/name: ${c.chart}\n${indent}app.kubernetes.io/instance: ${c.release}\n`;
}

function podSpec(c: RenderContext, name: string, indent: string): string {
  const env: string[] = [];
  const n = 3 + (c.salt % 8);
  for (let i = 0; i < n; i++) {
    env.push(
      `${indent}    - name: ${c.chart.toUpperCase().replaceAll("-", "_")}_SETTING_${i}\n` +
        `${indent}      value: "${((c.salt * (i + 7)) % 100_000).toString(36)}-${c.revision}"\n`,
    );
  }
  return (
    `${indent}serviceAccountName: ${c.release}-${c.chart}\n` +
    `${indent}securityContext:\n${indent}  runAsNonRoot: true\n${indent}  fsGroup: 2000\n` +
    `${indent}containers:\n` +
    `${indent}  - name: ${name}\n` +
    `${indent}    image: "registry.example.com/${c.chart}/${name}:${c.appVersion}-r${c.revision}"\n` +
    `${indent}    imagePullPolicy: IfNotPresent\n` +
    `${indent}    ports:\n${indent}      - name: http\n${indent}        containerPort: 8080\n${indent}        protocol: TCP\n` +
    `${indent}    env:\n${env.join("")}` +
    `${indent}    livenessProbe:\n${indent}      httpGet:\n${indent}        path: /healthz\n${indent}        port: http\n` +
    `${indent}    readinessProbe:\n${indent}      httpGet:\n${indent}        path: /readyz\n${indent}        port: http\n` +
    `${indent}    resources:\n${indent}      limits:\n${indent}        cpu: 500m\n${indent}        memory: 512Mi\n` +
    `${indent}      requests:\n${indent}        cpu: 100m\n${indent}        memory: 128Mi\n` +
    `${indent}    volumeMounts:\n${indent}      - name: config\n${indent}        mountPath: /etc/${c.chart}\n` +
    `${indent}volumes:\n${indent}  - name: config\n${indent}    configMap:\n${indent}      name: ${c.release}-${c.chart}-config\n`
  );
}

/** The body (everything after `metadata:`'s name/namespace/labels) of one object of `kind`. */
export function renderBody(kind: string, name: string, c: RenderContext): string {
  switch (kind) {
    case "Deployment":
      return (
        `spec:\n  replicas: ${1 + (c.salt % 3)}\n  revisionHistoryLimit: 10\n` +
        `  selector:\n    matchLabels:\n${selector(c, "      ")}` +
        `  template:\n    metadata:\n      annotations:\n        checksum/config: ${(c.salt * 2654435761).toString(16)}${c.revision}\n` +
        `      labels:\n${labels(c, name, "        ")}` +
        `    spec:\n${podSpec(c, name, "      ")}`
      );
    case "Service":
      return (
        `spec:\n  type: ClusterIP\n  ports:\n    - port: ${80 + (c.salt % 9000)}\n      targetPort: http\n      protocol: TCP\n      name: http\n` +
        `  selector:\n${selector(c, "    ")}`
      );
    case "ConfigMap": {
      const lines: string[] = [];
      const n = 4 + (c.salt % 12);
      for (let i = 0; i < n; i++) {
        lines.push(`    setting.${i}.value=${((c.salt + i) * 7919).toString(36)}-r${c.revision}\n`);
      }
      return `data:\n  application.properties: |\n${lines.join("")}  LOG_LEVEL: "info"\n`;
    }
    case "ServiceAccount":
      return "automountServiceAccountToken: true\n";
    case "Ingress":
      return (
        `spec:\n  ingressClassName: nginx\n  tls:\n    - hosts:\n        - "${name}.example.com"\n      secretName: ${name}-tls\n` +
        `  rules:\n    - host: "${name}.example.com"\n      http:\n        paths:\n          - path: /\n            pathType: ImplementationSpecific\n` +
        `            backend:\n              service:\n                name: ${c.release}-${c.chart}\n                port:\n                  number: 80\n`
      );
    case "CronJob":
      return (
        `spec:\n  schedule: "${c.salt % 60} */6 * * *"\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      template:\n` +
        `        spec:\n          restartPolicy: OnFailure\n${podSpec(c, name, "          ")}`
      );
    case "PodDisruptionBudget":
      return `spec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n${selector(c, "      ")}`;
    case "HorizontalPodAutoscaler":
      return (
        `spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: ${c.release}-${c.chart}\n` +
        `  minReplicas: 1\n  maxReplicas: ${3 + (c.salt % 10)}\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 80\n`
      );
    case "Role":
    case "ClusterRole":
      return (
        `rules:\n  - apiGroups: [""]\n    resources: ["configmaps", "secrets", "pods"]\n    verbs: ["get", "list", "watch"]\n` +
        `  - apiGroups: ["apps"]\n    resources: ["deployments"]\n    verbs: ["get", "list", "watch", "patch"]\n`
      );
    case "RoleBinding":
      return (
        `roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: ${c.release}-${c.chart}\n` +
        `subjects:\n  - kind: ServiceAccount\n    name: ${c.release}-${c.chart}\n`
      );
    case "Certificate":
      return (
        `spec:\n  secretName: ${name}-tls\n  dnsNames:\n    - "${name}.example.com"\n` +
        `  issuerRef:\n    name: letsencrypt\n    kind: ClusterIssuer\n`
      );
    case "ServiceMonitor":
      return (
        `spec:\n  selector:\n    matchLabels:\n${selector(c, "      ")}` +
        `  endpoints:\n    - port: http\n      interval: 30s\n      path: /metrics\n`
      );
    case "Job":
      return `spec:\n  backoffLimit: 3\n  template:\n    spec:\n      restartPolicy: Never\n${podSpec(c, name, "      ")}`;
    default:
      return `spec:\n  driver: ${c.chart}.csi.example.com\n  deletionPolicy: Delete\n`;
  }
}

/** One YAML document, `---` and `# Source:` comment included; `annotations` are extra lines. */
export function renderDocument(
  ref: HelmObjectRef,
  c: RenderContext,
  annotations: string = "",
): string {
  const ns = ref.namespace === undefined ? "" : `  namespace: ${ref.namespace}\n`;
  const ann = annotations === "" ? "" : `  annotations:\n${annotations}`;
  return (
    `---\n# Source: ${ref.template}\napiVersion: ${ref.apiVersion}\nkind: ${ref.kind}\n` +
    `metadata:\n  name: ${ref.name}\n${ns}  labels:\n${labels(c, ref.name, "    ")}${ann}` +
    renderBody(ref.kind, ref.name, c)
  );
}
