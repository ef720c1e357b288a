/**
 * Least privilege, proven: the real sidecar (`kube-lookout run`, a child process) runs with every
 * feature on against the simulator while every request the simulator receives is recorded
 * (`recordRequests`); then each request is checked against the RBAC rendered by
 * `kubectl kustomize` (manifests/base/rbac, and the namespaced-rbac component on top of it).
 * A request no rule allows fails, and so does a rule no request used. The matcher is tested on
 * crafted input first, so the checks cannot pass vacuously.
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import { recordRequests, requestInfo, startSimulatedCluster } from "../../src/sim/index.ts";
import type { RecordedRequest, SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { checkRequests, grantsOf, parseManifests, type Policy } from "./rbac-support.ts";

after(assertNoActiveHandles);

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");
const RBAC = join(ROOT, "manifests/base/rbac");
const COMPONENT = join(ROOT, "manifests/components/namespaced-rbac");
const METRICS_COMPONENT = join(ROOT, "manifests/components/resource-metrics-rbac");
const BASE_CONFIG = join(ROOT, "manifests/base/config.yaml");
const SUBJECT = { namespace: "kube-lookout", name: "kube-lookout" };
const TEAMS = ["team-a", "team-b"];

// ---------------------------------------------------------------- the matcher on crafted input

const MANIFESTS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [list, watch, get] }
  - { apiGroups: [""], resources: [pods/log], verbs: [get] }
  - { nonResourceURLs: [/version, /livez], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: kube-lookout }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: lease, namespace: kube-lookout }
rules:
  - { apiGroups: [coordination.k8s.io], resources: [leases], verbs: [create] }
  - { apiGroups: [coordination.k8s.io], resources: [leases], resourceNames: [lock], verbs: [get, update] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: lease, namespace: kube-lookout }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: lease }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: kube-lookout }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: secrets, namespace: team-a }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: kube-lookout }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: secret-reader }
rules:
  - { apiGroups: [""], resources: [secrets], verbs: [list] }
  - { nonResourceURLs: [/metrics], verbs: [get] }
`;

const req = (method: string, url: string) => requestInfo(method, url);

const CRAFTED = [
  req("GET", "/api"),
  req("GET", "/apis/coordination.k8s.io/v1"),
  req("GET", "/version"),
  req("GET", "/livez"),
  req("GET", "/api/v1/pods?limit=500"),
  req("GET", "/api/v1/pods?watch=1"),
  req("GET", "/api/v1/namespaces/a/pods/p"),
  req("GET", "/api/v1/namespaces/a/pods/p/log"),
  req("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases"),
  req("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases/lock"),
  req("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases/lock"),
  req("GET", "/api/v1/namespaces/team-a/secrets"),
];

void test("rbac matcher: crafted requests against crafted roles (allowed, denied, unused, problems)", () => {
  const policy = grantsOf(parseManifests(MANIFESTS), SUBJECT);
  assert.deepEqual(policy.problems, []);
  // Everything used, everything allowed, except /metrics: a RoleBinding never grants a URL.
  assert.deepEqual(checkRequests(policy.grants, CRAFTED), {
    denied: [],
    unused: ["ClusterRole/secret-reader rules[1]: get /metrics"],
  });
  const denied = (requests: ReturnType<typeof req>[]) =>
    checkRequests(policy.grants, requests).denied;
  assert.deepEqual(
    denied([
      req("GET", "/api/v1/namespaces/a/secrets"), // the secrets grant is in team-a only
      req("GET", "/api/v1/secrets"),
      req("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases/other"), // name
      req("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-lookout/leases"), // no name: list
      req("POST", "/apis/coordination.k8s.io/v1/namespaces/other/leases"), // Role's namespace
      req("GET", "/api/v1/namespaces/a/pods/p/exec"), // subresource not granted
      req("DELETE", "/api/v1/namespaces/a/pods/p"), // verb
      req("GET", "/apis/apps/v1/deployments"), // group
      req("GET", "/metrics"), // URL only through the RoleBinding
      req("GET", "/openapi/v2"), // not discovery
      req("GET", "/apis/apps/v1/extra/x"), // a resource request, not discovery
      req("POST", "/api"), // discovery is get only
    ]),
    [
      'verb "create" on resource "leases" in API group "coordination.k8s.io" in the namespace "other"',
      'verb "delete" on resource "pods" in API group "" in the namespace "a" (name "p")',
      'verb "get" on resource "extra" in API group "apps" at the cluster scope (name "x")',
      'verb "get" on resource "pods/exec" in API group "" in the namespace "a" (name "p")',
      'verb "get" on the non-resource URL "/metrics"',
      'verb "get" on the non-resource URL "/openapi/v2"',
      'verb "list" on resource "deployments" in API group "apps" at the cluster scope',
      'verb "list" on resource "leases" in API group "coordination.k8s.io" in the namespace "kube-lookout"',
      'verb "list" on resource "secrets" in API group "" at the cluster scope',
      'verb "list" on resource "secrets" in API group "" in the namespace "a"',
      'verb "post" on the non-resource URL "/api"',
      'verb "update" on resource "leases" in API group "coordination.k8s.io" in the namespace "kube-lookout" (name "other")',
    ],
  );
});

void test("rbac matcher: a removed rule denies what it allowed; nothing passes on empty input", () => {
  const without = MANIFESTS.replace(
    "resources: [pods], verbs: [list, watch, get]",
    "resources: [pods], verbs: [list, get]",
  ).replace('  - { apiGroups: [""], resources: [pods/log], verbs: [get] }\n', "");
  assert.notEqual(without, MANIFESTS);
  const policy = grantsOf(parseManifests(without), SUBJECT);
  assert.deepEqual(checkRequests(policy.grants, CRAFTED).denied, [
    'verb "get" on resource "pods/log" in API group "" in the namespace "a" (name "p")',
    'verb "watch" on resource "pods" in API group "" at the cluster scope',
  ]);
  // No requests: every rule is unused, so an empty recording cannot pass.
  const full = grantsOf(parseManifests(MANIFESTS), SUBJECT);
  assert.equal(checkRequests(full.grants, []).unused.length, 11);
  // No rules: every request (but discovery) is denied.
  assert.equal(checkRequests([], CRAFTED).denied.length, CRAFTED.length - 2);
});

void test("rbac matcher: wildcards, missing roles and unbound roles are problems", () => {
  const wild = grantsOf(
    parseManifests(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: all }
rules:
  - { apiGroups: ["*"], resources: [pods], verbs: [list] }
  - { apiGroups: [""], resources: ["*/status"], verbs: [get] }
  - { nonResourceURLs: ["/api/*"], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: all }
