/**
 * Every kustomization under manifests/ (base, overlays/*, examples/*) rendered by
 * `kubectl kustomize` and every rendered object checked: it round-trips through the
 * `@kubernetes/client-node` model of its kind (a misspelt field is dropped by the model, so
 * the round trip differs), CRD kinds have their shape; each kube-lookout container runs
 * hardened, with probes on its declared port, its config file from a mounted ConfigMap that
 * passes kube-lookout's own validation, the state path on a writable volume, and a service
 * account that exists and is bound. The checks also run on broken renders, so they can fail.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { assertNoActiveHandles } from "../support/handles.ts";
import {
  checkRender,
  configsOf,
  kustomizations,
  portNumber,
  type Render,
} from "./manifest-checks.ts";
import {
  REPO_ROOT,
  at,
  isRecord,
  parseDockerfile,
  records,
  renderKustomize,
  text,
} from "./support.ts";

after(assertNoActiveHandles);

/** The kustomizations that must exist (others under overlays/ and examples/ are checked too). */
const EXPECTED = [
  "base",
  "overlays/prometheus-sidecar",
  "overlays/otel-collector",
  "overlays/standalone-ha",
  "overlays/namespaced",
];

const renders = new Map<string, Render>();
before(async () => {
  const dirs = kustomizations();
  const objects = await Promise.all(
    dirs.map((d) => renderKustomize(join(REPO_ROOT, "manifests", d))),
  );
  dirs.forEach((d, i) => renders.set(d, { name: d, objects: objects[i] ?? [] }));
});

function rendered(name: string): Render {
  const r = renders.get(name);
  assert.ok(r, `${name} was not rendered`);
  return r;
}

const deepCopy = <T>(value: T): T => structuredClone(value);

void test("every expected kustomization exists and renders", () => {
  for (const name of EXPECTED) {
    assert.ok(rendered(name).objects.length > 0, `${name}: rendered nothing`);
  }
});

void test("every rendered object passes the checks", () => {
  for (const render of renders.values()) {
    assert.deepEqual(checkRender(render), [], render.name);
  }
});

void test("base: one replica, the ClusterRole bound to the service account", () => {
  const objects = rendered("base").objects;
  const deployments = objects.filter((o) => text(o, "kind") === "Deployment");
  assert.deepEqual(
    deployments.map((d) => at(d, "spec", "replicas")),
    [1],
  );
  const binding = objects.find((o) => text(o, "kind") === "ClusterRoleBinding");
  assert.equal(text(binding, "roleRef", "name"), "kube-lookout");
  assert.equal(configsOf(rendered("base"))[0]?.config.store.path, "/var/lib/kube-lookout/state.db");
});

void test("base: the pod runs the image as the Dockerfile builds it", () => {
  const df = parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  const final = df.stages.at(-1)?.instructions ?? [];
  const arg = (keyword: string): string | undefined =>
    final.findLast((i) => i.keyword === keyword)?.args;
  const deployment = rendered("base").objects.find((o) => text(o, "kind") === "Deployment");
  const c = records(deployment, "spec", "template", "spec", "containers")[0];
  const config = configsOf(rendered("base"))[0]?.config;
  assert.ok(c && config);
  assert.deepEqual(at(c, "args"), final.findLast((i) => i.keyword === "CMD")?.exec);
  assert.equal(String(at(c, "securityContext", "runAsUser")), arg("USER")?.split(":")[0]);
  assert.equal(String(at(c, "securityContext", "runAsGroup")), arg("USER")?.split(":")[1]);
  assert.deepEqual(
    final.filter((i) => i.keyword === "EXPOSE").map((i) => i.args),
    [String(portNumber(c, "http"))],
  );
  const volume = final.find((i) => i.keyword === "VOLUME")?.exec;
  assert.deepEqual(volume, [config.store.path.slice(0, config.store.path.lastIndexOf("/"))]);
});

