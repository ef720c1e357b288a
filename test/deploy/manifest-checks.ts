/**
 * The checks of test/deploy/manifests.test.ts on a rendered kustomization: each object's
 * identity and schema (a round trip through the `@kubernetes/client-node` model of its kind,
 * or the shape of a Prometheus Operator kind), each container's hardening and resources, each
 * kube-lookout container's probes, port, configuration (from a mounted ConfigMap, through
 * kube-lookout's own validation), state and /tmp volumes, Downward API env and mounted
 * secrets, and that service accounts, volumes, selectors and bindings refer to objects of the
 * render. Each problem carries a stable code, so a test can assert that a broken render is
 * caught.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
// client-node 2.0.1 does not re-export its ObjectSerializer from the package's entry point;
// the package has no `exports` map, so this path is importable (test-only, pinned version).
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import {
  ConfigInvalidError,
  formatProblem,
  resolveConfig,
  type LookoutConfig,
} from "../../src/config/index.ts";
import { REPO_ROOT, at, isRecord, records, selects, stringMap, text } from "./support.ts";

/** One rendered kustomization. */
export interface Render {
  readonly name: string;
  readonly objects: readonly unknown[];
}

/** One thing wrong in a render: a stable code and what, where. */
export interface Problem {
  readonly code: string;
  readonly message: string;
}

type Obj = Record<string, unknown>;
type Report = (code: string, message: string) => void;

/** The client-node model of each core kind the manifests may use, by `apiVersion/kind`. */
const MODELS: Readonly<Record<string, string>> = {
  "v1/Namespace": "V1Namespace",
  "v1/ServiceAccount": "V1ServiceAccount",
  "v1/ConfigMap": "V1ConfigMap",
  "v1/Secret": "V1Secret",
  "v1/Service": "V1Service",
  "apps/v1/Deployment": "V1Deployment",
  "apps/v1/StatefulSet": "V1StatefulSet",
  "rbac.authorization.k8s.io/v1/Role": "V1Role",
  "rbac.authorization.k8s.io/v1/ClusterRole": "V1ClusterRole",
  "rbac.authorization.k8s.io/v1/RoleBinding": "V1RoleBinding",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "V1ClusterRoleBinding",
  "networking.k8s.io/v1/NetworkPolicy": "V1NetworkPolicy",
  "policy/v1/PodDisruptionBudget": "V1PodDisruptionBudget",
};

/**
 * The Prometheus Operator's kinds (monitoring.coreos.com/v1), which client-node has no model
 * for: the keys allowed at each level (from the operator's API reference), so a misspelt key
 * is caught as the round trip catches it for core kinds.
 */
const SCRAPE_ENDPOINT_KEYS = [
  "port",
  "targetPort",
  "path",
  "scheme",
  "params",
  "interval",
  "scrapeTimeout",
  "tlsConfig",
  "bearerTokenSecret",
  "authorization",
  "basicAuth",
  "oauth2",
  "honorLabels",
  "honorTimestamps",
  "trackTimestampsStaleness",
  "metricRelabelings",
  "relabelings",
  "proxyUrl",
  "followRedirects",
  "enableHttp2",
  "filterRunning",
  "noProxy",
  "proxyFromEnvironment",
  "proxyConnectHeader",
];
const MONITOR_SPEC_KEYS = [
  "jobLabel",
  "podTargetLabels",
  "selector",
  "selectorMechanism",
  "namespaceSelector",
  "sampleLimit",
  "targetLimit",
  "scrapeProtocols",
  "fallbackScrapeProtocol",
  "labelLimit",
  "labelNameLengthLimit",
  "labelValueLengthLimit",
  "scrapeClassicHistograms",
  "nativeHistogramBucketLimit",
  "nativeHistogramMinBucketFactor",
  "convertClassicHistogramsToNHCB",
  "keepDroppedTargets",
  "attachMetadata",
  "scrapeClass",
  "bodySizeLimit",
];
const CRD_SHAPES: Readonly<Record<string, { spec: string[]; list: string; item: string[] }>> = {
  "monitoring.coreos.com/v1/ServiceMonitor": {
    spec: [...MONITOR_SPEC_KEYS, "targetLabels", "endpoints", "serviceDiscoveryRole"],
    list: "endpoints",
    item: [...SCRAPE_ENDPOINT_KEYS, "bearerTokenFile"],
  },
  "monitoring.coreos.com/v1/PodMonitor": {
    spec: [...MONITOR_SPEC_KEYS, "podMetricsEndpoints"],
    list: "podMetricsEndpoints",
    item: [...SCRAPE_ENDPOINT_KEYS, "portNumber"],
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    spec: ["groups"],
    list: "groups",
    item: [
      "name",
      "labels",
      "interval",
      "query_offset",
      "limit",
      "partial_response_strategy",
      "rules",
    ],
  },
};
const RULE_KEYS = ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"];
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/** Where `a` and `b` (JSON values) first differ, as a JSON-pointer-like path; undefined if equal. */
function difference(a: unknown, b: unknown, path = ""): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], b[i], `${path}/${i}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = difference(a[key], b[key], `${path}/${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : path || "/";
}