roleRef: { kind: ClusterRole, name: all }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: kube-lookout }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: gone }
roleRef: { kind: ClusterRole, name: gone }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: kube-lookout }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: lonely }
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: other-subject }
roleRef: { kind: ClusterRole, name: lonely }
subjects: [{ kind: ServiceAccount, name: kube-lookout, namespace: default }]
`),
    SUBJECT,
  );
  assert.deepEqual(wild.problems, [
    "ClusterRole/all rules[0] uses the wildcard *",
    "ClusterRole/all rules[1] uses the wildcard */status",
    "ClusterRole/all rules[2] uses the wildcard /api/*",
    "ClusterRoleBinding/gone refers to ClusterRole/gone, which is not in the manifests",
    "ClusterRole/lonely is bound to no binding of kube-lookout/kube-lookout",
  ]);
  // The wildcards still match as the authorizer would.
  const { denied } = checkRequests(wild.grants, [
    req("GET", "/apis/apps/v1/pods"),
    req("GET", "/api/v1/namespaces/a/pods/p/status"),
  ]);
  assert.deepEqual(denied, []);
});

// ---------------------------------------------------------------- the sidecar, recorded

const exec = promisify(execFile);

/** `kubectl kustomize DIR` parsed, and the subject's policy. */
async function render(dir: string): Promise<Policy> {
  const { stdout } = await exec("kubectl", ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 });
  return grantsOf(parseManifests(stdout), SUBJECT);
}

/** A watch entry of a config file (the keys the test reads). */
interface WatchEntry {
  readonly group?: string;
  readonly version: string;
  readonly resource: string;
  readonly namespaces?: unknown;
}

function isWatchEntry(v: unknown): v is WatchEntry {
  return (
    typeof Reflect.get(Object(v), "version") === "string" &&
    typeof Reflect.get(Object(v), "resource") === "string"
  );
}

/** `group/resource` of a watch entry ("/pods" for the core group). */
const keyOf = (w: WatchEntry): string => `${w.group ?? ""}/${w.resource}`;

/** The shipped config files: manifests/base/config.yaml and manifests/overlays/NAME/config.yaml. */
function shippedConfigs(): { file: string; config: unknown }[] {
  const overlays = join(ROOT, "manifests/overlays");
  const files = [
    BASE_CONFIG,
    ...(existsSync(overlays)
      ? readdirSync(overlays).map((o) => join(overlays, o, "config.yaml"))
      : []),
  ];
  return files
    .filter((f) => existsSync(f))
    .map((file) => ({ file, config: parse(readFileSync(file, "utf8")) as unknown }));
}

/**
 * What the shipped configs watch across all namespaces (every entry without a namespace list, of
 * every config, once) and the Lease name they use; our own list until a config exists.
 */
function shippedClusterWide(): { watch: WatchEntry[]; leaseName: string; sources: string[] } {
  const configs = shippedConfigs();
  const byKey = new Map<string, WatchEntry>();
  const leaseNames = new Set<string>();
  for (const { config } of configs) {
    const watch: unknown = Reflect.get(Object(config), "watch");
    for (const w of Array.isArray(watch) ? watch : []) {
      if (!isWatchEntry(w) || (w.namespaces !== undefined && w.namespaces !== "all")) continue;
      byKey.set(keyOf(w), { ...w, namespaces: "all" });
    }
    const lease: unknown = Reflect.get(
      Object(Reflect.get(Object(config), "leaderElection")),
      "leaseName",
    );
    if (typeof lease === "string") leaseNames.add(lease);
  }
  assert.ok(
    leaseNames.size <= 1,
    `the shipped configs use several Lease names: ${[...leaseNames].join(", ")}`,
  );
  if (byKey.size === 0) {
    return {
      watch: [
        { version: "v1", resource: "pods" },
        { group: "apps", version: "v1", resource: "deployments" },
        { group: "apps", version: "v1", resource: "replicasets" },
        { version: "v1", resource: "namespaces" },
        { version: "v1", resource: "nodes" },
      ],
      leaseName: "kube-lookout",
      sources: ["the test's own list"],
    };
  }
  return {
    watch: [...byKey.values()],
    leaseName: [...leaseNames][0] ?? "kube-lookout",
    sources: configs.map((c) => relative(ROOT, c.file)),
  };
}

/** The namespaced overlay's watch list and Helm namespaces; our own until it exists. */
function shippedNamespaced(): { watch: WatchEntry[]; helmNamespaces: string[]; source: string } {
  const file = join(ROOT, "manifests/overlays/namespaced/config.yaml");
  if (!existsSync(file)) {
    return {
      watch: [
        { version: "v1", resource: "pods", namespaces: TEAMS },
        { group: "apps", version: "v1", resource: "deployments", namespaces: TEAMS },
      ],
      helmNamespaces: TEAMS,
      source: "the test's own list",
    };
  }
  const config: unknown = parse(readFileSync(file, "utf8"));
  const watch: unknown = Reflect.get(Object(config), "watch");
  const helm: unknown = Reflect.get(Object(Reflect.get(Object(config), "helm")), "namespaces");
  assert.ok(Array.isArray(watch) && watch.every(isWatchEntry), `${file}: a watch list`);
  assert.ok(
    Array.isArray(helm) && helm.every((n) => typeof n === "string"),
    `${file}: helm.namespaces`,
  );
  for (const w of watch)
    assert.ok(Array.isArray(w.namespaces), `${file}: ${keyOf(w)} lists its namespaces`);
  return { watch, helmNamespaces: helm, source: relative(ROOT, file) };
}

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
`;

