/** `kube-lookout helm check` in cluster mode, against the simulated API server. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test, type TestContext } from "node:test";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { parseReport, run, tempDir } from "./helm-fixtures.ts";

after(assertNoActiveHandles);

const PSP = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n";
const CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n";
const FINE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";

async function cluster(
  t: TestContext,
  gitVersion = "v1.24.3-eks-4f4795d",
): Promise<{ sim: SimulatedCluster; kubeconfig: string }> {
  const sim = await startSimulatedCluster({ gitVersion });
  t.after(() => sim.close());
  const dir = await tempDir(t);
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, sim.kubeConfigYaml());
  return { sim, kubeconfig };
}

void test("cluster mode: findings of the newest deployed revisions at the next minor, exit by status", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: PSP });
  sim.helm.upgrade("shop", "web", { manifest: FINE + "---\n" + CRON });
  sim.helm.install({ namespace: "ops", name: "tools", manifest: FINE, driver: "configmap" });
  sim.helm.putRaw("ops", "broken", 1, "%%%", { driver: "secret" });

  const json = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "json"]);
  assert.equal(json.code, 3, json.err);
  const report = parseReport(json.out);
  assert.equal(report.target, "v1.25.0", "default target: the minor after the cluster's");
  assert.deepEqual(report.findings, [
    {
      namespace: "shop",
      release: "web",
      revision: 2,
      name: "nightly",
      kind: "CronJob",
      apiVersion: "batch/v1beta1",
      deprecatedIn: "v1.21.0",
      removedIn: "v1.25.0",
      replacementApi: "batch/v1",
      status: "removed",
    },
  ]);
  assert.deepEqual(
    report.errors.map((e) => [e.namespace, e.release, e.code]),
    [["ops", "broken", "LOOKOUT_HELM_BAD_BASE64"]],
  );

  const older = await run([
    "helm",
    "check",
    "--kubeconfig",
    kubeconfig,
    "--context",
    "sim",
    "--target-version",
    "v1.22",
    "--format",
    "csv",
  ]);
  assert.equal(older.code, 2, older.err);
  assert.match(older.out, /nightly/);
  assert.match(older.err, /LOOKOUT_HELM_BAD_BASE64/, "csv errors go to stderr");

  sim.helm.uninstall("shop", "web");
  const clean = await run(["helm", "check", "--kubeconfig", kubeconfig]);
  assert.equal(clean.code, 0, clean.err);
});

void test("cluster mode: a forbidden namespace is reported, everything forbidden exits 1", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({ namespace: "a", name: "x", manifest: CRON });
  sim.helm.install({ namespace: "b", name: "y", manifest: CRON });
  sim.faults.forbid({ namespace: "b" });
  const r = await run([
    "helm",
    "check",
    "--kubeconfig",
    kubeconfig,
    "--namespace",
    "a",
    "--namespace",
    "b",
    "--drivers",
    "secrets",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 3, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(
    [...new Set(report.findings.map((f) => [f.namespace, f.release].join("/")))],
    ["a/x"],
  );
  assert.deepEqual(
    report.errors.map((e) => [e.namespace, e.code]),
    [["b", "LOOKOUT_HELM_FORBIDDEN"]],
  );

  sim.faults.forbid({});
  const none = await run(["helm", "check", "--kubeconfig", kubeconfig]);
  assert.equal(none.code, 1);
  assert.match(none.err, /nothing could be read/);
});

void test("cluster mode: an unknown context, a target beyond the table, an unreachable cluster exit 1", async (t) => {
  const { kubeconfig } = await cluster(t, "v1.35.0");
  const context = await run(["helm", "check", "--kubeconfig", kubeconfig, "--context", "nope"]);
  assert.equal(context.code, 1);
  assert.match(context.err, /--context "nope" is not in the kubeconfig/);
  const beyond = await run(["helm", "check", "--kubeconfig", kubeconfig]);
  assert.equal(beyond.code, 1);
  assert.match(beyond.err, /v1\.36\.0 is beyond the deprecation table's coverage/);

  const dir = await tempDir(t);
  const dead = join(dir, "dead");
  await writeFile(
    dead,
    await (async () => {
      const sim = await startSimulatedCluster();
      const yaml = sim.kubeConfigYaml();
      await sim.close();
      return yaml;
    })(),
  );
  const unreachable = await run(["helm", "check", "--kubeconfig", dead, "--timeout", "2"]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.err, /did not complete within 2 s/);
});

/** A kubeconfig naming a server that has stopped (nothing listens at its address). */
async function deadKubeconfig(t: TestContext): Promise<string> {
  const sim = await startSimulatedCluster();
  const yaml = sim.kubeConfigYaml();
  await sim.close();
  const file = join(await tempDir(t), "dead");
  await writeFile(file, yaml);
  return file;
}

