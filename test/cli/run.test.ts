/**
 * `kube-lookout run` as a child process against the simulator: it serves its cache and
 * /metrics, says ready, and stops cleanly on SIGTERM; bad input ends it with clear errors.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { startSimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";

after(assertNoActiveHandles);

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

const INGRESS = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web
`;

function start(
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [CLI, "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "", ...env },
  });
  let text = "";
  child.stdout?.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (text += b.toString()));
  return Object.assign(child, { out: () => text });
}

async function logLine(child: ReturnType<typeof start>, msg: string, ms = 20_000): Promise<object> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const line of child.out().split("\n")) {
      if (!line.startsWith("{")) continue;
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === "object" && parsed !== null && Reflect.get(parsed, "msg") === msg) {
        return parsed;
      }
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`no "${msg}" log line; output:\n${child.out()}`);
    }
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling the output
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

void test("run: serves the cache and /metrics, gets ready, and stops on SIGTERM with exit 0", async (t) => {
  const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
  t.after(() => sim.close());
  sim.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "a" },
  });
  sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS });
  const dir = await mkdtemp(join(tmpdir(), "kl-run-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kubeconfig"), sim.kubeConfigYaml());
  await writeFile(
    join(dir, "config.yaml"),
    [
      "cluster: { name: sim }",
      "watch:",
      "  - { version: v1, resource: configmaps }",
      `store: { path: ${JSON.stringify(join(dir, "state.db"))} }`,
      "api: { port: 0 }",
      "helm: { maxThreads: 1 }",
      "",
    ].join("\n"),
  );
  const child = start([
    "--config",
    join(dir, "config.yaml"),
    "--kubeconfig",
    join(dir, "kubeconfig"),
  ]);
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const running = await logLine(child, "kube-lookout running");
  const url = String(Reflect.get(running, "url"));
  await logLine(child, "kube-lookout ready");
  const list: unknown = await (await fetch(`${url}/api/v1/namespaces/a/configmaps`)).json();
  assert.equal(Reflect.get(Object(list), "kind"), "ConfigMapList");
  const items: unknown = Reflect.get(Object(list), "items");
  assert.ok(Array.isArray(items) && items.length === 1);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  const get = spawn(
    process.execPath,
    [CLI, "get", "configmaps", "--url", url, "--namespace", "a"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let table = "";
  get.stdout.on("data", (b: Buffer) => (table += b.toString()));
  const [getCode] = await once(get, "exit");
  assert.equal(getCode, 0);
  assert.match(table, /^NAMESPACE\s+NAME\s+AGE\na\s+c\s+\d+[smhd]\n$/);
  // kubectl's short flags: -n and -o json.
  const getJson = spawn(
    process.execPath,
    [CLI, "get", "configmaps", "--url", url, "-n", "a", "-o", "json"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let json = "";
  getJson.stdout.on("data", (b: Buffer) => (json += b.toString()));
  const [jsonCode] = await once(getJson, "exit");
  assert.equal(jsonCode, 0);
  const listed: unknown = JSON.parse(json);
  assert.ok(Array.isArray(listed) && listed.length === 1);
  assert.equal(Reflect.get(Object(listed[0]), "metadata")?.name, "c");
  // One object: with -n it is found; without, the path is cluster-scoped and the error says
  // what is missing.
  const one = { out: "", err: "" };
  const io = {
    stdout: (s: string) => void (one.out += s),
    stderr: (s: string) => void (one.err += s),
  };
  assert.equal(
    await main(["get", "configmaps", "c", "--url", url, "-n", "a", "-o", "json"], io),
    0,
  );
  assert.equal(Reflect.get(Object(JSON.parse(one.out)), "metadata")?.name, "c");
  assert.equal(await main(["get", "configmaps", "c", "--url", url], io), 1);
  assert.match(one.err, /404.*needs -n NAMESPACE/);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /kube_lookout_helm_findings\{[^}]*helm_release_name="web"/);
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0, child.out());
  await logLine(child, "kube-lookout stopping");
});

void test("run: a resource the cluster does not serve, a bad config, an unreachable cluster and no cluster are clear errors (exit 1)", async (t) => {
  const sim = await startSimulatedCluster();
  t.after(() => sim.close());
  const dir = await mkdtemp(join(tmpdir(), "kl-run-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kubeconfig"), sim.kubeConfigYaml());
  await writeFile(
    join(dir, "unknown.yaml"),
    `watch:\n  - { group: example.com, version: v1, resource: widgets }\nstore: { path: ${JSON.stringify(join(dir, "s.db"))} }\n`,
  );
  await writeFile(join(dir, "bad.yaml"), "store: { synchronous: SOMETIMES }\n");
  await writeFile(join(dir, "broken-kubeconfig"), "foo: [\n");
  // A kubeconfig whose server has stopped: discovery's own error is named, not "does not serve".
  const stopped = await startSimulatedCluster();
  await writeFile(join(dir, "dead"), stopped.kubeConfigYaml());
  await stopped.close();
  await writeFile(
    join(dir, "namespaces.yaml"),
    `watch:\n  - { version: v1, resource: namespaces }\nstore: { path: ${JSON.stringify(join(dir, "n.db"))} }\n`,
  );
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ["--config", join(dir, "unknown.yaml"), "--kubeconfig", join(dir, "kubeconfig")],
      {},
      /does not serve example\.com\/v1\/widgets/,
    ],
    [["--config", join(dir, "bad.yaml")], {}, /store\.synchronous/],
    [
      ["--config", join(dir, "namespaces.yaml"), "--kubeconfig", join(dir, "dead")],
      {},
      /cannot read the cluster's API discovery \(GET \/api\/v1\): .*ECONNREFUSED.*\(LOOKOUT_CLI_DISCOVERY\)/,
    ],
    [
      ["--config", join(dir, "unknown.yaml")],
      { HOME: dir },
      /no cluster to connect to.*kube-lookout demo/s,
    ],
    // A kubeconfig that is not YAML: the file and the flag are named.
    [
      ["--config", join(dir, "unknown.yaml"), "--kubeconfig", join(dir, "broken-kubeconfig")],
      {},
      /--kubeconfig \S+\/broken-kubeconfig: cannot load it: /,
    ],
    // $KUBECONFIG naming a file that is not there: the variable and the file are named.
    [
      ["--config", join(dir, "unknown.yaml")],
      { KUBECONFIG: join(dir, "missing-kubeconfig") },
      /\$KUBECONFIG \S+\/missing-kubeconfig: cannot load it: ENOENT/,
    ],
    // A NATS token file that cannot be read: the configuration key is named.
    [
      [
        "--config",
        join(dir, "namespaces.yaml"),
        "--kubeconfig",
        join(dir, "kubeconfig"),
        "--set",
        "events.enabled=true",
        "--set",
        "events.nats.servers=nats://127.0.0.1:1",
        "--set",
        `events.nats.tokenFile=${join(dir, "no-token")}`,
      ],
      {},
      /events\.nats\.tokenFile \S+\/no-token: cannot read it: ENOENT/,
    ],
  ];
  for (const [args, env, expected] of cases) {
    const child = start(args, env);
    // oxlint-disable-next-line eslint/no-await-in-loop -- one child at a time
    const [code] = await once(child, "exit");
    assert.equal(code, 1, child.out());
    assert.match(child.out(), expected);
  }
});
