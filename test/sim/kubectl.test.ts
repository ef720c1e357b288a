/**
 * Fidelity: kubectl talks to the simulated cluster (skipped when kubectl is not installed).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import type { SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles, cluster } from "./support.ts";
import type { Json } from "./support.ts";

after(assertNoActiveHandles);

const KUBECTL = "/usr/bin/kubectl";
const skip = existsSync(KUBECTL) ? false : `kubectl not found at ${KUBECTL}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function kubectlFor(t: TestContext, c: SimulatedCluster) {
  const dir = await mkdtemp(join(tmpdir(), "sim-kubectl-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, c.kubeConfigYaml());
  return (args: string[], stdin?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        KUBECTL,
        ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args],
        { env: { ...process.env, HOME: dir }, timeout: 20_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(stdin ?? "");
    });
}

void test(
  "kubectl: get pods -A -o json, get ns, get deployments -o name, get --raw /version",
  { skip },
  async (t) => {
    const c = await cluster(t, { gitVersion: "v1.32.3" });
    c.load.seed("pods", 3);
    c.create("apps/v1/deployments", {
      metadata: { name: "web", namespace: "shop" },
      spec: { replicas: 2 },
    });
    const kubectl = await kubectlFor(t, c);

    const pods = await kubectl(["get", "pods", "-A", "-o", "json"]);
    assert.equal(pods.code, 0, pods.stderr);
    const list: Json = JSON.parse(pods.stdout);
    assert.equal(list.items.length, 3);
    assert.deepEqual(
      list.items.map((p: Json) => p.metadata.name),
      c.list("pods").map((p) => p.metadata.name),
    );

    const ns = await kubectl(["get", "ns"]);
    assert.equal(ns.code, 0, ns.stderr);
    const rows = ns.stdout.trim().split("\n");
    assert.match(rows[0]!, /^NAME\s+AGE$/);
    assert.deepEqual(
      rows.slice(1).map((r) => r.split(/\s+/)[0]),
      ["default", "kube-node-lease", "kube-public", "kube-system"],
    );

    const table = await kubectl(["get", "pods", "-A"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAMESPACE\s+NAME\s+AGE/);
    assert.equal(table.stdout.trim().split("\n").length, 4);

    const deps = await kubectl(["get", "deployments", "-n", "shop", "-o", "name"]);
    assert.equal(deps.code, 0, deps.stderr);
    assert.equal(deps.stdout.trim(), "deployment.apps/web");

    const version = await kubectl(["get", "--raw", "/version"]);
    assert.equal(version.code, 0, version.stderr);
    const v: Json = JSON.parse(version.stdout);
    assert.equal(v.gitVersion, "v1.32.3");
    assert.equal(v.minor, "32");

    const missing = await kubectl(["get", "pod", "nope", "-n", "default"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound/);
  },
);

void test("kubectl: create -f - of a ConfigMap, then delete", { skip }, async (t) => {
  const c = await cluster(t);
  const kubectl = await kubectlFor(t, c);
  const manifest = [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: settings",
    "data:",
    '  mode: "fast"',
    "",
  ].join("\n");
  const created = await kubectl(["create", "-f", "-"], manifest);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), "configmap/settings created");
  assert.deepEqual(c.get("configmaps", "default", "settings")?.["data"], { mode: "fast" });

  const again = await kubectl(["create", "-f", "-"], manifest);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /AlreadyExists/);

  const deleted = await kubectl(["delete", "configmap", "settings"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(c.get("configmaps", "default", "settings"), undefined);
});