void test("prometheus-sidecar: one pod with both containers; Prometheus scrapes localhost", async (t) => {
  const render = rendered("overlays/prometheus-sidecar");
  const pods = render.objects.filter((o) => text(o, "kind") === "Deployment");
  assert.equal(pods.length, 1, "only the Prometheus Deployment");
  const names = records(pods[0], "spec", "template", "spec", "containers").map((c) =>
    String(c["name"]),
  );
  assert.deepEqual(
    names.sort((a, b) => a.localeCompare(b)),
    ["kube-lookout", "prometheus"],
  );
  const port = configsOf(render)[0]?.config.api.port;
  const cm = render.objects.find((o) =>
    (text(o, "metadata", "name") ?? "").startsWith("prometheus-config"),
  );
  const prometheusYml = text(cm, "data", "prometheus.yml") ?? "";
  const scrape: unknown = parseYaml(prometheusYml);
  const targets = records(scrape, "scrape_configs").flatMap((s) =>
    records(s, "static_configs").flatMap((c) => {
      const list = at(c, "targets");
      return Array.isArray(list) ? list : [];
    }),
  );
  assert.deepEqual(targets, [`localhost:${port}`]);
  const dir = await mkdtemp(join(tmpdir(), "kl-deploy-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "prometheus.yml"), prometheusYml);
  const promtool = "/usr/bin/promtool";
  assert.ok(existsSync(promtool), "promtool is needed to check the Prometheus config");
  const { stdout } = await promisify(execFile)(promtool, [
    "check",
    "config",
    join(dir, "prometheus.yml"),
  ]);
  assert.match(stdout, /SUCCESS/);
});

void test("otel-collector: OTLP push to the collector's Service and its otlp receiver", () => {
  const render = rendered("overlays/otel-collector");
  const lookout = configsOf(render).find((c) => c.container === "kube-lookout");
  const endpoint = lookout?.config.telemetry.otlp.endpoint;
  assert.ok(endpoint !== undefined, "telemetry.otlp.endpoint is set");
  const url = new URL(endpoint);
  const [service, namespace] = url.hostname.split(".");
  const svc = render.objects.find(
    (o) =>
      text(o, "kind") === "Service" &&
      text(o, "metadata", "name") === service &&
      text(o, "metadata", "namespace") === namespace,
  );
  assert.ok(svc, `no Service ${url.hostname}`);
  assert.ok(
    records(svc, "spec", "ports").some((p) => String(p["port"]) === url.port),
    `Service ${service} has no port ${url.port}`,
  );
  const cm = render.objects.find((o) =>
    (text(o, "metadata", "name") ?? "").startsWith("otel-collector-config"),
  );
  const collector: unknown = parseYaml(text(cm, "data", "otel-collector.yaml") ?? "");
  assert.equal(
    text(collector, "receivers", "otlp", "protocols", "http", "endpoint"),
    `0.0.0.0:${url.port}`,
  );
  const pipeline = at(collector, "service", "pipelines", "metrics", "receivers");
  assert.deepEqual(pipeline, ["otlp"]);
});

void test("standalone-ha: two replicas, leader election, events, PDB below replicas, monitors", () => {
  const render = rendered("overlays/standalone-ha");
  const deployment = render.objects.find((o) => text(o, "kind") === "Deployment");
  assert.equal(at(deployment, "spec", "replicas"), 2);
  const config = configsOf(render)[0]?.config;
  assert.equal(config?.leaderElection.enabled, true);
  assert.equal(config?.events.enabled, true);
  assert.ok(config?.events.nats.tokenFile !== undefined);
  const pdb = render.objects.find((o) => text(o, "kind") === "PodDisruptionBudget");
  assert.equal(at(pdb, "spec", "minAvailable"), 1);
  assert.ok(render.objects.some((o) => text(o, "kind") === "ServiceMonitor"));
  const example = rendered("examples/podmonitor");
  assert.ok(example.objects.some((o) => text(o, "kind") === "PodMonitor"));
  assert.ok(!example.objects.some((o) => text(o, "kind") === "ServiceMonitor"));
});

void test("namespaced: a RoleBinding in every namespace the config reads, no cluster-wide reads", () => {
  const render = rendered("overlays/namespaced");
  const config = configsOf(render)[0]?.config;
  assert.ok(config);
  const wanted = new Set([
    ...config.watch.flatMap((w) => (Array.isArray(w.namespaces) ? w.namespaces : [])),
    ...(config.helm.namespaces ?? []),
  ]);
  assert.ok(wanted.size > 0);
  const bound = new Set(
    render.objects
      .filter((o) => text(o, "kind") === "RoleBinding")
      .filter((o) => records(o, "subjects").some((s) => s["name"] === "kube-lookout"))
      .map((o) => text(o, "metadata", "namespace")),
  );
  for (const ns of wanted) assert.ok(bound.has(ns), `no RoleBinding in ${ns}`);
  assert.ok(
    config.watch.every((w) => w.namespaces !== "all"),
    "every watch names its namespaces",
  );
  const clusterRole = render.objects.find(
    (o) => text(o, "kind") === "ClusterRole" && text(o, "metadata", "name") === "kube-lookout",
  );
  const resources = records(clusterRole, "rules").flatMap((r) => {
    const list = r["resources"];
    return Array.isArray(list) ? list : [];
  });
  assert.deepEqual(resources, [], "the cluster-wide role grants no resources");
});

/** The base render with one change made by `edit` to the first object of `kind`. */
function broken(kind: string, edit: (obj: Record<string, unknown>) => void, from = "base"): Render {
  const objects = deepCopy(rendered(from).objects);
  const target = objects.find((o) => text(o, "kind") === kind);
  edit(rec(target));
  return { name: `${from}, broken ${kind}`, objects };
}

const codes = (render: Render): string[] => [...new Set(checkRender(render).map((p) => p.code))];

/** `value` as a record; fails the test when it is not one. */
function rec(value: unknown): Record<string, unknown> {
  assert.ok(isRecord(value), `not an object: ${JSON.stringify(value)}`);
  return value;
}

/** The pod volume `name` of a workload. */
function volumeNamed(obj: Record<string, unknown>, name: string): Record<string, unknown> {
  return rec(records(obj, "spec", "template", "spec", "volumes").find((v) => v["name"] === name));
}

function container(obj: Record<string, unknown>): Record<string, unknown> {
  const c = records(obj, "spec", "template", "spec", "containers")[0];
  assert.ok(c);
  return c;
}

void test("the checks fail on broken renders", () => {
  const cases: [Render, string][] = [
    [
      broken("Deployment", (d) => Object.assign(container(d), { imagePullPolicyy: "Always" })),
      "round-trip",
    ],
    [broken("Service", (s) => Object.assign(rec(at(s, "spec")), { selectr: {} })), "round-trip"],
    [broken("Deployment", (d) => Object.assign(d, { kind: "Deploymnt" })), "unknown-kind"],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(at(container(d), "securityContext")), {
          readOnlyRootFilesystem: false,
        }),
      ),
      "security",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(at(container(d), "securityContext")), {
          capabilities: { drop: ["NET_RAW"] },
        }),
      ),
      "security",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(at(container(d), "readinessProbe", "httpGet")), { port: 8080 }),
      ),
      "probe",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(at(container(d), "livenessProbe", "httpGet")), { path: "/readyz" }),
      ),
      "probe",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(container(d), { args: ["run", "--config", "/etc/other/config.yaml"] }),
      ),
      "config-mount",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(at(d, "spec", "template", "spec")), {
          serviceAccountName: "nobody",
        }),
      ),
      "service-account",
    ],
    [
      broken("ConfigMap", (c) =>
        Object.assign(rec(at(c, "data")), { "config.yaml": "api:\n  prot: 1\n" }),
      ),
      "config-invalid",
    ],
    [
      broken("ConfigMap", (c) =>
        Object.assign(rec(at(c, "data")), {
          "config.yaml": "api:\n  host: 0.0.0.0\n  port: 8080\n",
        }),
      ),
      "port",
    ],
    [
      broken("ConfigMap", (c) =>
        Object.assign(rec(at(c, "data")), {
          "config.yaml": "api:\n  host: 0.0.0.0\nstore:\n  path: /data/x.db\n",
        }),
      ),
      "state-volume",
    ],
    [broken("Deployment", (d) => Object.assign(container(d), { env: [] })), "downward-api"],
    [
      broken("Service", (s) => Object.assign(rec(at(s, "spec")), { selector: { app: "other" } })),
      "selector",
    ],
    [
      broken("NetworkPolicy", (n) =>
        Object.assign(rec(at(n, "spec", "podSelector")), { matchLabels: { app: "x" } }),
      ),
      "selector",
    ],
    [
      broken("ClusterRoleBinding", (b) =>
        Object.assign(rec(at(b, "roleRef")), { name: "missing" }),
      ),
      "binding",
    ],
  ];
  const ha = "overlays/standalone-ha";
  const pm = "examples/podmonitor";
  cases.push(
    [
      broken(
        "ServiceMonitor",
        (m) => Object.assign(rec(at(m, "spec", "endpoints", 0)), { intervall: "1m" }),
        ha,
      ),
      "crd-shape",
    ],
    [
      broken(
        "ServiceMonitor",
        (m) => Object.assign(rec(at(m, "spec", "endpoints", 0)), { port: "web" }),
        ha,
      ),
      "selector",
    ],
    [
      broken(
        "PodMonitor",
        (m) => Object.assign(rec(at(m, "spec")), { podMetricsEndpoint: [] }),
        pm,
      ),
      "crd-shape",
    ],
    [
      broken(
        "PodMonitor",
        (m) => Object.assign(rec(at(m, "spec", "selector")), { matchLabels: { a: "b" } }),
        pm,
      ),
      "selector",
    ],
    [broken("Secret", (x) => Object.assign(x, { stringData: { tokn: "x" } }), ha), "secret-mount"],
    [
      broken(
        "PodDisruptionBudget",
        (x) => Object.assign(rec(at(x, "spec", "selector")), { matchLabels: { a: "b" } }),
        ha,
      ),
      "selector",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(rec(volumeNamed(d, "state")["emptyDir"]), {
          sizeLimit: "512Mi",
        }),
      ),
      "state-volume",
    ],
    [
      broken("Deployment", (d) =>
        Object.assign(volumeNamed(d, "tmp"), {
          emptyDir: undefined,
          configMap: { name: "x" },
        }),
      ),
      "tmp-volume",
    ],
    [broken("Deployment", (d) => Object.assign(container(d), { resources: {} })), "resources"],
    [
      broken("Namespace", (n) => Object.assign(rec(at(n, "metadata")), { namespace: "x" })),
      "identity",
    ],
    [{ name: "empty", objects: [] }, "no-lookout"],
  );
  for (const [render, code] of cases) {
    assert.ok(
      codes(render).includes(code),
      `${render.name}: expected ${code}, got ${codes(render).join(", ")}`,
    );
  }
});