void test("cluster mode: a real process waits out --timeout for an unreachable cluster, then exits 1", async (t) => {
  const dead = await deadKubeconfig(t);
  const bin = fileURLToPath(new URL("../../bin/kube-lookout.js", import.meta.url));
  // In a process of its own, nothing but the command keeps the event loop alive.
  const child = spawn(
    process.execPath,
    [bin, "helm", "check", "--kubeconfig", dead, "--timeout", "2"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => child.kill());
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 1, err);
  assert.match(err, /the scan did not complete within 2 s; last error \(/);
  assert.doesNotMatch(err, /unsettled top-level await/);
});

void test("cluster mode: --extra-rows and --component-version work as in files mode", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({
    namespace: "shop",
    name: "widgets",
    manifest: "apiVersion: widgets.example.com/v1beta1\nkind: Widget\nmetadata:\n  name: w\n",
  });
  const rows = join(await tempDir(t), "rows.json");
  await writeFile(
    rows,
    JSON.stringify([
      {
        apiVersion: "widgets.example.com/v1beta1",
        kind: "Widget",
        deprecatedIn: "v2.0.0",
        removedIn: "v3.0.0",
        replacementApi: "widgets.example.com/v1",
        replacementAvailableIn: "v2.0.0",
        component: "widgets",
      },
    ]),
  );
  const at = async (version: string) =>
    run([
      "helm",
      "check",
      "--kubeconfig",
      kubeconfig,
      "--extra-rows",
      rows,
      "--component-version",
      `widgets=${version}`,
      "--format",
      "json",
    ]);
  const older = await at("v1.9.0");
  assert.equal(older.code, 0, older.err);
  const deprecated = await at("v2.1.0");
  assert.equal(deprecated.code, 2, deprecated.err);
  assert.deepEqual(
    parseReport(deprecated.out).findings.map((f) => [f.release, f.kind, f.status]),
    [["widgets", "Widget", "deprecated"]],
  );
  const removed = await at("v3.0.0");
  assert.equal(removed.code, 3, removed.err);
});

void test("cluster mode: bad extra rows, target or component version fail at once, before the cluster is read", async (t) => {
  // The cluster is unreachable: a check that started reading it would end by its timeout.
  const dead = await deadKubeconfig(t);
  const base = ["helm", "check", "--kubeconfig", dead, "--timeout", "60"];
  const missingRows = await run([...base, "--extra-rows", join(dead, "..", "nope", "rows.yaml")]);
  assert.equal(missingRows.code, 1);
  assert.match(missingRows.err, /\(LOOKOUT_HELM_BAD_EXTRA_ROWS\)/);
  const target = await run([...base, "--target-version", "banana"]);
  assert.equal(target.code, 1);
  assert.match(target.err, /--target-version: bad Kubernetes version "banana"/);
  const beyond = await run([...base, "--target-version", "v1.99"]);
  assert.equal(beyond.code, 1);
  assert.match(beyond.err, /\(LOOKOUT_HELM_TARGET_UNCOVERED\)/);
  const component = await run([...base, "--component-version", "widgets=v1.0.0"]);
  assert.equal(component.code, 1);
  assert.match(component.err, /unknown component "widgets"/);
  for (const r of [missingRows, target, beyond, component]) {
    assert.doesNotMatch(r.err, /did not complete/);
  }
});

