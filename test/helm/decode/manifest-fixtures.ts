/**
 * A corpus of rendered manifests: realistic chart output and the odd cases the fast scanner
 * must either read right or hand to the `yaml` package.
 */

/** One fixture; `allFast` says every document must be read by the fast path. */
export interface ManifestFixture {
  readonly name: string;
  readonly manifest: string;
  readonly allFast?: boolean;
  /** Documents the fast path must NOT claim (0-based chunk indexes). */
  readonly slow?: readonly number[];
  /** How many objects the scan must find. */
  readonly objects: number;
  /** How many LOOKOUT_HELM_BAD_YAML errors the scan must report. */
  readonly errors?: number;
}

/** A Deployment as `helm template` renders it. */
export function deployment(name: string, ns = "apps", extra = ""): string {
  return `---
# Source: ${name}/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    helm.sh/chart: ${name}-1.2.3
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/instance: release-name
    app.kubernetes.io/version: "4.5.6"
    app.kubernetes.io/managed-by: Helm
  annotations:
    checksum/config: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
      app.kubernetes.io/instance: release-name
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${name}
        app.kubernetes.io/instance: release-name
    spec:
      serviceAccountName: ${name}
      securityContext: {}
      containers:
        - name: ${name}
          securityContext: {}
          image: "nginx:1.16.0"
          imagePullPolicy: IfNotPresent
          command: ["/bin/sh", "-c"]
          args:
            - |
              echo "starting"
              exec nginx -g 'daemon off;'
          env:
            - name: GREETING
              value: 'hello: world'
            - name: EMPTY
              value: ""
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /
              port: http
          resources:
            limits: { cpu: 100m, memory: 128Mi }${extra}
`;
}

/** A Service. */
export function service(name: string, ns = "apps"): string {
  return `---
# Source: ${name}/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: ${name}
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: http
      protocol: TCP
      name: http
  selector:
    app.kubernetes.io/name: ${name}
`;
}

/** A ConfigMap whose block scalar holds `---` and `kind:` lines. */
export function configMap(name: string): string {
  return `---
# Source: ${name}/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
data:
  config.yaml: |
    ---
    kind: NotAnObject
    apiVersion: v0
    metadata:
      name: inner
    ---
  nginx.conf: |-
    server {
      listen 80;
      # comment "with quotes
      location / { return 200 'ok'; }
    }
  script.sh: >
    #!/bin/sh

    echo "[unbalanced"
`;
}

const ingress = `---
# Source: web/templates/ingress.yaml
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
  annotations:
    kubernetes.io/ingress.class: nginx
    "nginx.ingress.kubernetes.io/rewrite-target": /
spec:
  tls:
    - hosts:
        - "chart-example.local"
      secretName: chart-example-tls
  rules:
    - host: "chart-example.local"
      http:
        paths:
          - path: /
            backend:
              serviceName: web
              servicePort: 80
`;

const crd = `---
# Source: op/crds/widgets.yaml
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations:
    controller-gen.kubebuilder.io/version: v0.4.1
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
  scope: Namespaced
  validation:
    openAPIV3Schema:
      description: "Widget is the Schema for the widgets API. It has: colons, #hashes and 'quotes'"
      type: object
      properties:
        spec:
          type: object
          x-kubernetes-preserve-unknown-fields: true
  versions:
    - name: v1
      served: true
      storage: true
`;

const hookJob = `# Source: web/templates/tests/test-connection.yaml
apiVersion: v1
kind: Pod
metadata:
  name: "web-test-connection"
  labels:
    app.kubernetes.io/name: web
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget']
      args: ['web:80']
  restartPolicy: Never
`;

