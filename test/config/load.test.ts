import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  ConfigInvalidError,
  ConfigReadError,
  envName,
  envTable,
  loadConfig,
  parseSetFlags,
  resolveConfig,
} from "../../src/config/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { problemAt, problemsOf } from "./support.ts";

after(assertNoActiveHandles);

const FILE = `store:
  path: /file.db
  synchronous: NORMAL
api:
  port: 1000
logLevel: warn
`;

void test("precedence: defaults < file < env < flags, key by key", () => {
  const fileOnly = resolveConfig({ text: FILE, env: {} });
  assert.equal(fileOnly.store.path, "/file.db");
  assert.equal(fileOnly.store.busyTimeoutMs, 5000, "a default the file leaves");
  const withEnv = resolveConfig({
    text: FILE,
    env: { KUBE_LOOKOUT_STORE_PATH: "/env.db", KUBE_LOOKOUT_API_PORT: "2000", HOME: "/x" },
  });
  assert.equal(withEnv.store.path, "/env.db");
  assert.equal(withEnv.api.port, 2000);
  assert.equal(withEnv.store.synchronous, "NORMAL", "the file's value where env is silent");
  const withFlags = resolveConfig({
    text: FILE,
    env: { KUBE_LOOKOUT_STORE_PATH: "/env.db", KUBE_LOOKOUT_API_PORT: "2000" },
    flags: { "store.path": "/flag.db" },
  });
  assert.equal(withFlags.store.path, "/flag.db");
  assert.equal(withFlags.api.port, 2000);
  assert.equal(withFlags.logLevel, "warn");
});