/** Objects of every watched kind, Helm releases on both drivers, usages for metrics.k8s.io. */
function seed(sim: SimulatedCluster, namespaces: readonly string[]): void {
  sim.create("nodes", { metadata: { name: "node-a" } });
  sim.metrics.setNodeUsage("node-a", { cpu: "1", memory: "1Gi" });
  for (const ns of namespaces) {
    sim.create("namespaces", { metadata: { name: ns } });
    const rs = sim.create("apps/v1/replicasets", { metadata: { name: "web-1", namespace: ns } });
    sim.create("apps/v1/deployments", { metadata: { name: "web", namespace: ns }, spec: {} });
    sim.create("pods", {
      metadata: {
        name: "web-1-a",
        namespace: ns,
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "web-1",
            uid: rs.metadata.uid ?? "",
            controller: true,
          },
        ],
      },
      spec: { nodeName: "node-a", containers: [{ name: "app" }] },
    });
    sim.metrics.setPodUsage(ns, "web-1-a", { app: { cpu: "100m", memory: "64Mi" } });
    sim.helm.install({ namespace: ns, name: "web", manifest: MANIFEST, driver: "secret" });
    sim.helm.install({ namespace: ns, name: "db", manifest: MANIFEST, driver: "configmap" });
  }
}

/** Creates, updates and deletes of every watched kind, Helm upgrades, and dropped watches. */
function churn(sim: SimulatedCluster, namespaces: readonly string[], round: number): void {
  for (const ns of namespaces) {
    sim.create("pods", {
      metadata: { name: `churn-${round}`, namespace: ns },
      spec: { containers: [] },
    });
    sim.patch("pods", ns, "web-1-a", { metadata: { labels: { round: String(round) } } });
    if (round > 0) sim.delete("pods", ns, `churn-${round - 1}`);
    sim.patch("apps/v1/deployments", ns, "web", { spec: { replicas: round } });
    sim.patch("apps/v1/replicasets", ns, "web-1", {
      metadata: { labels: { round: String(round) } },
    });
    sim.helm.upgrade(ns, "web", { chartVersion: `1.${round + 1}.0` });
    sim.helm.upgrade(ns, "db", { chartVersion: `1.${round + 1}.0` });
  }
  sim.patch("nodes", "", "node-a", { metadata: { labels: { round: String(round) } } });
  sim.create("namespaces", { metadata: { name: `churn-${round}` } });
  sim.faults.closeWatches(); // every informer watches again from its last resourceVersion
}