/** Keys of `value` not in `allowed`. */
const extraKeys = (value: unknown, allowed: readonly string[]): string[] =>
  isRecord(value) ? Object.keys(value).filter((k) => !allowed.includes(k)) : [];

/** Checks one object's identity and its schema (client-node model, or the CRD's shape). */
function checkObject(obj: Obj, bad: Report): void {
  const apiVersion = text(obj, "apiVersion");
  const kind = text(obj, "kind");
  const name = text(obj, "metadata", "name");
  const id = `${kind ?? "?"}/${name ?? "?"}`;
  if (apiVersion === undefined || kind === undefined || name === undefined) {
    bad("identity", `${id}: apiVersion, kind and metadata.name are required`);
    return;
  }
  const namespaced = !CLUSTER_SCOPED.has(kind);
  if (namespaced !== (text(obj, "metadata", "namespace") !== undefined)) {
    bad(
      "identity",
      `${id}: metadata.namespace ${namespaced ? "missing" : "on a cluster-scoped kind"}`,
    );
  }
  const key = `${apiVersion}/${kind}`;
  const model = MODELS[key];
  const shape = CRD_SHAPES[key];
  if (model !== undefined) {
    const typed: unknown = ObjectSerializer.deserialize(obj, model);
    const back: unknown = JSON.parse(JSON.stringify(ObjectSerializer.serialize(typed, model)));
    const diff = difference(back, obj);
    if (diff !== undefined) bad("round-trip", `${id}: ${model} round trip differs at ${diff}`);
  } else if (shape !== undefined) {
    const spec = at(obj, "spec");
    const items = records(spec, shape.list);
    const extra = [
      ...extraKeys(obj, ["apiVersion", "kind", "metadata", "spec"]),
      ...extraKeys(spec, shape.spec),
      ...items.flatMap((i) => extraKeys(i, shape.item)),
      ...items.flatMap((g) => records(g, "rules").flatMap((r) => extraKeys(r, RULE_KEYS))),
    ];
    if (!isRecord(spec) || items.length === 0)
      bad("crd-shape", `${id}: spec.${shape.list} is empty`);
    if (extra.length > 0) bad("crd-shape", `${id}: unknown keys ${extra.join(", ")}`);
  } else bad("unknown-kind", `${id}: ${key} has no model or shape here; add one`);
}

/** A container's port number for a probe/Service port (a number or a port name). */
export function portNumber(c: Obj, port: unknown): number | undefined {
  if (typeof port === "number") return port;
  const named = records(c, "ports").find((p) => p["name"] === port)?.["containerPort"];
  return typeof named === "number" ? named : undefined;
}

const UNITS = new Map([
  ["Ki", 2 ** 10],
  ["Mi", 2 ** 20],
  ["Gi", 2 ** 30],
  ["Ti", 2 ** 40],
  ["k", 1e3],
  ["M", 1e6],
  ["G", 1e9],
  ["T", 1e12],
]);

/** Bytes of a Kubernetes quantity (`1Gi`, `64Mi`, `500M`, `1024`); NaN when not one. */
function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]i|[kMGT])?$/.exec(q);
  if (m === null) return Number.NaN;
  return Number(m[1]) * (m[2] === undefined ? 1 : (UNITS.get(m[2]) ?? Number.NaN));
}

/** A kube-lookout container of a workload, with its parsed configuration. */
export interface LookoutContainer {
  readonly workload: string;
  readonly container: string;
  readonly config: LookoutConfig;
}

/** The objects of a render, with lookups by kind, namespace and name. */
class Index {
  readonly objects: readonly Obj[];
  constructor(objects: readonly unknown[]) {
    this.objects = objects.filter(isRecord);
  }
  ofKind(kind: string): Obj[] {
    return this.objects.filter((o) => o["kind"] === kind);
  }
  find(kind: string, name: string | undefined, namespace?: string): Obj | undefined {
    return this.ofKind(kind).find(
      (o) => text(o, "metadata", "name") === name && text(o, "metadata", "namespace") === namespace,
    );
  }
}

