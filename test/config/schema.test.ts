import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigInvalidError, resolveConfig } from "../../src/config/index.ts";
import { problemAt, problemsOf } from "./support.ts";

void test("an empty file (or none) gives every default", () => {
  for (const text of [undefined, "", "# only a comment\n"]) {
    const c = resolveConfig({ env: {}, ...(text === undefined ? {} : { text }) });
    assert.equal(c.cluster.name, "default");
    assert.equal(c.kube.inCluster, "auto");
    assert.deepEqual(c.watch, []);
    assert.equal(c.helm.enabled, true);
    assert.equal(c.helm.drivers, "both");
    assert.deepEqual(c.helm.statuses, ["deployed"]);
    assert.deepEqual(c.helm.targets, { offsets: [0, 1, 2] });
    assert.equal(c.helm.fullScanInterval, 900);
    assert.equal(c.helm.pageSize, 256);
    assert.deepEqual(c.store, {
      path: "kube-lookout.db",
      synchronous: "FULL",
      busyTimeoutMs: 5000,
    });
    assert.equal(c.events.enabled, false);
    assert.deepEqual(c.events.nats, { servers: [] });
    assert.equal(c.events.prefix, "kl");
    assert.equal(c.events.mode, "jetstream");
    assert.deepEqual(c.events.stream, {
      name: "KUBE_LOOKOUT",
      maxAge: 86_400,
      maxBytes: 1024 ** 3,
      duplicateWindow: 120,
      storage: "file",
      replicas: 1,
    });
    assert.equal(c.events.batchSize, 500);
    assert.equal(c.events.batchDelay, 0.05);
    assert.equal(c.events.fullPolicy, "block");
    assert.equal(c.events.maxInFlight, 256);
    assert.equal(c.events.ackTimeout, 5);
    assert.deepEqual(c.telemetry, {
      prometheus: true,
      otlp: { headers: {} },
      cardinalityLimit: 2000,
    });
    assert.deepEqual(c.api, { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(c.plugins, []);
    assert.deepEqual(c.leaderElection, {
      enabled: false,
      leaseName: "kube-lookout",
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
    assert.equal(c.logLevel, "info");
  }
});

void test("a watch entry gets its defaults; namespaces take all three forms", () => {
  const c = resolveConfig({
    env: {},
    text: `watch:
  - { version: v1, resource: pods }
  - { group: apps, version: v1, resource: deployments, namespaces: [a, b] }
  - { version: v1, resource: services, namespaces: { labelSelector: team=x } }
`,
  });
  assert.deepEqual(c.watch[0], {
    group: "",
    version: "v1",
    resource: "pods",
    namespaces: "all",
    resyncSeconds: 0,
    pageSize: 500,
    dropFields: [],
    feeds: ["events", "cache", "metrics"],
  });
  assert.deepEqual(c.watch[1]?.namespaces, ["a", "b"]);
  assert.deepEqual(c.watch[2]?.namespaces, { labelSelector: "team=x" });
});

interface BadCase {
  readonly yaml: string;
  readonly path: string;
  readonly value: string | undefined;
  readonly allowed: RegExp;
}

const BAD: readonly BadCase[] = [
  {
    yaml: "cluster: { name: 'a b' }",
    path: "cluster.name",
    value: '"a b"',
    allowed: /letters, digits/,
  },
  {
    yaml: "kube: { inCluster: maybe }",
    path: "kube.inCluster",
    value: '"maybe"',
    allowed: /"auto", true or false/,
  },
  {
    yaml: "watch: [{ resource: pods }]",
    path: "watch[0].version",
    value: undefined,
    allowed: /required; expected string/,
  },
  {
    yaml: "watch: [{ version: 1, resource: pods }]",
    path: "watch[0].version",
    value: "1",
    allowed: /expected string/,
  },
  {
    yaml: "watch: [{ version: v1, resource: Pods }]",
    path: "watch[0].resource",
    value: '"Pods"',
    allowed: /lower-case plural/,
  },
  {
    yaml: "watch: [{ version: v1, resource: pods, namespaces: some }]",
    path: "watch[0].namespaces",
    value: '"some"',
    allowed: /"all", a non-empty list of namespace names, or \{ labelSelector/,
  },
  {
    yaml: "watch: [{ version: v1, resource: pods, pageSize: 0 }]",
    path: "watch[0].pageSize",
    value: "0",
    allowed: /≥ 1/,
  },
  {
    yaml: "watch: [{ version: v1, resource: pods, dropFields: [metadata] }]",
    path: "watch[0].dropFields[0]",
    value: '"metadata"',
    allowed: /JSON pointer/,
  },
  {
    yaml: "watch: [{ version: v1, resource: pods, feeds: [] }]",
    path: "watch[0].feeds",
    value: "[]",
    allowed: /at least 1 item/,
  },
  {
    yaml: "watch: [{ version: v1, resource: pods, feeds: [logs] }]",
    path: "watch[0].feeds[0]",
    value: '"logs"',
    allowed: /"events" or "cache" or "metrics"/,
  },
  {
    yaml: "helm: { drivers: sql }",
    path: "helm.drivers",
    value: '"sql"',
    allowed: /"secrets" or "configmaps" or "both"/,
  },
  {
    yaml: "helm: { statuses: [] }",
    path: "helm.statuses",
    value: "[]",
    allowed: /at least 1 item/,
  },
  {
    yaml: "helm: { targets: { offsets: [-1] } }",
    path: "helm.targets.offsets[0]",
    value: "-1",
    allowed: /≥ 0/,
  },
  { yaml: "helm: { maxThreads: 2.5 }", path: "helm.maxThreads", value: "2.5", allowed: /integer/ },
  {
    yaml: "helm: { fullScanInterval: -5 }",
    path: "helm.fullScanInterval",
    value: "-5",
    allowed: /duration/,
  },
  {
    yaml: "store: { synchronous: OFF }",
    path: "store.synchronous",
    value: '"OFF"',
    allowed: /"FULL" or "NORMAL"/,
  },
  { yaml: "store: { path: '' }", path: "store.path", value: '""', allowed: /at least 1 character/ },
  {
    yaml: "store: { busyTimeoutMs: -1 }",
    path: "store.busyTimeoutMs",
    value: "-1",
    allowed: /≥ 0/,
  },
  {
    yaml: "events: { nats: { servers: [http://x] } }",
    path: "events.nats.servers[0]",
    value: '"http://x"',
    allowed: /NATS URL/,
  },
  {
    yaml: "events: { mode: pubsub }",
    path: "events.mode",
    value: '"pubsub"',
    allowed: /"jetstream" or "core"/,
  },
  {
    yaml: "events: { fullPolicy: drop }",
    path: "events.fullPolicy",
    value: '"drop"',
    allowed: /"block" or "drop-oldest"/,
  },
  {
    yaml: "events: { stream: { replicas: 7 } }",
    path: "events.stream.replicas",
    value: "7",
    allowed: /≤ 5/,
  },
  {
    yaml: "events: { stream: { storage: disk } }",
    path: "events.stream.storage",
    value: '"disk"',
    allowed: /"file" or "memory"/,
  },
  {
    yaml: "events: { prefix: 'a b' }",
    path: "events.prefix",
    value: '"a b"',
    allowed: /subject tokens/,
  },
  {
    yaml: "events: { includeObject: yes please }",
    path: "events.includeObject",
    value: '"yes please"',
    allowed: /boolean/,
  },
  {
    yaml: "telemetry: { otlp: { endpoint: 'ftp://x' } }",
    path: "telemetry.otlp.endpoint",
    value: '"ftp://x"',
    allowed: /http\(s\) URL/,
  },
  {
    yaml: "telemetry: { cardinalityLimit: 0 }",
    path: "telemetry.cardinalityLimit",
    value: "0",
    allowed: /≥ 1/,
  },
  { yaml: "api: { port: 70000 }", path: "api.port", value: "70000", allowed: /≤ 65535/ },
  {
    yaml: "plugins: [{ config: {} }]",
    path: "plugins[0]",
    value: '{"config":{}}',
    allowed: /exactly one of name or module/,
  },
  {
    yaml: "leaderElection: { leaseNamespace: 'Kube_System' }",
    path: "leaderElection.leaseNamespace",
    value: '"Kube_System"',
    allowed: /namespace name/,
  },
  {
    yaml: "logLevel: verbose",
    path: "logLevel",
    value: '"verbose"',
    allowed: /"debug" or "info" or "warn" or "error"/,
  },
];

void test("each section: a bad value is named by key, value and what is allowed", () => {
  for (const c of BAD) {
    const problem = problemAt(problemsOf({ text: c.yaml }), c.path);
    assert.equal(problem.value, c.value, c.yaml);
    assert.match(problem.message, c.allowed, c.yaml);
    assert.equal(problem.source, "file", c.yaml);
  }
});

void test("each section: good values pass", () => {
  const c = resolveConfig({
    env: {},
    text: `
kube: { inCluster: false, kubeconfig: /k, context: dev }
helm: { drivers: secrets, targets: { versions: [v1.32] }, maxThreads: 2 }
store: { synchronous: NORMAL, maxSizeBytes: 1048576 }
events: { enabled: true, nats: { servers: [tls://n:4222], user: u, passwordFile: /p }, mode: core }
telemetry: { otlp: { endpoint: "https://otel:4318/v1/metrics", headers: { x-team: a } } }
api: { host: 0.0.0.0, port: 0 }
plugins: [{ name: stream-delay }, { module: ./p.mjs, config: { anything: [1] } }]
leaderElection: { enabled: true, leaseDurationSeconds: 30s, renewDeadlineSeconds: 20s, retryPeriodSeconds: 5s }
logLevel: debug
`,
  });
  assert.equal(c.kube.inCluster, false);
  assert.deepEqual(c.helm.targets.versions, ["v1.32"]);
  assert.equal(c.store.maxSizeBytes, 1_048_576);
  assert.equal(c.events.nats.user, "u");
  assert.equal(c.telemetry.otlp.endpoint, "https://otel:4318/v1/metrics");
  assert.deepEqual(c.plugins[1], { module: "./p.mjs", config: { anything: [1] } });
  assert.equal(c.leaderElection.renewDeadlineSeconds, 20);
});

void test("cross-key checks: events without servers, password without user, lease timings, a watch twice", () => {
  let problems = problemsOf({ text: "events: { enabled: true }" });
  assert.match(problemAt(problems, "events.nats.servers").message, /at least one NATS URL/);
  problems = problemsOf({ text: "events: { nats: { passwordFile: /p } }" });
  assert.match(problemAt(problems, "events.nats.user").message, /user with passwordFile/);
  problems = problemsOf({
    text: "leaderElection: { leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }",
  });
  assert.match(
    problemAt(problems, "leaderElection.renewDeadlineSeconds").message,
    /less than leaseDurationSeconds/,
  );
  problems = problemsOf({ text: "leaderElection: { retryPeriodSeconds: 9 }" });
  assert.match(
    problemAt(problems, "leaderElection.retryPeriodSeconds").message,
    /1\.2 × retryPeriodSeconds/,
  );
  problems = problemsOf({
    text: `watch:
  - { version: v1, resource: pods, namespaces: [a, b], labelSelector: "x=1, y=2" }
  - { version: v1, resource: pods, namespaces: [b, a], labelSelector: "x=1,y=2", pageSize: 10 }
`,
  });
  const dup = problemAt(problems, "watch[1]");
  assert.match(dup.message, /different from watch\[0\]/);
  assert.equal(dup.line, 3);
});

void test("secrets are never inline: token/password keys are refused, naming the file key", () => {
  for (const [yaml, path, fileKey] of [
    ["events: { nats: { token: s3cret } }", "events.nats.token", "tokenFile"],
    ["events: { nats: { password: s3cret } }", "events.nats.password", "passwordFile"],
    ["api: { token: s3cret }", "api.token", "tokenFile"],
  ] as const) {
    const problems = problemsOf({ text: yaml });
    const p = problemAt(problems, path);
    assert.equal(p.value, "***", "the secret is not echoed");
    assert.equal(p.suggestion, fileKey);
    assert.match(p.message, /never inline/);
    assert.ok(!JSON.stringify(problems).includes("s3cret"));
  }
});

void test("error messages mask as config print does: URL passwords, secret-looking keys inside a value", () => {
  let problems = problemsOf({
    text: "events: { nats: { servers: ['nats://alice:s3cret@nats:4222 x'] } }",
  });
  assert.equal(
    problemAt(problems, "events.nats.servers[0]").value,
    '"nats://alice:***@nats:4222 x"',
  );
  problems = problemsOf({
    text: "telemetry: { otlp: { endpoint: 'ftp://bob:s3cret@otel:4318' } }",
  });
  assert.equal(problemAt(problems, "telemetry.otlp.endpoint").value, '"ftp://bob:***@otel:4318"');
  problems = problemsOf({
    text: 'plugins: [{"name":"x","module":"y","config":{"password":"s3cret","window":5}}]',
  });
  assert.equal(
    problemAt(problems, "plugins[0]").value,
    '{"name":"x","module":"y","config":{"password":"***","window":5}}',
  );
  problems = problemsOf({
    text: "watch: [{ version: v1, resource: pods, extra: { apiKey: s3cret } }]",
  });
  assert.equal(problemAt(problems, "watch[0].extra").value, '{"apiKey":"***"}');
  problems = problemsOf({ flags: { "events.nats.servers": "[nats://u:s3cret@n:4222/]" } });
  assert.equal(problemAt(problems, "events.nats.servers[0]").value, '"nats://u:***@n:4222/"');
  assert.ok(!JSON.stringify(problems).includes("s3cret"));
  try {
    resolveConfig({ env: {}, text: "telemetry: { otlp: { endpoint: 'ftp://bob:s3cret@otel' } }" });
    assert.fail("expected invalid");
  } catch (error: unknown) {
    assert.ok(error instanceof ConfigInvalidError);
    assert.ok(!error.message.includes("s3cret"), "the error's message holds no secret either");
  }
});