void test("cluster mode: a progress line on a terminal, erased before the report; none otherwise", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.seed({ releases: 300, revisionsPerRelease: 1, objectsPerManifest: 40, seed: 3 });
  const tty = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "json"], {
    tty: true,
  });
  assert.ok(tty.code === 2 || tty.code === 3, tty.err);
  assert.equal(parseReport(tty.out).findings.length > 0, true);
  const lines = tty.err.split("\r\u001b[2K").filter((l) => l !== "");
  assert.ok(lines.length >= 1, `progress drawn: ${JSON.stringify(tty.err)}`);
  assert.ok(
    lines.every((l) => /^releases checked \d+\/300 \(\d+%\)$/.test(l)),
    JSON.stringify(lines),
  );
  assert.ok(tty.err.endsWith("\r\u001b[2K"), "erased at the end");
  const plain = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "json"]);
  assert.equal(plain.err, "");
});

void test("cluster mode: on a terminal, the progress line is erased before the timeout message", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({ namespace: "shop", name: "web", manifest: CRON });
  // Discovery (a watch list) sees the release; the payload LIST stalls, so the scan cannot end.
  sim.faults.stallLists({ resource: "secrets", count: 5 });
  const r = await run(
    ["helm", "check", "--kubeconfig", kubeconfig, "--drivers", "secrets", "--timeout", "1"],
    { tty: true },
  );
  assert.equal(r.code, 1, r.err);
  const erase = "\r\u001b[2K";
  const message = "kube-lookout helm check: the scan did not complete within 1 s";
  assert.match(r.err, /releases checked 0\/1 \(0%\)/, "the progress line was drawn");
  const at = r.err.indexOf(message);
  assert.ok(at > 0, JSON.stringify(r.err));
  assert.ok(r.err.slice(0, at).endsWith(erase), `erased first: ${JSON.stringify(r.err)}`);
  assert.ok(r.err.endsWith("\n"), `nothing drawn after it: ${JSON.stringify(r.err)}`);
});

void test("cluster mode: a byte order mark at the start of a later document hides nothing", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({ namespace: "shop", name: "after", manifest: `${FINE}---\n\uFEFF${CRON}` });
  sim.helm.install({ namespace: "shop", name: "before", manifest: `${FINE}\uFEFF---\n${CRON}` });
  const r = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "json"]);
  assert.equal(r.code, 3, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(
    report.findings.map((f) => [f.release, f.kind, f.name]),
    [
      ["after", "CronJob", "nightly"],
      ["before", "CronJob", "nightly"],
    ],
  );
  assert.deepEqual(report.errors, []);
});

void test("cluster mode: releases found and not one payload decodable exits 1, the report still printed", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.putRaw("ops", "broken", 1, "%%%", { driver: "secret" });
  sim.helm.putRaw("shop", "web", 3, Buffer.from("not gzip, not json").toString("base64"), {
    driver: "configmap",
  });
  const r = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "json"]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /nothing could be checked \(none of the 2 releases could be decoded/);
  assert.deepEqual(
    parseReport(r.out)
      .errors.map((e) => [e.namespace, e.release, e.code])
      .sort((a, b) => a.join("/").localeCompare(b.join("/"))),
    [
      ["ops", "broken", "LOOKOUT_HELM_BAD_BASE64"],
      ["shop", "web", "LOOKOUT_HELM_BAD_JSON"],
    ],
  );
  // One release read: the exit code follows the findings again.
  sim.helm.install({ namespace: "ops", name: "tools", manifest: FINE });
  const again = await run(["helm", "check", "--kubeconfig", kubeconfig]);
  assert.equal(again.code, 0, again.err);
});