const isLookout = (c: Obj): boolean => /\/kube-lookout:/.test(text(c, "image") ?? "");
const dirOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";
const baseOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

/** The volume mounted at `dir` in `c` (directory mounts only), with its mount. */
function volumeAt(pod: Obj, c: Obj, dir: string): { mount: Obj; volume: Obj } | undefined {
  const mount = records(c, "volumeMounts").find(
    (m) => m["mountPath"] === dir && m["subPath"] === undefined,
  );
  const volume = records(pod, "volumes").find((v) => v["name"] === mount?.["name"]);
  return mount === undefined || volume === undefined ? undefined : { mount, volume };
}

/** The effective security context of a container (its own over the pod's). */
function checkSecurity(pod: Obj, c: Obj, where: string, bad: Report): void {
  const own = (key: string): unknown =>
    at(c, "securityContext", key) ?? at(pod, "securityContext", key);
  const drop = at(c, "securityContext", "capabilities", "drop");
  const missing = [
    own("runAsNonRoot") === true ? "" : "runAsNonRoot: true",
    at(c, "securityContext", "readOnlyRootFilesystem") === true
      ? ""
      : "readOnlyRootFilesystem: true",
    at(c, "securityContext", "allowPrivilegeEscalation") === false
      ? ""
      : "allowPrivilegeEscalation: false",
    Array.isArray(drop) && drop.includes("ALL") ? "" : "capabilities.drop: [ALL]",
    text(own("seccompProfile"), "type") === "RuntimeDefault" ? "" : "seccompProfile RuntimeDefault",
  ].filter((m) => m !== "");
  if (missing.length > 0) bad("security", `${where}: securityContext lacks ${missing.join(", ")}`);
  const r = (k: string): unknown => at(c, "resources", ...k.split("."));
  if (
    r("requests.cpu") === undefined ||
    r("requests.memory") === undefined ||
    r("limits.memory") === undefined
  ) {
    bad("resources", `${where}: expected cpu and memory requests and a memory limit`);
  }
}

/** The configuration a kube-lookout container runs with, from its mounted ConfigMap. */
function lookoutConfig(
  index: Index,
  ns: string | undefined,
  pod: Obj,
  c: Obj,
  where: string,
  bad: Report,
): LookoutConfig | undefined {
  const args = at(c, "args");
  const path =
    Array.isArray(args) && args[0] === "run" && args[1] === "--config" ? args[2] : undefined;
  if (typeof path !== "string") {
    bad("config-mount", `${where}: expected args [run, --config, FILE]`);
    return undefined;
  }
  const found = volumeAt(pod, c, dirOf(path));
  const cm = index.find("ConfigMap", text(found?.volume, "configMap", "name"), ns);
  const body = text(cm, "data", baseOf(path));
  if (body === undefined) {
    bad("config-mount", `${where}: ${path} is not a key of a ConfigMap mounted at ${dirOf(path)}`);
    return undefined;
  }
  try {
    return resolveConfig({ text: body, env: {}, file: path });
  } catch (error: unknown) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    bad(
      "config-invalid",
      `${where}: ${error.problems.map((p) => formatProblem(p, path)).join("; ")}`,
    );
    return undefined;
  }
}