void test("env: the documented mapping, lists comma-separated, numbers, booleans and durations parsed", () => {
  const c = resolveConfig({
    env: {
      KUBE_LOOKOUT_EVENTS_ENABLED: "true",
      KUBE_LOOKOUT_EVENTS_NATS_SERVERS: "nats://a:4222, nats://b:4222,",
      KUBE_LOOKOUT_EVENTS_BATCH_DELAY: "200ms",
      KUBE_LOOKOUT_EVENTS_STREAM_MAX_AGE: "3600",
      KUBE_LOOKOUT_HELM_TARGETS_OFFSETS: "1,2",
      KUBE_LOOKOUT_STORE_BUSY_TIMEOUT_MS: "100",
      KUBE_LOOKOUT_KUBE_IN_CLUSTER: "false",
      KUBE_LOOKOUT_TELEMETRY_PROMETHEUS: "0",
      KUBE_LOOKOUT_CLUSTER_NAME: "prod",
      KUBE_LOOKOUT_LOG_LEVEL: "",
    },
  });
  assert.equal(c.events.enabled, true);
  assert.deepEqual(c.events.nats.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(c.events.batchDelay, 0.2);
  assert.equal(c.events.stream.maxAge, 3600);
  assert.deepEqual(c.helm.targets.offsets, [1, 2]);
  assert.equal(c.store.busyTimeoutMs, 100);
  assert.equal(c.kube.inCluster, false);
  assert.equal(c.telemetry.prometheus, false);
  assert.equal(c.cluster.name, "prod");
  assert.equal(c.logLevel, "info", "an empty variable counts as unset");
});

void test("env: the table is fixed, unique, and names each variable after its key path", () => {
  const names = envTable.map((v) => v.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(envName(["store", "busyTimeoutMs"]), "KUBE_LOOKOUT_STORE_BUSY_TIMEOUT_MS");
  assert.ok(names.includes("KUBE_LOOKOUT_EVENTS_NATS_SERVERS"));
  assert.ok(!names.some((n) => n.startsWith("KUBE_LOOKOUT_WATCH")), "watch only from the file");
  assert.ok(!names.includes("KUBE_LOOKOUT_TELEMETRY_OTLP_HEADERS"), "maps only from the file");
});

void test("env: an unknown variable is an error with the closest name; a bad value names the variable", () => {
  const problems = problemsOf({
    env: {
      KUBE_LOOKOUT_STORE_PTH: "/x",
      KUBE_LOOKOUT_API_PORT: "eighty",
      KUBE_LOOKOUT_CONFIG: "f",
    },
  });
  const unknown = problemAt(problems, "KUBE_LOOKOUT_STORE_PTH");
  assert.equal(unknown.suggestion, "KUBE_LOOKOUT_STORE_PATH");
  assert.equal(unknown.source, "env");
  const port = problemAt(problems, "api.port");
  assert.equal(port.value, '"eighty"');
  assert.equal(port.origin, "KUBE_LOOKOUT_API_PORT");
  assert.equal(port.line, undefined, "not a file position");
  assert.equal(problems.length, 2, "KUBE_LOOKOUT_CONFIG is the file's name, not a key");
});

void test("flags: key paths with indexes, YAML values, comma lists; a bad one names the flag", () => {
  const c = resolveConfig({
    env: {},
    text: "watch: [{ version: v1, resource: pods }]",
    flags: {
      "watch[0].labelSelector": "app=web",
      "watch[0].pageSize": "50",
      "events.nats.servers": "nats://a:1,nats://b:2",
      "helm.targets.offsets": "[3]",
      "cluster.name": "123",
      "helm.enabled": false,
    },
  });
  assert.equal(c.watch[0]?.labelSelector, "app=web");
  assert.equal(c.watch[0]?.pageSize, 50);
  assert.deepEqual(c.events.nats.servers, ["nats://a:1", "nats://b:2"]);
  assert.deepEqual(c.helm.targets.offsets, [3]);
  assert.equal(c.cluster.name, "123", "a string key takes the text as is");
  assert.equal(c.helm.enabled, false);
  const problems = problemsOf({ flags: { "api.port": "high", "store..path": "x" } });
  assert.equal(problemAt(problems, "api.port").origin, "--set api.port");
  assert.match(problemAt(problems, "store..path").message, /malformed key path/);
  assert.deepEqual(parseSetFlags(["a.b=c=d", "x=1"]), { "a.b": "c=d", x: "1" });
  assert.throws(() => parseSetFlags(["novalue"]), ConfigInvalidError);
});

void test("flags: a list key reads comma-separated text as its variable does, items typed, one value a one-item list", () => {
  const flags = {
    "helm.targets.offsets": "1,2",
    "helm.statuses": "failed",
    "events.nats.servers": "nats://a:1",
  };
  const c = resolveConfig({ env: {}, flags });
  assert.deepEqual(c.helm.targets.offsets, [1, 2]);
  assert.deepEqual(c.helm.statuses, ["failed"]);
  assert.deepEqual(c.events.nats.servers, ["nats://a:1"]);
  assert.deepEqual(
    resolveConfig({ env: {}, flags: { "helm.targets.offsets": "1" } }).helm.targets.offsets,
    [1],
  );
  assert.deepEqual(
    resolveConfig({ env: {}, flags: { "helm.targets.offsets": " 3 , 4 ," } }).helm.targets.offsets,
    [3, 4],
  );
  // The same text through --set and through the variable gives the same value.
  for (const [key, text] of [
    ["helm.targets.offsets", "0,2"],
    ["helm.targets.offsets", "5"],
    ["helm.namespaces", "a, b"],
    ["events.nats.servers", "nats://a:1,tls://b:2"],
  ] as const) {
    const variable = envTable.find((v) => v.path.join(".") === key);
    assert.ok(variable, key);
    const fromFlag = resolveConfig({ env: {}, flags: { [key]: text } });
    const fromEnv = resolveConfig({ env: { [variable.name]: text } });
    assert.deepEqual(fromFlag, fromEnv, `${key}=${text}`);
  }
  const problems = problemsOf({ flags: { "helm.targets.offsets": "1,x,-2" } });
  const bad = problemAt(problems, "helm.targets.offsets[1]");
  assert.equal(bad.value, '"x"');
  assert.equal(bad.origin, "--set helm.targets.offsets");
  assert.match(problemAt(problems, "helm.targets.offsets[2]").message, /≥ 0/);
  assert.equal(problems.length, 2, "1 is a good item");
});

function inCluster(text: string): unknown {
  return resolveConfig({ env: { KUBE_LOOKOUT_KUBE_IN_CLUSTER: text } }).kube.inCluster;
}

void test("env: KUBE_LOOKOUT_KUBE_IN_CLUSTER takes the boolean spellings of every boolean, and auto", () => {
  for (const text of ["true", "TRUE", "yes", "Yes", "1"]) assert.equal(inCluster(text), true, text);
  for (const text of ["false", "no", "NO", "0"]) assert.equal(inCluster(text), false, text);
  assert.equal(inCluster("auto"), "auto");
  for (const text of ["yes", "1", "no", "0"]) {
    assert.equal(
      inCluster(text),
      resolveConfig({ env: { KUBE_LOOKOUT_HELM_ENABLED: text } }).helm.enabled,
      `${text}: as a boolean variable reads it`,
    );
  }
  const p = problemAt(
    problemsOf({ env: { KUBE_LOOKOUT_KUBE_IN_CLUSTER: "maybe" } }),
    "kube.inCluster",
  );
  assert.equal(p.value, '"maybe"');
  assert.equal(p.origin, "KUBE_LOOKOUT_KUBE_IN_CLUSTER");
});

void test("an unknown key is an error with a suggestion when close, and its position", () => {
  const problems = problemsOf({
    file: "lookout.yaml",
    text: "store:\n  synchronus: NORMAL\nevnts: {}\nwatch:\n  - { version: v1, resource: pods, labelSelectr: a=b }\nzzz: 1\n",
  });
  const store = problemAt(problems, "store.synchronus");
  assert.equal(store.suggestion, "synchronous");
  assert.equal(store.line, 2);
  assert.equal(store.column, 3, "at the key, not its value");
  assert.match(store.message, /unknown key; allowed: path, synchronous/);
  assert.equal(problemAt(problems, "evnts").suggestion, "events");
  const watch = problemAt(problems, "watch[0].labelSelectr");
  assert.equal(watch.suggestion, "labelSelector");
  assert.equal(watch.line, 5);
  assert.equal(problemAt(problems, "zzz").suggestion, undefined, "nothing close");
  assert.equal(problems.length, 4, "every problem in one pass");
});

void test("YAML syntax errors carry line and column; a non-mapping top level is refused", () => {
  let problems = problemsOf({ file: "bad.yaml", text: "store:\n  path: x\n  path: y\n" });
  assert.equal(problems[0]?.line, 3);
  assert.match(problems[0]?.message ?? "", /YAML syntax/);
  assert.equal(problems[0]?.column, 3);
  // The parser places this one at the scalar that swallowed the next line: line 2, column 9.
  problems = problemsOf({ text: "api:\n  port: 1\n   host: x\n" });
  assert.equal(problems[0]?.line, 2);
  assert.equal(problems[0]?.column, 9);
  problems = problemsOf({ text: "watch: [1, 2\nstore: {}\n" });
  assert.ok((problems[0]?.line ?? 0) >= 1);
  assert.match(problems[0]?.message ?? "", /YAML syntax/);
  problems = problemsOf({ text: "- a\n- b\n" });
  assert.match(problemAt(problems, "(top level)").message, /mapping/);
});

void test("the error's message lists every problem, one per line, with file:line:column", () => {
  try {
    resolveConfig({ file: "l.yaml", env: {}, text: "api:\n  port: -1\nlogLevel: loud\n" });
    assert.fail("expected invalid");
  } catch (error: unknown) {
    assert.ok(error instanceof ConfigInvalidError);
    const lines = error.message.split("\n");
    assert.equal(lines[0], "invalid configuration (2 problems):");
    assert.ok(lines.includes("l.yaml:2:9: api.port: -1: expected a number ≥ 0"), lines.join("|"));
    assert.ok(lines.some((l) => l.startsWith('l.yaml:3:11: logLevel: "loud": expected')));
  }
});

void test("loadConfig reads the file; an unreadable one rejects with LOOKOUT_CONFIG_UNREADABLE", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lookout-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "lookout.yaml");
  await writeFile(file, FILE);
  const c = await loadConfig({ file, env: { KUBE_LOOKOUT_LOG_LEVEL: "error" } });
  assert.equal(c.store.path, "/file.db");
  assert.equal(c.logLevel, "error");
  await assert.rejects(
    loadConfig({ file: join(dir, "missing.yaml"), env: {} }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigReadError);
      assert.equal(error.code, "LOOKOUT_CONFIG_UNREADABLE");
      assert.ok(error.cause instanceof Error);
      return true;
    },
  );
  await writeFile(file, "api: { port: x }\n");
  await assert.rejects(loadConfig({ file, env: {} }), (error: unknown) => {
    assert.ok(error instanceof ConfigInvalidError);
    assert.equal(error.file, file);
    return true;
  });
});