function start(args: string[]): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [CLI, "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      KUBECONFIG: "",
      POD_NAMESPACE: SUBJECT.namespace,
      POD_NAME: "kube-lookout-0",
    },
  });
  let text = "";
  child.stdout?.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (text += b.toString()));
  return Object.assign(child, { out: () => text });
}

/** Polls until `done()` holds; fails naming `what` (and the sidecar's output) after `ms`. */
async function until(
  what: string,
  done: () => boolean,
  child: ReturnType<typeof start>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`${what} did not happen; sidecar output:\n${child.out()}`);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function logged(child: ReturnType<typeof start>, msg: string): boolean {
  return child
    .out()
    .split("\n")
    .some((line) => line.startsWith("{") && line.includes(`"msg":"${msg}"`));
}

const count = (
  entries: readonly RecordedRequest[],
  verb: string,
  group: string,
  resource: string,
) =>
  entries.filter(
    (e) =>
      e.isResourceRequest && e.verb === verb && e.apiGroup === group && e.resource === resource,
  ).length;

interface RunOptions {
  readonly watch: readonly WatchEntry[];
  readonly leaseName: string;
  readonly helmNamespaces?: readonly string[];
  /** Default "both". */
  readonly helmDrivers?: "secrets" | "configmaps" | "both";
  readonly plugins: readonly { name: string; config?: object }[];
  /** Every namespace objects are seeded and churned in. */
  readonly namespaces: readonly string[];
  /** Resources whose list (watch-verify rounds) must be seen twice, as `group/resource`. */
  readonly verified: readonly string[];
  readonly metrics: boolean;
  /**
   * Whether the simulator serves streaming lists: with them the informers only watch, without
   * them (an apiserver without the WatchList feature) they list, then watch.
   */
  readonly watchList: boolean;
}