/** Checks a kube-lookout container against its configuration. */
function checkLookout(
  index: Index,
  ns: string | undefined,
  pod: Obj,
  c: Obj,
  config: LookoutConfig,
  where: string,
  bad: Report,
): void {
  const port = config.api.port;
  if (portNumber(c, "http") !== port || !["0.0.0.0", "::"].includes(config.api.host)) {
    bad("port", `${where}: expected port "http" = api.port ${port} and api.host 0.0.0.0`);
  }
  const probes: [string, string, boolean][] = [
    ["livenessProbe", "/healthz", true],
    ["readinessProbe", "/readyz", true],
    ["startupProbe", "/healthz", false],
  ];
  for (const [probe, path, required] of probes) {
    const get = at(c, probe, "httpGet");
    if (get === undefined && !required) continue;
    if (text(get, "path") !== path || portNumber(c, at(get, "port")) !== port) {
      bad("probe", `${where}: ${probe} must GET ${path} on port ${port}`);
    }
  }
  const env = new Map(
    records(c, "env").map((e) => [e["name"], text(e, "valueFrom", "fieldRef", "fieldPath")]),
  );
  const downward = {
    POD_NAME: "metadata.name",
    POD_NAMESPACE: "metadata.namespace",
    NODE_NAME: "spec.nodeName",
  };
  for (const [name, field] of Object.entries(downward)) {
    if (env.get(name) !== field)
      bad("downward-api", `${where}: env ${name} from fieldRef ${field}`);
  }
  const state = volumeAt(pod, c, dirOf(config.store.path));
  const limit = text(state?.volume, "emptyDir", "sizeLimit");
  if (
    state === undefined ||
    state.mount["readOnly"] === true ||
    (at(state.volume, "emptyDir") === undefined &&
      at(state.volume, "persistentVolumeClaim") === undefined)
  ) {
    bad(
      "state-volume",
      `${where}: store.path ${config.store.path} is not on a writable emptyDir or PVC`,
    );
  } else if (
    limit !== undefined &&
    !(config.store.maxSizeBytes !== undefined && config.store.maxSizeBytes < quantityBytes(limit))
  ) {
    bad(
      "state-volume",
      `${where}: store.maxSizeBytes must be set below the state volume's sizeLimit ${limit}`,
    );
  }
  if (at(volumeAt(pod, c, "/tmp")?.volume, "emptyDir") === undefined) {
    bad("tmp-volume", `${where}: /tmp must be an emptyDir`);
  }
  for (const file of [
    config.events.nats.tokenFile,
    config.events.nats.passwordFile,
    config.api.tokenFile,
  ]) {
    if (file === undefined) continue;
    const secret = index.find(
      "Secret",
      text(volumeAt(pod, c, dirOf(file))?.volume, "secret", "secretName"),
      ns,
    );
    if (
      at(secret, "data", baseOf(file)) === undefined &&
      at(secret, "stringData", baseOf(file)) === undefined
    ) {
      bad("secret-mount", `${where}: ${file} is not a key of a Secret mounted at ${dirOf(file)}`);
    }
  }
}

/** Checks every workload's pod: containers, service account, volumes, kube-lookout configs. */
function checkWorkloads(index: Index, bad: Report, found: LookoutContainer[]): void {
  const bindings = [...index.ofKind("RoleBinding"), ...index.ofKind("ClusterRoleBinding")];
  for (const w of index.objects.filter((o) => WORKLOADS.has(String(o["kind"])))) {
    const ns = text(w, "metadata", "namespace");
    const wid = `${String(w["kind"])}/${text(w, "metadata", "name") ?? "?"}`;
    const pod = at(w, "spec", "template", "spec");
    if (!isRecord(pod)) continue;
    const sa = text(pod, "serviceAccountName") ?? "default";
    const bound = bindings.some((b) =>
      records(b, "subjects").some(
        (s) => s["kind"] === "ServiceAccount" && s["name"] === sa && s["namespace"] === ns,
      ),
    );
    if (
      pod["automountServiceAccountToken"] !== false &&
      (index.find("ServiceAccount", sa, ns) === undefined || !bound)
    ) {
      bad(
        "service-account",
        `${wid}: service account ${sa} is not in the render or bound to no role`,
      );
    }
    for (const v of records(pod, "volumes")) {
      const cm = text(v, "configMap", "name");
      const secret = text(v, "secret", "secretName");
      if (
        (cm !== undefined && index.find("ConfigMap", cm, ns) === undefined) ||
        (secret !== undefined && index.find("Secret", secret, ns) === undefined)
      ) {
        bad("volume", `${wid}: volume ${String(v["name"])} refers to an object not in the render`);
      }
    }
    for (const c of records(pod, "containers")) {
      const where = `${wid}/${String(c["name"])}`;
      checkSecurity(pod, c, where, bad);
      if (!isLookout(c)) continue;
      const config = lookoutConfig(index, ns, pod, c, where, bad);
      if (config === undefined) continue;
      checkLookout(index, ns, pod, c, config, where, bad);
      found.push({ workload: wid, container: String(c["name"]), config });
    }
  }
}

/** `Kind/name` of an object, for messages. */
const id = (o: Obj): string => `${String(o["kind"])}/${text(o, "metadata", "name") ?? "?"}`;