/** Builds the corpus. */
export const FIXTURES: readonly ManifestFixture[] = [
  {
    name: "typical chart",
    manifest: `${service("web")}${deployment("web")}${configMap("web")}`,
    allFast: true,
    objects: 3,
  },
  { name: "ingress and CRD", manifest: `${ingress}${crd}`, allFast: true, objects: 2 },
  { name: "hook manifest without marker", manifest: hookJob, allFast: true, objects: 1 },
  {
    name: "windows line endings",
    manifest: `${service("win")}${deployment("win")}`.replaceAll("\n", "\r\n"),
    allFast: true,
    objects: 2,
  },
  {
    name: "markers with trailing comments and empty documents",
    manifest: `--- # first\n---\n# only a comment\n---   \n\n${service("a").slice(4)}---\n`,
    allFast: true,
    objects: 1,
  },
  {
    name: "quoted values and comments after values",
    manifest: `---\napiVersion: "rbac.authorization.k8s.io/v1" # rbac\nkind: 'ClusterRole'\nmetadata:\n  name: 'x:y'   # colon inside quotes\n  namespace: "ns" \nrules: []\n`,
    allFast: true,
    objects: 1,
  },
  {
    name: "kind List",
    manifest: `---\n# Source: l/templates/list.yaml\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b, namespace: c}\n${service("s")}`,
    slow: [0],
    objects: 3,
  },
  {
    name: "ConfigMapList and an empty List",
    manifest: `apiVersion: v1\nkind: ConfigMapList\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: one\n---\napiVersion: v1\nkind: List\nitems: []\n`,
    slow: [0, 1],
    objects: 1,
  },
  {
    name: "flow style document",
    manifest: `{apiVersion: v1, kind: Namespace, metadata: {name: flow}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: flow2}\n`,
    slow: [0, 1],
    objects: 2,
  },
  {
    name: "anchors, aliases and tags",
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: anchored\ndata:\n  a: !!str 1\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: *x\n`,
    slow: [0, 1],
    objects: 1,
    errors: 1,
  },
  {
    name: "directives and explicit end markers",
    manifest: `%YAML 1.2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: directive\n...\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: after-end\n`,
    objects: 2,
  },
  {
    name: "multi-line and escaped scalars",
    manifest: `apiVersion: v1\nkind: Service\nmetadata:\n  name: long\n    name\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: "esc\\x41ped"\n---\napiVersion: v1\nkind: "Multi\n  Line"\nmetadata:\n  name: a\n`,
    slow: [0, 1, 2],
    objects: 3,
  },
  {
    name: "non-string scalars",
    manifest: `apiVersion: v1\nkind: Service\nmetadata:\n  name: 123\n  namespace: null\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: true\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: 2048-game\n`,
    slow: [0, 1],
    objects: 3,
  },
  {
    name: "numbers in identity fields",
    manifest: ["123", "0x1F", "1e3", "1.10", "0o17"]
      .map((n) => `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`)
      .join(""),
    slow: [0, 1, 2, 3, 4],
    objects: 5,
  },
  {
    name: "tabs and odd indentation",
    manifest: `apiVersion: v1\nkind: Service\nmetadata:\n\tname: tab\n---\napiVersion: v1\nkind: Service\nmetadata:\n    name: four\n  namespace: two\n---\napiVersion: v1\nkind: Service\nmetadata:\n    name: deep\n    namespace: four\n`,
    slow: [0, 1],
    objects: 1,
    errors: 2,
  },
  {
    name: "duplicate keys",
    manifest: `apiVersion: v1\nkind: Service\nkind: Pod\nmetadata:\n  name: dup\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n${service("ok")}`,
    slow: [0, 1],
    objects: 1,
    errors: 2,
  },
  {
    name: "bad YAML in one document",
    manifest: `${service("before")}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n${service("after")}`,
    slow: [1],
    objects: 2,
    errors: 1,
  },
  {
    name: "unclosed quote in nested content",
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: q\ndata:\n  a: "multi\n    line"\n  b: x\n`,
    slow: [0],
    objects: 1,
  },
  {
    name: "not a mapping",
    manifest: `- a\n- b\n---\njust a scalar\n${service("fine")}`,
    slow: [0, 1],
    objects: 1,
    errors: 2,
  },
  {
    name: "missing metadata and missing kind",
    manifest: `apiVersion: v1\nkind: Namespace\n---\napiVersion: v1\nmetadata:\n  name: nokind\n---\nkind: Foo\nmetadata:\n`,
    allFast: true,
    objects: 3,
  },
  {
    name: "top-level block scalar and plain multi-line values",
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blk\n  annotations:\n    description: a long\n      plain value\n    other: |\n      kind: X\n      apiVersion: y\ndata: {}\nnotes: |\n  metadata:\n    name: wrong\nkind2: >-\n  x\n`,
    allFast: true,
    objects: 1,
  },
];
