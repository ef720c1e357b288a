import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { assertNoActiveHandles } from "../support/handles.ts";
import { parseCsv } from "../helm/report/csv-parse.ts";
import {
  CRON,
  COVERED,
  DEPLOY,
  FLOW,
  LIST,
  chartDir,
  parseReport,
  run,
  tempDir,
} from "./helm-fixtures.ts";

after(assertNoActiveHandles);

void test("json: exact shape over a folder (recursive, List expanded, bad document reported), exit 3", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "json",
  ]);
  assert.equal(r.code, 3, r.err);
  const b = join(dir, "sub", "b.yml");
  assert.deepEqual(JSON.parse(r.out), {
    target: "v1.30.0",
    findings: [
      {
        namespace: "",
        release: join(dir, "a.yaml"),
        revision: 0,
        name: "nightly",
        kind: "CronJob",
        apiVersion: "batch/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: "batch/v1",
        status: "removed",
      },
      {
        namespace: "",
        release: b,
        revision: 0,
        name: 'psp, "restricted"',
        kind: "PodSecurityPolicy",
        apiVersion: "policy/v1beta1",
        deprecatedIn: "v1.21.0",
        removedIn: "v1.25.0",
        replacementApi: null,
        status: "removed",
      },
      {
        namespace: "",
        release: b,
        revision: 0,
        name: "fs",
        kind: "FlowSchema",
        apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
        deprecatedIn: "v1.29.0",
        removedIn: "v1.32.0",
        replacementApi: "flowcontrol.apiserver.k8s.io/v1",
        status: "deprecated",
      },
    ],
    errors: [
      {
        namespace: "",
        release: b,
        code: "LOOKOUT_HELM_BAD_YAML",
        message: parseReport(r.out).errors[0]?.["message"],
      },
    ],
  });
  assert.match(String(parseReport(r.out).errors[0]?.["message"]), /^document 1 /);
  assert.equal(r.err, "");
});

void test("table is the default format: sorted rows, summary line and errors, exit 3", async (t) => {
  const dir = await chartDir(t);
  const r = await run(["helm", "check", "--files", dir, "--target-version", "v1.30.2"]);
  assert.equal(r.code, 3, r.err);
  const lines = r.out.split("\n");
  assert.match(lines[0]!, /^STATUS +NAMESPACE +RELEASE/);
  assert.deepEqual(
    lines.slice(1, 4).map((l) => l.split(/ {2,}/)[0]),
    ["removed", "removed", "deprecated"],
  );
  assert.ok(lines.includes("3 findings at v1.30.2: 2 removed, 1 deprecated; 1 error"));
  assert.ok(lines.some((l) => l.includes("LOOKOUT_HELM_BAD_YAML")));
});

void test("csv: RFC 4180 round-trip of commas and quotes; errors go to stderr", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "csv",
  ]);
  assert.equal(r.code, 3);
  const rows = parseCsv(r.out);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[0], [
    "namespace",
    "release",
    "revision",
    "name",
    "kind",
    "apiVersion",
    "deprecatedIn",
    "removedIn",
    "replacementApi",
    "status",
  ]);
  assert.deepEqual(rows[2]?.slice(3, 6), [
    'psp, "restricted"',
    "PodSecurityPolicy",
    "policy/v1beta1",
  ]);
  assert.equal(rows[2]?.[8], "");
  assert.match(r.err, /LOOKOUT_HELM_BAD_YAML/);
});

void test("markdown: a GitHub table, exit by findings", async (t) => {
  const dir = await chartDir(t);
  const r = await run([
    "helm",
    "check",
    "--files",
    dir,
    "--target-version",
    "v1.30",
    "--format",
    "markdown",
  ]);
  assert.equal(r.code, 3);
  assert.match(r.out, /^\*\*kube-lookout helm check\*\*: 3 findings at v1\.30\.0/);
  assert.match(r.out, /\n\| namespace \| release \| revision \| name \|/);
  assert.match(r.out, /\n- `LOOKOUT_HELM_BAD_YAML` /);
});

void test("exit 2 when only deprecated, 0 when clean at the default (newest covered) target", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "flow.yaml"), FLOW);
  await writeFile(join(dir, "deploy.yaml"), DEPLOY);
  const deprecated = await run([
    "helm",
    "check",
    "--files",
    join(dir, "flow.yaml"),
    "--target-version",
    "v1.29.0",
  ]);
  assert.equal(deprecated.code, 2, deprecated.err);
  const clean = await run([
    "helm",
    "check",
    "--files",
    join(dir, "deploy.yaml"),
    "--format",
    "json",
  ]);
  assert.equal(clean.code, 0, clean.err);
  assert.deepEqual(JSON.parse(clean.out), { target: `${COVERED}.0`, findings: [], errors: [] });
});

void test("stdin (-) is read and reported as release -, alongside files", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "deploy.yaml"), DEPLOY);
  const r = await run(
    [
      "helm",
      "check",
      "--files",
      "-",
      join(dir, "deploy.yaml"),
      "--target-version",
      "v1.24",
      "--format",
      "json",
    ],
    { stdin: CRON },
  );
  assert.equal(r.code, 2, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(
    report.findings.map((f) => [f["release"], f["kind"], f["status"]]),
    [["-", "CronJob", "deprecated"]],
  );
});

void test("a real process: bin/kube-lookout.js reads stdin, prints JSON and exits 3", async (t) => {
  const bin = fileURLToPath(new URL("../../bin/kube-lookout.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, "helm", "check", "--files", "-", "--target-version", "v1.29", "--format", "json"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  t.after(() => child.kill());
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => resolve(code)),
  );
  child.stdin.end(`${LIST}---\n${CRON}`);
  assert.equal(await exited, 3, err);
  const report = parseReport(out);
  assert.equal(report.target, "v1.29.0");
  assert.deepEqual(
    report.findings.map((f) => [f["kind"], f["status"]]),
    [
      ["CronJob", "removed"],
      ["PodSecurityPolicy", "removed"],
      ["FlowSchema", "deprecated"],
    ],
  );
});

void test("a byte order mark at the start of a later document hides nothing (files mode)", async (t) => {
  const dir = await tempDir(t);
  // The key read as \uFEFFapiVersion dropped the CronJob (exit 0); before a marker, BAD_YAML.
  await writeFile(join(dir, "after-marker.yaml"), `${DEPLOY}---\n\uFEFF${CRON}`);
  await writeFile(join(dir, "before-marker.yaml"), `${DEPLOY}\uFEFF---\n${CRON}`);
  const r = await run(["helm", "check", "--files", dir, "--format", "json"]);
  assert.equal(r.code, 3, r.err);
  const report = parseReport(r.out);
  assert.deepEqual(
    report.findings.map((f) => [f["release"], f["kind"], f["name"]]),
    [
      [join(dir, "after-marker.yaml"), "CronJob", "nightly"],
      [join(dir, "before-marker.yaml"), "CronJob", "nightly"],
    ],
  );
  assert.deepEqual(report.errors, []);
});