/** Runs the sidecar through start, ready, churn and SIGTERM; resolves with what it requested. */
async function runSidecar(t: TestContext, o: RunOptions): Promise<RecordedRequest[]> {
  const sim = await startSimulatedCluster({ bookmarkIntervalMs: 1000, watchList: o.watchList });
  t.after(() => sim.close());
  const nats = await startNatsServer(t);
  seed(sim, o.namespaces);
  const dir = await mkdtemp(join(tmpdir(), "kl-rbac-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kubeconfig"), sim.kubeConfigYaml());
  const config = {
    cluster: { name: "sim" },
    watch: o.watch,
    helm: {
      drivers: o.helmDrivers ?? "both",
      maxThreads: 1,
      incrementalDelay: "20ms",
      ...(o.helmNamespaces === undefined ? {} : { namespaces: o.helmNamespaces }),
    },
    store: { path: join(dir, "state.db"), synchronous: "NORMAL" },
    api: { port: 0 },
    events: { enabled: true, nats: { servers: [nats.url] }, stream: { storage: "memory" } },
    plugins: o.plugins,
    leaderElection: {
      enabled: true,
      leaseName: o.leaseName,
      leaseDurationSeconds: 2,
      renewDeadlineSeconds: 1.5,
      retryPeriodSeconds: 0.25,
    },
  };
  await writeFile(join(dir, "config.yaml"), JSON.stringify(config, null, 2));
  const log = recordRequests(sim);
  t.after(() => log.stop());
  const child = start([
    "--config",
    join(dir, "config.yaml"),
    "--kubeconfig",
    join(dir, "kubeconfig"),
  ]);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  await until("the sidecar's ready log line", () => logged(child, "kube-lookout ready"), child);
  const leaseUpdates = () => count(log.entries(), "update", "coordination.k8s.io", "leases");
  await until("leading (a Lease renewal)", () => leaseUpdates() > 0, child);
  for (let round = 0; round < 3; round++) {
    churn(sim, o.namespaces, round);
    // oxlint-disable-next-line eslint/no-await-in-loop -- rounds are apart in time on purpose
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const before = log.entries();
  await until(
    "two more watch-verify rounds and resource-metrics polls after the churn",
    () => {
      const now = log.entries();
      const more = (verb: string, group: string, resource: string) =>
        count(now, verb, group, resource) >= count(before, verb, group, resource) + 2;
      return (
        o.verified.every((gr) => {
          const [group = "", resource = ""] = gr.split("/");
          return more("list", group, resource);
        }) &&
        (!o.metrics ||
          (more("list", "metrics.k8s.io", "pods") && more("list", "metrics.k8s.io", "nodes"))) &&
        (o.helmDrivers === "configmaps" || count(now, "get", "", "secrets") > 0) &&
        (o.helmDrivers === "secrets" || count(now, "get", "", "configmaps") > 0)
      );
    },
    child,
  );
  const renewalsBefore = leaseUpdates();
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0, child.out());
  assert.ok(leaseUpdates() > renewalsBefore, "the leader released its Lease on SIGTERM");
  log.stop();
  return log.entries();
}

function assertLeastPrivilege(policy: Policy, requests: readonly RecordedRequest[]): void {
  assert.deepEqual(policy.problems, [], "the rendered RBAC");
  const verdict = checkRequests(policy.grants, requests);
  assert.deepEqual(verdict.denied, [], "requests no rule allows");
  assert.deepEqual(verdict.unused, [], "rules nothing uses");
}