/** Selectors (Services, NetworkPolicies, PDBs, monitors) select what exists; bindings resolve. */
function checkReferences(index: Index, bad: Report): void {
  const pods = index.objects
    .filter((o) => WORKLOADS.has(String(o["kind"])))
    .map((w) => ({
      ns: text(w, "metadata", "namespace"),
      labels: stringMap(w, "spec", "template", "metadata", "labels"),
      containers: records(w, "spec", "template", "spec", "containers"),
    }));
  const podsOf = (o: Obj, ...path: string[]): typeof pods =>
    pods.filter(
      (p) => p.ns === text(o, "metadata", "namespace") && selects(stringMap(o, ...path), p.labels),
    );
  for (const svc of index.ofKind("Service")) {
    const selected = podsOf(svc, "spec", "selector");
    if (selected.length === 0) bad("selector", `${id(svc)}: selects no pod`);
    for (const port of records(svc, "spec", "ports")) {
      if (
        !selected.every((p) =>
          p.containers.some((c) => portNumber(c, port["targetPort"] ?? port["port"]) !== undefined),
        )
      ) {
        bad(
          "selector",
          `${id(svc)}: targetPort ${String(port["targetPort"])} is no container port`,
        );
      }
    }
  }
  for (const o of [...index.ofKind("NetworkPolicy"), ...index.ofKind("PodDisruptionBudget")]) {
    const path =
      o["kind"] === "NetworkPolicy"
        ? ["spec", "podSelector", "matchLabels"]
        : ["spec", "selector", "matchLabels"];
    if (podsOf(o, ...path).length === 0) bad("selector", `${id(o)}: selects no pod`);
  }
  for (const sm of index.ofKind("ServiceMonitor")) {
    const services = index
      .ofKind("Service")
      .filter(
        (s) =>
          text(s, "metadata", "namespace") === text(sm, "metadata", "namespace") &&
          selects(
            stringMap(sm, "spec", "selector", "matchLabels"),
            stringMap(s, "metadata", "labels"),
          ),
      );
    const ok = records(sm, "spec", "endpoints").every((e) =>
      services.some((s) => records(s, "spec", "ports").some((p) => p["name"] === e["port"])),
    );
    if (services.length === 0 || !ok)
      bad("selector", `${id(sm)}: selects no Service with its endpoint ports`);
  }
  for (const pm of index.ofKind("PodMonitor")) {
    const selected = podsOf(pm, "spec", "selector", "matchLabels");
    const ok = records(pm, "spec", "podMetricsEndpoints").every((e) =>
      selected.some((p) => p.containers.some((c) => portNumber(c, e["port"]) !== undefined)),
    );
    if (selected.length === 0 || !ok)
      bad("selector", `${id(pm)}: selects no pod with its endpoint ports`);
  }
  for (const b of [...index.ofKind("RoleBinding"), ...index.ofKind("ClusterRoleBinding")]) {
    const refKind = text(b, "roleRef", "kind") ?? "";
    const ns = refKind === "Role" ? text(b, "metadata", "namespace") : undefined;
    if (index.find(refKind, text(b, "roleRef", "name"), ns) === undefined)
      bad(
        "binding",
        `${id(b)}: roleRef ${refKind}/${text(b, "roleRef", "name") ?? "?"} is not in the render`,
      );
    for (const s of records(b, "subjects").filter((x) => x["kind"] === "ServiceAccount")) {
      if (index.find("ServiceAccount", text(s, "name"), text(s, "namespace")) === undefined)
        bad(
          "binding",
          `${id(b)}: subject ${text(s, "namespace") ?? "?"}/${text(s, "name") ?? "?"} is not in the render`,
        );
    }
  }
}

/** Every problem of a render; the kube-lookout containers found go to `found`. */
function inspect(render: Render): { problems: Problem[]; found: LookoutContainer[] } {
  const problems: Problem[] = [];
  const found: LookoutContainer[] = [];
  const bad: Report = (code, message) =>
    void problems.push({ code, message: `${render.name}: ${message}` });
  const index = new Index(render.objects);
  if (index.objects.length !== render.objects.length)
    bad("identity", "a document is not an object");
  for (const obj of index.objects) checkObject(obj, bad);
  checkWorkloads(index, bad, found);
  checkReferences(index, bad);
  if (found.length === 0) bad("no-lookout", "no kube-lookout container in the render");
  return { problems, found };
}

/** Every problem of a render ([] when it passes). */
export const checkRender = (render: Render): Problem[] => inspect(render).problems;

/** The kube-lookout containers of a render with their configurations. */
export const configsOf = (render: Render): LookoutContainer[] => inspect(render).found;

/** base, and every directory with a kustomization.yaml under overlays/ and examples/. */
export function kustomizations(): string[] {
  const found = ["base"];
  for (const group of ["overlays", "examples"]) {
    const dir = join(REPO_ROOT, "manifests", group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(dir, entry.name, "kustomization.yaml"))) {
        found.push(`${group}/${entry.name}`);
      }
    }
  }
  return found;
}