void test("rbac: the sidecar with every feature on needs exactly manifests/base/rbac and the resource-metrics-rbac component", async (t) => {
  const shipped = shippedClusterWide();
  t.diagnostic(
    `watching ${shipped.watch.map(keyOf).join(", ")} from ${shipped.sources.join(", ")}`,
  );
  const overlay = await mkdtemp(join(tmpdir(), "kl-rbac-overlay-"));
  t.after(() => rm(overlay, { recursive: true, force: true }));
  // kustomize takes relative paths only.
  await writeFile(
    join(overlay, "kustomization.yaml"),
    `resources: [${relative(overlay, RBAC)}]\ncomponents: [${relative(overlay, METRICS_COMPONENT)}]\n`,
  );
  const policy = await render(overlay);
  const requests = await runSidecar(t, {
    watch: shipped.watch,
    leaseName: shipped.leaseName,
    plugins: [
      { name: "stream-delay" },
      { name: "watch-verify", config: { intervalSeconds: 0.2 } },
      { name: "resource-metrics", config: { intervalSeconds: 0.2 } },
    ],
    namespaces: TEAMS,
    verified: shipped.watch.map(keyOf),
    metrics: true,
    watchList: false,
  });
  assertLeastPrivilege(policy, requests);
});

void test("rbac: namespaced mode needs exactly the namespaced-rbac component on top of base", async (t) => {
  const shipped = shippedNamespaced();
  t.diagnostic(`watching ${shipped.watch.map(keyOf).join(", ")} from ${shipped.source}`);
  const overlay = await mkdtemp(join(tmpdir(), "kl-rbac-overlay-"));
  t.after(() => rm(overlay, { recursive: true, force: true }));
  // kustomize takes relative paths only.
  await writeFile(
    join(overlay, "kustomization.yaml"),
    `resources: [${relative(overlay, RBAC)}]\ncomponents: [${relative(overlay, COMPONENT)}]\n`,
  );
  const policy = await render(overlay);
  const namespaces = new Set(shipped.helmNamespaces);
  for (const w of shipped.watch) {
    for (const ns of Array.isArray(w.namespaces) ? w.namespaces : []) namespaces.add(String(ns));
  }
  const requests = await runSidecar(t, {
    watch: shipped.watch,
    leaseName: "kube-lookout",
    helmNamespaces: shipped.helmNamespaces,
    plugins: [{ name: "stream-delay" }, { name: "watch-verify", config: { intervalSeconds: 0.2 } }],
    namespaces: [...namespaces],
    verified: shipped.watch.map(keyOf),
    metrics: false,
    watchList: true,
  });
  assert.ok(
    requests.every((r) => !r.isResourceRequest || r.namespace !== ""),
    "namespaced mode makes no cluster-scope resource request",
  );
  assertLeastPrivilege(policy, requests);
});

void test("rbac: with helm.drivers configmaps, the documented patch that drops Secrets is enough", async (t) => {
  const shipped = shippedClusterWide();
  const overlay = await mkdtemp(join(tmpdir(), "kl-rbac-overlay-"));
  t.after(() => rm(overlay, { recursive: true, force: true }));
  // The patch of docs/rbac.md ("Helm on ConfigMaps"), on the rules as they are.
  const doc = readFileSync(join(ROOT, "docs/rbac.md"), "utf8");
  const patch =
    /# kustomization\.yaml of your overlay\nresources: \[\.\.\/\.\.\/base\]\n(patches:\n[^`]*)```/.exec(
      doc,
    );
  assert.ok(patch?.[1] !== undefined, "docs/rbac.md shows the patch");
  await writeFile(
    join(overlay, "kustomization.yaml"),
    `resources: [${relative(overlay, RBAC)}]\n${patch[1]}`,
  );
  const policy = await render(overlay);
  const requests = await runSidecar(t, {
    watch: shipped.watch,
    leaseName: shipped.leaseName,
    helmDrivers: "configmaps",
    plugins: [{ name: "watch-verify", config: { intervalSeconds: 0.2 } }],
    namespaces: TEAMS,
    verified: shipped.watch.map(keyOf),
    metrics: false,
    watchList: true,
  });
  assert.ok(
    requests.every((r) => r.resource !== "secrets"),
    "no request for Secrets with helm.drivers: configmaps",
  );
  // Without resource-metrics the base alone is least privilege: its rules are in a component.
  assertLeastPrivilege(policy, requests);
});
